//! `${VAR}` in inventory values: replaced by the variable's value from an injected lookup (the
//! process environment in netrun, a map in tests), so secrets need not be written in the file.

use std::borrow::Cow;

/// Looks a variable up by name; `None` when it is not set.
pub type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

/// Why a value's `${...}` could not be replaced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ExpandError {
    /// `${NAME}` names a variable that is not set.
    Unset(String),
    /// `${` without a closing `}`, or a name that is not `[A-Za-z_][A-Za-z0-9_]*`.
    Malformed(String),
}

impl ExpandError {
    pub(crate) fn message(&self) -> String {
        match self {
            ExpandError::Unset(name) => {
                format!("${{{name}}} is used but the environment variable {name} is not set")
            }
            ExpandError::Malformed(text) => format!(
                "{text:?} is not a valid variable reference: write ${{NAME}} \
                 (letters, digits, _), or $${{ for a literal ${{"
            ),
        }
    }
}

/// Replace every `${NAME}` in `text` with the variable's value. `$${` stands for a literal `${`.
/// A `$` not followed by `{` is kept as is (passwords often contain `$`).
pub(crate) fn expand<'t>(text: &'t str, env: Env) -> Result<Cow<'t, str>, ExpandError> {
    if !text.contains("${") {
        return Ok(Cow::Borrowed(text));
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(dollar) = rest.find('$') {
        out.push_str(&rest[..dollar]);
        let after = &rest[dollar..];
        if let Some(literal) = after.strip_prefix("$${") {
            out.push_str("${");
            rest = literal;
        } else if let Some(reference) = after.strip_prefix("${") {
            let Some(end) = reference.find('}') else {
                return Err(ExpandError::Malformed(after.to_string()));
            };
            let name = &reference[..end];
            if !is_variable_name(name) {
                return Err(ExpandError::Malformed(after[..end + 3].to_string()));
            }
            let value = env(name).ok_or_else(|| ExpandError::Unset(name.to_string()))?;
            out.push_str(&value);
            rest = &reference[end + 1..];
        } else {
            out.push('$');
            rest = &after[1..];
        }
    }
    out.push_str(rest);
    Ok(Cow::Owned(out))
}

fn is_variable_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(name: &str) -> Option<String> {
        match name {
            "PASS" => Some("s3cret".into()),
            "EMPTY" => Some(String::new()),
            "SITE_1" => Some("lab".into()),
            _ => None,
        }
    }

    #[test]
    fn replaces_every_reference() {
        assert_eq!(expand("${PASS}", &lookup).unwrap(), "s3cret");
        assert_eq!(
            expand("a-${SITE_1}-${PASS}-b", &lookup).unwrap(),
            "a-lab-s3cret-b"
        );
        assert_eq!(expand("x${EMPTY}y", &lookup).unwrap(), "xy");
    }

    #[test]
    fn leaves_plain_dollars_and_unescapes_double_dollar_brace() {
        assert_eq!(expand("pa$$word$", &lookup).unwrap(), "pa$$word$");
        assert_eq!(expand("$${PASS}", &lookup).unwrap(), "${PASS}");
        assert_eq!(expand("$a${PASS}", &lookup).unwrap(), "$as3cret");
    }

    #[test]
    fn an_unset_variable_is_named() {
        let err = expand("${NOPE}", &lookup).unwrap_err();
        assert_eq!(err, ExpandError::Unset("NOPE".into()));
        assert!(
            err.message().contains("NOPE is not set"),
            "{}",
            err.message()
        );
    }

    #[test]
    fn malformed_references_are_errors() {
        assert_eq!(
            expand("${PASS", &lookup).unwrap_err(),
            ExpandError::Malformed("${PASS".into())
        );
        assert_eq!(
            expand("x${1A}y", &lookup).unwrap_err(),
            ExpandError::Malformed("${1A}".into())
        );
        assert_eq!(
            expand("${}", &lookup).unwrap_err(),
            ExpandError::Malformed("${}".into())
        );
    }
}

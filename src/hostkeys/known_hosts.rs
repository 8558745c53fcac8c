//! OpenSSH's known_hosts format, sans-IO: parse a file's text into entries, find what a file
//! says about a host's key, and write the line OpenSSH would append. No file is opened here.
//!
//! The format (sshd(8), "SSH_KNOWN_HOSTS FILE FORMAT"): one entry a line, `[@marker] hosts
//! keytype base64-key [comment]`; blank lines and `#` comments are skipped. `hosts` is a comma
//! list of patterns (`*` and `?` wildcards, `!` negation, `[host]:port` for a port other than
//! 22) or one hashed name `|1|base64(salt)|base64(HMAC-SHA1(salt, name))`. Markers:
//! `@revoked` (the key must never be accepted) and `@cert-authority` (a CA for host
//! certificates, which netrun does not support).

use base64ct::{Base64, Encoding};
use hmac::{KeyInit, Mac};

/// What a line is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marker {
    /// A host's key.
    Key,
    /// `@revoked`: this key must never be accepted for the hosts it names.
    Revoked,
    /// `@cert-authority`: a CA whose host certificates are accepted.
    CertAuthority,
}

/// The hosts a line names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hosts {
    /// Comma-separated patterns, as written.
    Patterns(Vec<String>),
    /// `|1|salt|hash`: HMAC-SHA1 of the lowercased name keyed with the salt.
    Hashed { salt: Vec<u8>, hash: Vec<u8> },
}

/// One parsed line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// 1-based line number in its file.
    pub line: usize,
    pub marker: Marker,
    pub hosts: Hosts,
    /// The key's type as the blob says (`ssh-ed25519`, `ssh-rsa`, ...).
    pub key_type: String,
    /// The public key blob (SSH wire format), what libssh2 reports as the host key.
    pub key: Vec<u8>,
}

/// A line that is not a known_hosts entry: its number, the field and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {field}: {message}")]
pub struct ParseError {
    pub line: usize,
    pub field: &'static str,
    pub message: String,
}

/// Parse `text`, whose first line is line `first_line` of its file. Only whole lines are read:
/// a last line without its line end is left for a later read (see `complete_prefix`).
pub fn parse(text: &str, first_line: usize) -> Result<Vec<Entry>, ParseError> {
    let mut entries = Vec::new();
    for (offset, line) in text.lines().enumerate() {
        if let Some(entry) = parse_line(line, first_line + offset)? {
            entries.push(entry);
        }
    }
    Ok(entries)
}

/// The length of `bytes` up to and including its last line end: what `parse` may read of a file
/// another process may still be appending to.
pub fn complete_prefix(bytes: &[u8]) -> usize {
    bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1)
}

fn parse_line(line: &str, number: usize) -> Result<Option<Entry>, ParseError> {
    let error = |field, message: String| ParseError {
        line: number,
        field,
        message,
    };
    let mut words = line.split_whitespace();
    let Some(mut first) = words.next() else {
        return Ok(None);
    };
    if first.starts_with('#') {
        return Ok(None);
    }
    let marker = match first {
        "@revoked" => Marker::Revoked,
        "@cert-authority" => Marker::CertAuthority,
        other if other.starts_with('@') => {
            return Err(error(
                "marker",
                format!("unknown marker `{other}` (OpenSSH knows @revoked and @cert-authority)"),
            ))
        }
        _ => Marker::Key,
    };
    if marker != Marker::Key {
        first = words
            .next()
            .ok_or_else(|| error("hosts", "missing after the marker".into()))?;
    }
    let hosts = parse_hosts(first).map_err(|message| error("hosts", message))?;
    let key_type = words.next().ok_or_else(|| {
        error(
            "key type",
            "missing: expected e.g. `ssh-ed25519 AAAA...`".into(),
        )
    })?;
    let encoded = words
        .next()
        .ok_or_else(|| error("key", format!("missing after `{key_type}`")))?;
    let key = Base64::decode_vec(encoded)
        .map_err(|_| error("key", "is not base64 (a key such as AAAAC3Nza...)".into()))?;
    match blob_type(&key) {
        Some(inside) if inside == key_type => {}
        Some(inside) => {
            return Err(error(
                "key",
                format!("is a {inside} key, but the line says {key_type}"),
            ))
        }
        None => return Err(error("key", "is not an SSH public key blob".into())),
    }
    Ok(Some(Entry {
        line: number,
        marker,
        hosts,
        key_type: key_type.to_string(),
        key,
    }))
}

fn parse_hosts(field: &str) -> Result<Hosts, String> {
    let Some(hashed) = field.strip_prefix("|1|") else {
        let patterns: Vec<String> = field.split(',').map(str::to_string).collect();
        if patterns.iter().any(String::is_empty) {
            return Err(format!("`{field}` has an empty pattern"));
        }
        return Ok(Hosts::Patterns(patterns));
    };
    let (salt, hash) = hashed
        .split_once('|')
        .ok_or_else(|| format!("hashed name `{field}` is not |1|salt|hash"))?;
    let decode = |part: &str| Base64::decode_vec(part).ok().filter(|b| b.len() == 20);
    match (decode(salt), decode(hash)) {
        (Some(salt), Some(hash)) => Ok(Hosts::Hashed { salt, hash }),
        _ => Err(format!(
            "hashed name `{field}`: salt and hash must be 20 bytes of base64 each"
        )),
    }
}

/// The key type a public key blob starts with (an SSH string: 4-byte length, then the name).
pub fn blob_type(blob: &[u8]) -> Option<&str> {
    let length = u32::from_be_bytes(blob.get(..4)?.try_into().ok()?) as usize;
    let name = blob.get(4..4usize.checked_add(length)?)?;
    std::str::from_utf8(name)
        .ok()
        .filter(|n| !n.is_empty() && n.is_ascii())
}

/// The name a host is known by: the host itself on port 22, `[host]:port` on any other port,
/// lowercased (as OpenSSH looks names up and writes them).
pub fn host_name(host: &str, port: u16) -> String {
    let host = host.to_ascii_lowercase();
    if port == 22 {
        host
    } else {
        format!("[{host}]:{port}")
    }
}

/// The line OpenSSH appends for a new key (HashKnownHosts no): `name keytype base64`.
pub fn line_for(name: &str, key: &[u8]) -> String {
    let key_type = blob_type(key).unwrap_or("unknown");
    format!("{name} {key_type} {}\n", Base64::encode_string(key))
}

impl Hosts {
    /// Whether the line names `name` (from `host_name`): a hashed name equal to it, or a
    /// pattern matching it and no negated pattern matching it.
    pub fn matches(&self, name: &str) -> bool {
        match self {
            Hosts::Hashed { salt, hash } => {
                let Ok(mut mac) = hmac::Hmac::<sha1::Sha1>::new_from_slice(salt) else {
                    return false;
                };
                mac.update(name.as_bytes());
                mac.verify_slice(hash).is_ok()
            }
            Hosts::Patterns(patterns) => {
                let mut positive = false;
                for pattern in patterns {
                    match pattern.strip_prefix('!') {
                        Some(negated) if glob(negated, name) => return false,
                        Some(_) => {}
                        None => positive |= glob(pattern, name),
                    }
                }
                positive
            }
        }
    }
}

/// OpenSSH's pattern match: `*` any run, `?` any one character, the rest compared ignoring
/// ASCII case. Iterative with one backtrack point, so linear in practice.
fn glob(pattern: &str, name: &str) -> bool {
    let (p, n) = (pattern.as_bytes(), name.as_bytes());
    let (mut pi, mut ni) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        match p.get(pi) {
            Some(b'*') => {
                star = Some((pi, ni));
                pi += 1;
            }
            Some(&c) if c == b'?' || c.eq_ignore_ascii_case(&n[ni]) => {
                pi += 1;
                ni += 1;
            }
            _ => match star {
                Some((star_pi, star_ni)) => {
                    pi = star_pi + 1;
                    ni = star_ni + 1;
                    star = Some((star_pi, star_ni + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

/// What the known entries say about a host's key. `T` locates an entry (its file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup<T> {
    /// A line for the host holds this very key.
    Known(T),
    /// A `@revoked` line for the host holds this key.
    Revoked(T),
    /// Lines for the host hold other keys and none this one: the first of them.
    Changed(T),
    /// Nothing for the host but a `@cert-authority` line.
    CertAuthority(T),
    /// Nothing at all for the host.
    Unknown,
}

/// Look `name`'s `key` up in `entries` (in file order). A revoked key wins over everything;
/// then a line with the key; then a line with another key (of any type: netrun does not accept
/// a new key type for a host it knows, where OpenSSH would under accept-new).
pub fn lookup<'e, T: Clone>(
    entries: impl IntoIterator<Item = (T, &'e Entry)>,
    name: &str,
    key: &[u8],
) -> Lookup<T> {
    let (mut known, mut other, mut authority) = (None, None, None);
    for (at, entry) in entries {
        if !entry.hosts.matches(name) {
            continue;
        }
        let same = entry.key == key;
        match entry.marker {
            Marker::Revoked if same => return Lookup::Revoked(at),
            Marker::Revoked => {}
            Marker::Key if same => known = known.or(Some(at)),
            Marker::Key => other = other.or(Some(at)),
            Marker::CertAuthority => authority = authority.or(Some(at)),
        }
    }
    match (known, other, authority) {
        (Some(at), _, _) => Lookup::Known(at),
        (None, Some(at), _) => Lookup::Changed(at),
        (None, None, Some(at)) => Lookup::CertAuthority(at),
        (None, None, None) => Lookup::Unknown,
    }
}

/// The key types the entries hold for `name` (plain key lines only), in file order, each once:
/// the host key algorithms to ask the server for first, as OpenSSH does.
pub fn known_types<'e>(entries: impl IntoIterator<Item = &'e Entry>, name: &str) -> Vec<String> {
    let mut types: Vec<String> = Vec::new();
    for entry in entries {
        if entry.marker == Marker::Key
            && entry.hosts.matches(name)
            && !types.contains(&entry.key_type)
        {
            types.push(entry.key_type.clone());
        }
    }
    types
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two real ed25519 public keys (from `ssh-keygen -t ed25519`).
    const ED25519: &str = "AAAAC3NzaC1lZDI1NTE5AAAAIJnH5R4BYPK1oBAOmh0Bj0COs9oBvwQESK8lpSGbMYiR";
    const OTHER_ED25519: &str =
        "AAAAC3NzaC1lZDI1NTE5AAAAIIrQPWdn78pUZXchduwr6Z9P0aRX9lVG/mdAVfriWmPu";

    fn blob(b64: &str) -> Vec<u8> {
        Base64::decode_vec(b64).unwrap()
    }

    fn entries(text: &str) -> Vec<Entry> {
        parse(text, 1).unwrap()
    }

    fn look(text: &str, name: &str, key: &str) -> Lookup<usize> {
        let entries = entries(text);
        lookup(entries.iter().map(|e| (e.line, e)), name, &blob(key))
    }

    #[test]
    fn names_carry_the_port_unless_it_is_22() {
        assert_eq!(host_name("R1.Lab", 22), "r1.lab");
        assert_eq!(host_name("127.0.0.1", 20022), "[127.0.0.1]:20022");
        assert_eq!(host_name("::1", 2222), "[::1]:2222");
        assert_eq!(
            line_for("[127.0.0.1]:20022", &blob(ED25519)),
            format!("[127.0.0.1]:20022 ssh-ed25519 {ED25519}\n")
        );
    }

    #[test]
    fn plain_entries_with_lists_ports_comments_and_several_keys() {
        let text = format!(
            "# a comment\n\n\
             r1,10.0.0.1 ssh-ed25519 {ED25519} admin@host\n\
             [127.0.0.1]:20022 ssh-ed25519 {OTHER_ED25519}\n\
             [127.0.0.1]:20022 ssh-ed25519 {ED25519}\n"
        );
        assert_eq!(look(&text, "10.0.0.1", ED25519), Lookup::Known(3));
        assert_eq!(look(&text, "r1", OTHER_ED25519), Lookup::Changed(3));
        // Several keys for one name: any of them is the host's.
        assert_eq!(look(&text, "[127.0.0.1]:20022", ED25519), Lookup::Known(5));
        assert_eq!(
            look(&text, "[127.0.0.1]:20022", OTHER_ED25519),
            Lookup::Known(4)
        );
        // The port is part of the name.
        assert_eq!(look(&text, "127.0.0.1", ED25519), Lookup::Unknown);
        assert_eq!(look(&text, "[127.0.0.1]:20023", ED25519), Lookup::Unknown);
    }

    #[test]
    fn wildcards_negation_and_case() {
        let text =
            format!("*.lab,!r9.lab ssh-ed25519 {ED25519}\n[10.0.0.?]:2222 ssh-ed25519 {ED25519}\n");
        assert_eq!(look(&text, "r1.lab", ED25519), Lookup::Known(1));
        assert_eq!(look(&text, "r9.lab", ED25519), Lookup::Unknown);
        assert_eq!(look(&text, "[10.0.0.7]:2222", ED25519), Lookup::Known(2));
        assert_eq!(look(&text, "[10.0.0.17]:2222", ED25519), Lookup::Unknown);
        assert!(glob("R*.LAB", "r1.lab"));
        assert!(glob("a*b*c", "aXbYbZc"));
        assert!(!glob("a*b*c", "aXbYbZ"));
    }

    #[test]
    fn revoked_keys_are_refused_and_cert_authorities_named() {
        let text = format!(
            "@revoked * ssh-ed25519 {OTHER_ED25519}\n\
             r1 ssh-ed25519 {OTHER_ED25519}\n\
             @cert-authority *.lab ssh-ed25519 {ED25519}\n"
        );
        assert_eq!(look(&text, "r1", OTHER_ED25519), Lookup::Revoked(1));
        assert_eq!(look(&text, "r1", ED25519), Lookup::Changed(2));
        assert_eq!(look(&text, "r2.lab", ED25519), Lookup::CertAuthority(3));
        assert_eq!(look(&text, "r3", ED25519), Lookup::Unknown);
    }

    #[test]
    fn hashed_names_match_ssh_keygen_output() {
        // `ssh-keygen -H` of "[127.0.0.1]:20022 ssh-ed25519 ..." and "r1.lab ssh-ed25519 ..."
        // (OpenSSH 9.2p1, Debian 12), as ssh-keygen wrote them.
        let text = format!(
            "|1|RWCvFvOokovUi/RZIJ2gzBfDs0M=|rsTnc6s7G2OvRNt8/tE8ap+oN54= ssh-ed25519 {ED25519}\n\
             |1|8xQJ4YU4VpZcZZCeit5EW31NSRQ=|KhtpNiwU85QKr3K3MrsfL5ALwC4= ssh-ed25519 {ED25519}\n"
        );
        let found = entries(&text);
        assert!(matches!(found[0].hosts, Hosts::Hashed { .. }));
        assert_eq!(look(&text, "[127.0.0.1]:20022", ED25519), Lookup::Known(1));
        assert_eq!(look(&text, "r1.lab", ED25519), Lookup::Known(2));
        assert_eq!(look(&text, "[127.0.0.1]:20023", ED25519), Lookup::Unknown);
        assert_eq!(look(&text, "127.0.0.1", ED25519), Lookup::Unknown);
    }

    #[test]
    fn known_types_come_in_file_order() {
        let text = format!(
            "r1 ssh-ed25519 {ED25519}\n@revoked r1 ssh-ed25519 {OTHER_ED25519}\nr2 ssh-ed25519 {ED25519}\n"
        );
        assert_eq!(known_types(&entries(&text), "r1"), ["ssh-ed25519"]);
        assert!(known_types(&entries(&text), "r3").is_empty());
    }

    #[test]
    fn malformed_lines_name_their_line_and_field() {
        let err = |text: &str| parse(text, 1).unwrap_err().to_string();
        assert_eq!(
            err("r1 ssh-ed25519\n"),
            "line 1: key: missing after `ssh-ed25519`"
        );
        assert_eq!(
            err(&format!("# ok\nr1 ssh-rsa {ED25519}\n")),
            "line 2: key: is a ssh-ed25519 key, but the line says ssh-rsa"
        );
        assert_eq!(
            err("r1 ssh-ed25519 not-base64!\n"),
            "line 1: key: is not base64 (a key such as AAAAC3Nza...)"
        );
        assert_eq!(
            err(&format!("@trusted r1 ssh-ed25519 {ED25519}\n")),
            "line 1: marker: unknown marker `@trusted` (OpenSSH knows @revoked and @cert-authority)"
        );
        assert_eq!(
            err(&format!("|1|abc|def ssh-ed25519 {ED25519}\n")),
            "line 1: hosts: hashed name `|1|abc|def`: salt and hash must be 20 bytes of base64 each"
        );
        assert_eq!(
            err("r1\n"),
            "line 1: key type: missing: expected e.g. `ssh-ed25519 AAAA...`"
        );
        assert_eq!(
            err(&format!("r1,,r2 ssh-ed25519 {ED25519}\n")),
            "line 1: hosts: `r1,,r2` has an empty pattern"
        );
    }

    #[test]
    fn only_complete_lines_are_read() {
        assert_eq!(complete_prefix(b"a\nb\nc"), 4);
        assert_eq!(complete_prefix(b"a\n"), 2);
        assert_eq!(complete_prefix(b"abc"), 0);
    }
}

//! The host's secrets, replaced by `***` in everything the dialogue keeps or reports: outputs,
//! replies, failure messages and the last bytes quoted in them. A device (or a terminal server)
//! that echoes what is typed at `Password:` must never get the password quoted back. Masking
//! works on the bytes as assembled, so a secret split across two reads is still found.

use std::borrow::Cow;

use crate::job::Secret;

/// What a masked secret becomes.
const MASK: &[u8] = b"***";

#[derive(Debug, Default)]
pub(crate) struct Mask {
    /// The secrets' bytes, longest first (so a secret containing another is masked whole).
    secrets: Vec<Vec<u8>>,
}

impl Mask {
    pub(crate) fn new(secrets: &[Secret]) -> Mask {
        let mut secrets: Vec<Vec<u8>> = secrets
            .iter()
            .filter(|s| !s.is_empty())
            .map(|s| s.expose().as_bytes().to_vec())
            .collect();
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        secrets.dedup();
        Mask { secrets }
    }

    /// `text` with every secret replaced by `***`.
    pub(crate) fn text(&self, text: &str) -> String {
        String::from_utf8_lossy(&self.bytes(text.as_bytes())).into_owned()
    }

    /// `bytes` with every secret replaced by `***`.
    pub(crate) fn bytes<'a>(&self, bytes: &'a [u8]) -> Cow<'a, [u8]> {
        let mut masked = Cow::Borrowed(bytes);
        for secret in &self.secrets {
            if super::received::find(&masked, secret).is_some() {
                masked = Cow::Owned(replace(&masked, secret));
            }
        }
        masked
    }
}

/// `hay` with each non-overlapping `needle` (not empty) replaced by the mask.
fn replace(hay: &[u8], needle: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(hay.len());
    let mut rest = hay;
    while let Some(at) = super::received::find(rest, needle) {
        out.extend_from_slice(&rest[..at]);
        out.extend_from_slice(MASK);
        rest = &rest[at + needle.len()..];
    }
    out.extend_from_slice(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_secret_is_masked_longest_first_and_empty_ones_are_ignored() {
        let mask = Mask::new(&[
            Secret::new("pa55"),
            Secret::new("pa55word"),
            Secret::new(""),
        ]);
        assert_eq!(
            mask.text("Password: pa55word\r\nenable pa55 pa55pa55"),
            "Password: ***\r\nenable *** ******"
        );
        assert!(matches!(mask.bytes(b"nothing here"), Cow::Borrowed(_)));
        assert_eq!(Mask::new(&[]).text("pa55"), "pa55");
    }
}

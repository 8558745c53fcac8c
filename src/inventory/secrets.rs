//! Which inventory values are secrets besides a host's password, enable secret and key
//! passphrase (which are `Secret`s already): any data value under a key whose name looks like a
//! secret's (`snmp_community`, `tacacs_key`, `api_token`, `enable_password`), at any depth.
//!
//! Templates keep the real values (`Host::data` is untouched); [`masked_data`] is the host's
//! data as shown to a person, and [`secret_data_values`] lists those values so that output a
//! device echoes can be masked too (`Host::secret_values`).

use std::collections::BTreeMap;

use serde_json::Value as Json;

/// What a secret is shown as.
pub const MASK: &str = "***";

/// Words that make a key a secret's, matched anywhere in its name, case-insensitively: the
/// issue's list, plus `pwd` and the `pasw` of a mistyped `pasword` (data keys are not checked
/// for typos, so a misspelt password there must still be hidden).
const SECRET_WORDS: &[&str] = &["pass", "pasw", "pwd", "secret", "key", "token", "community"];

/// Whether a data key names a secret: its name contains `pass`, `pasw`, `pwd`, `secret`, `key`,
/// `token` or `community`, in any case.
pub fn is_secret_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    SECRET_WORDS.iter().any(|word| key.contains(word))
}

/// `data` for display: every string and number under a secret key (see [`is_secret_key`]),
/// however deep, replaced by `***`; the shape (maps, lists, other values) kept. (A display can
/// afford to hide an id too.)
pub fn masked_data(data: &BTreeMap<String, Json>) -> BTreeMap<String, Json> {
    data.iter()
        .map(|(key, value)| (key.clone(), masked(value, is_secret_key(key))))
        .collect()
}

fn masked(value: &Json, secret: bool) -> Json {
    match value {
        Json::String(_) | Json::Number(_) if secret => Json::String(MASK.to_string()),
        Json::Array(items) => Json::Array(items.iter().map(|v| masked(v, secret)).collect()),
        Json::Object(entries) => Json::Object(
            entries
                .iter()
                .map(|(key, value)| (key.clone(), masked(value, secret || is_secret_key(key))))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Every non-empty string under a secret key in `data`, in key order. Numbers are left out: under
/// such keys they are ids more often than secrets (`key_id: 1`), and masking `1` wherever a
/// device prints it would garble its output.
pub fn secret_data_values(data: &BTreeMap<String, Json>) -> Vec<String> {
    let mut found = Vec::new();
    for (key, value) in data {
        collect(value, is_secret_key(key), &mut found);
    }
    found
}

fn collect(value: &Json, secret: bool, found: &mut Vec<String>) {
    match value {
        Json::String(text) if secret && !text.is_empty() => found.push(text.clone()),
        Json::Array(items) => items.iter().for_each(|v| collect(v, secret, found)),
        Json::Object(entries) => {
            for (key, value) in entries {
                collect(value, secret || is_secret_key(key), found);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn data(value: Json) -> BTreeMap<String, Json> {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn secret_keys_are_recognised_by_their_words() {
        for key in [
            "Password",
            "enable_pass",
            "secret",
            "TACACS_KEY",
            "keychain",
            "api_token",
            "snmp_community",
            "SnmpCommunity",
            "pasword",
            "db_pwd",
        ] {
            assert!(is_secret_key(key), "{key}");
        }
        for key in ["site", "role", "loopback", "ntp_server", "vlans", "comm"] {
            assert!(!is_secret_key(key), "{key}");
        }
    }

    #[test]
    fn masks_values_under_secret_keys_at_any_depth() {
        let host_data = data(json!({
            "enable_pass": "TypoSecret99",
            "site": "dc1",
            "snmp": {"community": "public", "location": "rack 4", "port": 161},
            "tacacs_keys": ["k1", {"primary": "k2"}, 7, true, null],
            "users": [{"name": "ops", "password": "op$"}],
            "vlans": [10, 20],
        }));
        assert_eq!(
            serde_json::to_value(masked_data(&host_data)).unwrap(),
            json!({
                "enable_pass": "***",
                "site": "dc1",
                "snmp": {"community": "***", "location": "rack 4", "port": 161},
                "tacacs_keys": ["***", {"primary": "***"}, "***", true, null],
                "users": [{"name": "ops", "password": "***"}],
                "vlans": [10, 20],
            })
        );
        assert_eq!(
            host_data["enable_pass"],
            json!("TypoSecret99"),
            "data untouched"
        );
    }

    #[test]
    fn lists_the_values_under_secret_keys() {
        let host_data = data(json!({
            "api_token": "",
            "enable_pass": "TypoSecret99",
            "site": "dc1",
            "snmp": {"community": "public", "location": "rack 4"},
            "tacacs_keys": ["k1", {"primary": "k2"}, 7],
        }));
        assert_eq!(
            secret_data_values(&host_data),
            ["TypoSecret99", "public", "k1", "k2"],
            "numbers are ids more often than secrets (`key_id: 1`)"
        );
        assert!(secret_data_values(&data(json!({"site": "x"}))).is_empty());
    }
}

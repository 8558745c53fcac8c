//! `netrun inventory` never prints a secret: passwords and enable secrets are shown as whether
//! they are set, and template data under a secret-looking key (`pass`, `secret`, `key`, `token`,
//! `community` in its name) as `***`, in JSON and text.

mod common;

use common::{json, netrun, stderr, stdout};

const SECRETS: [&str; 6] = [
    "Login-Pa55",
    "Enable-S3cret",
    "public-rw-42",
    "tok-777",
    "radius-k3y",
    "Api-Pa55word",
];

fn inventory(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("devices.yaml");
    let text = "\
- name: R1
  device_type: cisco_ios
  host: 127.0.0.1
  username: admin
  password: Login-Pa55
  secret: Enable-S3cret
  data:
    ntp_server: 192.0.2.1
    snmp_community: public-rw-42
    api_token: tok-777
    radius: {host: 192.0.2.9, shared_key: radius-k3y}
    users: [{name: ops, Password: Api-Pa55word}]
";
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn inventory_json_masks_secret_looking_data_and_shows_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let path = inventory(dir.path());
    let out = netrun(&["inventory", "-i", path.to_str().unwrap(), "-o", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    for secret in SECRETS {
        assert!(!text.contains(secret), "{secret} printed:\n{text}");
    }
    let host = &json(&out)[0];
    assert_eq!(host["has_password"], true);
    assert_eq!(host["has_secret"], true);
    let data = &host["data"];
    assert_eq!(data["ntp_server"], "192.0.2.1");
    assert_eq!(data["snmp_community"], "***");
    assert_eq!(data["api_token"], "***");
    assert_eq!(data["radius"]["host"], "192.0.2.9");
    assert_eq!(data["radius"]["shared_key"], "***");
    assert_eq!(data["users"][0]["name"], "ops");
    assert_eq!(data["users"][0]["Password"], "***");
}

#[test]
fn inventory_text_prints_no_secret() {
    let dir = tempfile::tempdir().unwrap();
    let path = inventory(dir.path());
    let out = netrun(&["inventory", "-i", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("R1"), "{text}");
    for secret in SECRETS {
        assert!(!text.contains(secret), "{secret} printed:\n{text}");
        assert!(!stderr(&out).contains(secret), "{secret} on stderr");
    }
}

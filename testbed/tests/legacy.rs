//! The legacy SSH algorithm set (what an old IOS 12.x/15.x box offers): a client restricted to
//! diffie-hellman-group14-sha1 / ssh-rsa / aes128-ctr / hmac-sha1 logs in to a legacy device, and a
//! modern device does not offer SHA-1 key exchange.

mod common;

use std::io::Read;

use common::{ssh_handshake, SshError, TestLab, PASSWORD, USERNAME};
use ssh2::MethodType;

/// The testbed flag that makes devices legacy.
const LEGACY_ARGS: [&str; 1] = ["--ssh-legacy"];

fn only_legacy(session: &ssh2::Session) -> Result<(), ssh2::Error> {
    session.method_pref(MethodType::Kex, "diffie-hellman-group14-sha1")?;
    session.method_pref(MethodType::HostKey, "ssh-rsa")?;
    session.method_pref(MethodType::CryptCs, "aes128-ctr")?;
    session.method_pref(MethodType::CryptSc, "aes128-ctr")?;
    session.method_pref(MethodType::MacCs, "hmac-sha1")?;
    session.method_pref(MethodType::MacSc, "hmac-sha1")
}

#[test]
fn legacy_device_accepts_only_old_algorithms() {
    let mut args = vec!["--devices", "1"];
    args.extend(LEGACY_ARGS);
    let lab = TestLab::start(&args);
    let entry = lab.ssh("R1");
    assert!(
        entry.ssh_legacy,
        "inventory must mark legacy devices: {}",
        lab.inventory_text
    );
    let session =
        ssh_handshake(entry.port, only_legacy).unwrap_or_else(|e| panic!("legacy handshake: {e}"));
    assert_eq!(
        session.methods(MethodType::Kex),
        Some("diffie-hellman-group14-sha1")
    );
    assert_eq!(session.methods(MethodType::HostKey), Some("ssh-rsa"));
    assert_eq!(session.methods(MethodType::CryptCs), Some("aes128-ctr"));
    assert_eq!(session.methods(MethodType::MacCs), Some("hmac-sha1"));
    session
        .userauth_password(USERNAME, PASSWORD)
        .expect("legacy login");
    let mut channel = session.channel_session().expect("channel");
    channel.exec("show version").expect("exec");
    let mut out = String::new();
    channel.read_to_string(&mut out).expect("exec output");
    assert!(out.contains("Cisco IOS"), "{out:?}");

    // A legacy box offers nothing modern: curve25519 key exchange alone must fail.
    let modern_only = ssh_handshake(entry.port, |s| {
        s.method_pref(MethodType::Kex, "curve25519-sha256")
    });
    assert!(
        modern_only.is_err(),
        "legacy device negotiated curve25519-sha256"
    );
}

#[test]
fn modern_device_does_not_offer_sha1_key_exchange() {
    let lab = TestLab::start(&["--devices", "1"]);
    let entry = lab.ssh("R1");
    match ssh_handshake(entry.port, |s| {
        s.method_pref(MethodType::Kex, "diffie-hellman-group14-sha1")
    }) {
        Err(SshError::Ssh(_)) => {}
        Err(other) => panic!("expected a key-exchange failure, got {other}"),
        Ok(_) => panic!("modern device negotiated diffie-hellman-group14-sha1"),
    }
    common::ssh_login(entry.port, USERNAME, PASSWORD).expect("default algorithms log in");
}

//! The libssh2 this build links has the algorithms old IOS 12.x/15.x boxes need: SHA-1 key
//! exchange, hmac-sha1 and the ssh-rsa host key. libssh2 compiles them out unless its C build
//! gets `-DLIBSSH2_KEX_SHA1_ENABLE -DLIBSSH2_HMAC_SHA1_ENABLE -DLIBSSH2_RSA_SHA1_ENABLE`, which
//! vendor/libssh2-sys/build.rs defines; a build that lost them can reach no such box even with
//! `--ssh-legacy`, so this test asks libssh2 itself. `.ci/run` builds with a `CFLAGS` of its own
//! so the test proves the flags survive one.

use ssh2::{MethodType, Session};

/// Per method type (with the name libssh2's docs give it), what old IOS offers.
const OLD_IOS_ALGORITHMS: &[(MethodType, &str, &[&str])] = &[
    (
        MethodType::Kex,
        "kex",
        &[
            "diffie-hellman-group14-sha1",
            "diffie-hellman-group-exchange-sha1",
            "diffie-hellman-group1-sha1",
        ],
    ),
    (MethodType::HostKey, "hostkey", &["ssh-rsa"]),
    (MethodType::MacCs, "mac_cs", &["hmac-sha1", "hmac-sha1-96"]),
    (MethodType::MacSc, "mac_sc", &["hmac-sha1", "hmac-sha1-96"]),
];

#[test]
fn libssh2_is_built_with_the_algorithms_old_ios_needs() {
    let session = Session::new().expect("a libssh2 session");
    let mut missing = Vec::new();
    for (method, method_name, names) in OLD_IOS_ALGORITHMS {
        let supported = session
            .supported_algs(*method)
            .unwrap_or_else(|e| panic!("libssh2's {method_name} list: {e}"));
        missing.extend(
            names
                .iter()
                .filter(|name| !supported.contains(name))
                .map(|name| format!("{method_name} {name}")),
        );
    }
    assert!(
        missing.is_empty(),
        "libssh2 was built without {missing:?}: its C build did not get the \
         -DLIBSSH2_*_ENABLE flags (see vendor/libssh2-sys/build.rs)"
    );
}

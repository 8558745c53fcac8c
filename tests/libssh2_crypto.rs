//! The X25519 and Ed25519 functions netrun's libssh2 calls for the curve25519 key exchange and
//! the `ssh-ed25519` host-key check (vendor/libssh2-sys/PATCHES.md), against the RFCs' own test
//! vectors: RFC 7748 §6.1 (the Diffie-Hellman example) and RFC 8032 §7.1 (TEST 1 and TEST 2).
//! Every SSH test against the testbed and OpenSSH runs them in real handshakes; these pin the
//! arithmetic and the refusals to published values.

// The functions are libssh2-sys's (`#[no_mangle]`); naming the crate links it.
extern crate ssh2;

extern "C" {
    fn netrun_x25519_public(private_key: *const u8, public_key: *mut u8);
    fn netrun_x25519_shared(
        private_key: *const u8,
        peer_public_key: *const u8,
        shared_key: *mut u8,
    ) -> i32;
    fn netrun_ed25519_verify(
        public_key: *const u8,
        sig: *const u8,
        sig_len: usize,
        m: *const u8,
        m_len: usize,
    ) -> i32;
}

fn bytes<const N: usize>(hex: &str) -> [u8; N] {
    assert_eq!(hex.len(), 2 * N, "{hex}");
    let mut out = [0u8; N];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).expect("hex");
    }
    out
}

fn public(private_key: &[u8; 32]) -> [u8; 32] {
    let mut key = [0u8; 32];
    // SAFETY: both pointers are to 32-byte arrays.
    unsafe { netrun_x25519_public(private_key.as_ptr(), key.as_mut_ptr()) };
    key
}

fn shared(private_key: &[u8; 32], peer: &[u8; 32]) -> Result<[u8; 32], i32> {
    let mut key = [0u8; 32];
    // SAFETY: all three pointers are to 32-byte arrays.
    let rc = unsafe { netrun_x25519_shared(private_key.as_ptr(), peer.as_ptr(), key.as_mut_ptr()) };
    if rc == 0 {
        Ok(key)
    } else {
        Err(rc)
    }
}

fn verify(public_key: &[u8; 32], signature: &[u8], message: &[u8]) -> bool {
    // SAFETY: the key is 32 bytes; the signature and message pointers come with their lengths.
    let rc = unsafe {
        netrun_ed25519_verify(
            public_key.as_ptr(),
            signature.as_ptr(),
            signature.len(),
            message.as_ptr(),
            message.len(),
        )
    };
    rc == 0
}

const ALICE_PRIVATE: &str = "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a";
const ALICE_PUBLIC: &str = "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a";
const BOB_PRIVATE: &str = "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb";
const BOB_PUBLIC: &str = "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f";
const SHARED_SECRET: &str = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";

#[test]
fn x25519_matches_rfc_7748() {
    let (alice, bob) = (bytes::<32>(ALICE_PRIVATE), bytes::<32>(BOB_PRIVATE));
    assert_eq!(public(&alice), bytes(ALICE_PUBLIC));
    assert_eq!(public(&bob), bytes(BOB_PUBLIC));
    assert_eq!(shared(&alice, &bytes(BOB_PUBLIC)), Ok(bytes(SHARED_SECRET)));
    assert_eq!(shared(&bob, &bytes(ALICE_PUBLIC)), Ok(bytes(SHARED_SECRET)));
}

#[test]
fn x25519_refuses_a_small_order_peer_key() {
    // u = 0 and u = 1 are points of small order: every secret gives an all-zero result, which
    // RFC 8731 §3.1 says to refuse (OpenSSL's derive refused it too).
    let alice = bytes::<32>(ALICE_PRIVATE);
    let mut one = [0u8; 32];
    one[0] = 1;
    assert_eq!(shared(&alice, &[0u8; 32]), Err(-1));
    assert_eq!(shared(&alice, &one), Err(-1));
}

const TEST1_PUBLIC: &str = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
const TEST1_SIGNATURE: &str = "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155\
                               5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b";
const TEST2_PUBLIC: &str = "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c";
const TEST2_SIGNATURE: &str = "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da\
                               085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00";

fn signature(hex: &str) -> [u8; 64] {
    bytes(&hex.split_whitespace().collect::<String>())
}

#[test]
fn ed25519_accepts_rfc_8032_signatures() {
    assert!(verify(
        &bytes(TEST1_PUBLIC),
        &signature(TEST1_SIGNATURE),
        b""
    ));
    assert!(verify(
        &bytes(TEST2_PUBLIC),
        &signature(TEST2_SIGNATURE),
        &[0x72]
    ));
}

#[test]
fn ed25519_refuses_what_was_not_signed() {
    let (key, good) = (bytes::<32>(TEST2_PUBLIC), signature(TEST2_SIGNATURE));
    // Another message, another key, a flipped bit in R and in S, a truncated signature.
    assert!(!verify(&key, &good, &[0x73]));
    assert!(!verify(&bytes(TEST1_PUBLIC), &good, &[0x72]));
    for flipped in [0, 40] {
        let mut bad = good;
        bad[flipped] ^= 0x01;
        assert!(
            !verify(&key, &bad, &[0x72]),
            "bit flipped in byte {flipped}"
        );
    }
    assert!(!verify(&key, &good[..63], &[0x72]));
    // S ≥ the group order is not canonical (RFC 8032 §5.1.7): here S = its top bit set.
    let mut unreduced = good;
    unreduced[63] |= 0x80;
    assert!(!verify(&key, &unreduced, &[0x72]));
}

//! The X25519 and Ed25519 functions netrun's libssh2 calls for the curve25519 key exchange and
//! the `ssh-ed25519` host-key check, and the ChaCha20 keystream of its
//! `chacha20-poly1305@openssh.com` (vendor/libssh2-sys/PATCHES.md), against the RFCs' own test
//! vectors: RFC 7748 §6.1 (the Diffie-Hellman example), RFC 8032 §7.1 (TEST 1 and TEST 2) and
//! RFC 8439 §2.4.2 (the ChaCha20 encryption example), and against OpenSSL's own X25519, Ed25519
//! and ChaCha20 (which netrun's libssh2 no longer calls for them) on a few hundred inputs, half
//! of the X25519 keys points on the twist. Every SSH test against the
//! testbed and OpenSSH runs them in real handshakes; these pin the arithmetic and the refusals
//! to published values and to an implementation we did not write.

use std::ffi::{c_int, c_void};
use std::ptr;

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

/// libssh2's `struct chacha_ctx` (chacha.h): the sixteen state words.
#[repr(C)]
struct ChachaCtx {
    input: [u32; 16],
}

// libssh2's ChaCha20 as `cipher-chachapoly.c` calls it (chacha.c); the keystream is netrun's.
extern "C" {
    fn chacha_keysetup(ctx: *mut ChachaCtx, key: *const u8, bits: u32);
    fn chacha_ivsetup(ctx: *mut ChachaCtx, iv: *const u8, counter: *const u8);
    fn chacha_encrypt_bytes(ctx: *mut ChachaCtx, m: *const u8, c: *mut u8, bytes: usize);
}

// OpenSSL 3's EVP API (libcrypto is linked through libssh2-sys's openssl-sys).
extern "C" {
    fn EVP_chacha20() -> *const c_void;
    fn EVP_CIPHER_CTX_new() -> *mut c_void;
    fn EVP_CIPHER_CTX_free(ctx: *mut c_void);
    fn EVP_EncryptInit_ex(
        ctx: *mut c_void,
        cipher: *const c_void,
        engine: *mut c_void,
        key: *const u8,
        iv: *const u8,
    ) -> c_int;
    fn EVP_EncryptUpdate(
        ctx: *mut c_void,
        out: *mut u8,
        out_len: *mut c_int,
        input: *const u8,
        in_len: c_int,
    ) -> c_int;
    fn EVP_PKEY_new_raw_private_key(
        kind: c_int,
        engine: *mut c_void,
        key: *const u8,
        len: usize,
    ) -> *mut c_void;
    fn EVP_PKEY_new_raw_public_key(
        kind: c_int,
        engine: *mut c_void,
        key: *const u8,
        len: usize,
    ) -> *mut c_void;
    fn EVP_PKEY_get_raw_public_key(key: *const c_void, out: *mut u8, len: *mut usize) -> c_int;
    fn EVP_PKEY_free(key: *mut c_void);
    fn EVP_PKEY_CTX_new(key: *mut c_void, engine: *mut c_void) -> *mut c_void;
    fn EVP_PKEY_CTX_free(ctx: *mut c_void);
    fn EVP_PKEY_derive_init(ctx: *mut c_void) -> c_int;
    fn EVP_PKEY_derive_set_peer(ctx: *mut c_void, peer: *mut c_void) -> c_int;
    fn EVP_PKEY_derive(ctx: *mut c_void, out: *mut u8, len: *mut usize) -> c_int;
    fn EVP_MD_CTX_new() -> *mut c_void;
    fn EVP_MD_CTX_free(ctx: *mut c_void);
    fn EVP_DigestSignInit(
        ctx: *mut c_void,
        pctx: *mut *mut c_void,
        md: *const c_void,
        engine: *mut c_void,
        key: *mut c_void,
    ) -> c_int;
    fn EVP_DigestSign(
        ctx: *mut c_void,
        sig: *mut u8,
        sig_len: *mut usize,
        m: *const u8,
        m_len: usize,
    ) -> c_int;
}

const NID_X25519: c_int = 1034;
const NID_ED25519: c_int = 1087;

/// OpenSSL's public key for a raw private key of `kind`.
fn openssl_public(kind: c_int, private_key: &[u8; 32]) -> [u8; 32] {
    let mut out = [0u8; 32];
    let mut len = out.len();
    // SAFETY: the key buffer is 32 bytes; the EVP_PKEY is checked, used and freed here.
    unsafe {
        let key = EVP_PKEY_new_raw_private_key(kind, ptr::null_mut(), private_key.as_ptr(), 32);
        assert!(!key.is_null(), "OpenSSL took the private key");
        assert_eq!(
            EVP_PKEY_get_raw_public_key(key, out.as_mut_ptr(), &mut len),
            1
        );
        EVP_PKEY_free(key);
    }
    assert_eq!(len, 32);
    out
}

/// OpenSSL's X25519 shared secret, or None when it refuses (an all-zero result).
fn openssl_shared(private_key: &[u8; 32], peer: &[u8; 32]) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    let mut len = out.len();
    // SAFETY: the key buffers are 32 bytes; every EVP object is checked, used and freed here.
    let rc = unsafe {
        let own =
            EVP_PKEY_new_raw_private_key(NID_X25519, ptr::null_mut(), private_key.as_ptr(), 32);
        let theirs = EVP_PKEY_new_raw_public_key(NID_X25519, ptr::null_mut(), peer.as_ptr(), 32);
        assert!(
            !own.is_null() && !theirs.is_null(),
            "OpenSSL took both keys"
        );
        let ctx = EVP_PKEY_CTX_new(own, ptr::null_mut());
        assert!(!ctx.is_null());
        assert_eq!(EVP_PKEY_derive_init(ctx), 1);
        assert_eq!(EVP_PKEY_derive_set_peer(ctx, theirs), 1);
        let rc = EVP_PKEY_derive(ctx, out.as_mut_ptr(), &mut len);
        EVP_PKEY_CTX_free(ctx);
        EVP_PKEY_free(theirs);
        EVP_PKEY_free(own);
        rc
    };
    (rc == 1 && len == 32).then_some(out)
}

/// OpenSSL's Ed25519 signature of `message` under the raw private key `seed`.
fn openssl_sign(seed: &[u8; 32], message: &[u8]) -> [u8; 64] {
    let mut sig = [0u8; 64];
    let mut len = sig.len();
    // SAFETY: the key is 32 bytes, the signature buffer 64; the objects are freed here.
    unsafe {
        let key = EVP_PKEY_new_raw_private_key(NID_ED25519, ptr::null_mut(), seed.as_ptr(), 32);
        let ctx = EVP_MD_CTX_new();
        assert!(!key.is_null() && !ctx.is_null());
        let null = ptr::null_mut();
        assert_eq!(
            EVP_DigestSignInit(ctx, ptr::null_mut(), ptr::null(), null, key),
            1
        );
        let rc = EVP_DigestSign(
            ctx,
            sig.as_mut_ptr(),
            &mut len,
            message.as_ptr(),
            message.len(),
        );
        assert_eq!(rc, 1, "OpenSSL signed");
        EVP_MD_CTX_free(ctx);
        EVP_PKEY_free(key);
    }
    sig
}

/// A fixed pseudo-random sequence (xorshift64*), so a failure names a reproducible key.
struct Keys(u64);

impl Keys {
    fn next(&mut self) -> [u8; 32] {
        let mut out = [0u8; 32];
        for chunk in out.chunks_mut(8) {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            chunk.copy_from_slice(&self.0.wrapping_mul(0x2545_f491_4f6c_dd1d).to_le_bytes());
        }
        out
    }
}

/// `message` through libssh2's ChaCha20 from block `counter` under `key` and the 64-bit `nonce`
/// (as `chachapoly_crypt` runs it, with the packet's sequence number as the nonce), and the
/// block counter the state holds afterwards.
fn libssh2_chacha(key: &[u8; 32], nonce: &[u8; 8], counter: u64, message: &[u8]) -> (Vec<u8>, u64) {
    let mut ctx = ChachaCtx { input: [0; 16] };
    let mut out = vec![0u8; message.len()];
    // SAFETY: the context is libssh2's layout; key, nonce and counter are 32, 8 and 8 bytes;
    // `out` has room for all of `message`.
    unsafe {
        chacha_keysetup(&mut ctx, key.as_ptr(), 256);
        chacha_ivsetup(&mut ctx, nonce.as_ptr(), counter.to_le_bytes().as_ptr());
        chacha_encrypt_bytes(&mut ctx, message.as_ptr(), out.as_mut_ptr(), message.len());
    }
    let after = u64::from(ctx.input[12]) | (u64::from(ctx.input[13]) << 32);
    (out, after)
}

/// The same through OpenSSL's ChaCha20, whose 16-byte IV (a 32-bit counter, then a 96-bit
/// nonce) lays out the same state words while the counter stays below 2³².
fn openssl_chacha(key: &[u8; 32], nonce: &[u8; 8], counter: u64, message: &[u8]) -> Vec<u8> {
    let mut iv = [0u8; 16];
    iv[..8].copy_from_slice(&counter.to_le_bytes());
    iv[8..].copy_from_slice(nonce);
    let mut out = vec![0u8; message.len()];
    let mut len: c_int = 0;
    // SAFETY: key and IV are 32 and 16 bytes; `out` has room for the stream cipher's output,
    // which is as long as its input; the context is checked, used and freed here.
    unsafe {
        let ctx = EVP_CIPHER_CTX_new();
        assert!(!ctx.is_null());
        let init = EVP_EncryptInit_ex(
            ctx,
            EVP_chacha20(),
            ptr::null_mut(),
            key.as_ptr(),
            iv.as_ptr(),
        );
        assert_eq!(init, 1);
        let rc = EVP_EncryptUpdate(
            ctx,
            out.as_mut_ptr(),
            &mut len,
            message.as_ptr(),
            c_int::try_from(message.len()).expect("short message"),
        );
        EVP_CIPHER_CTX_free(ctx);
        assert_eq!(rc, 1);
    }
    assert_eq!(len as usize, message.len());
    out
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
fn x25519_matches_rfc_7748_section_5_2() {
    // Including a u with its top bit set, which X25519 ignores, and the iterated function's
    // first step (k = u = 9).
    let vectors = [
        (
            "a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
            "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
            "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552",
        ),
        (
            "4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
            "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
            "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957",
        ),
        (
            "0900000000000000000000000000000000000000000000000000000000000000",
            "0900000000000000000000000000000000000000000000000000000000000000",
            "422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079",
        ),
    ];
    for (scalar, u, out) in vectors {
        assert_eq!(
            shared(&bytes(scalar), &bytes(u)),
            Ok(bytes(out)),
            "k {scalar}, u {u}"
        );
    }
}

#[test]
fn x25519_agrees_with_openssl_on_the_curve_and_on_its_twist() {
    let mut keys = Keys(0x6e65_7472_756e_2d78);
    for _ in 0..150 {
        let (private_key, peer) = (keys.next(), keys.next());
        assert_eq!(
            public(&private_key),
            openssl_public(NID_X25519, &private_key),
            "public key of {private_key:02x?}"
        );
        assert_eq!(
            shared(&private_key, &peer).ok(),
            openssl_shared(&private_key, &peer),
            "k {private_key:02x?}, u {peer:02x?}"
        );
    }
}

#[test]
fn ed25519_agrees_with_openssl_signatures() {
    let mut keys = Keys(0x6e65_7472_756e_2d65);
    for round in 0..40 {
        let (seed, message) = (keys.next(), keys.next());
        let message = &message[..round % 33];
        let key = openssl_public(NID_ED25519, &seed);
        let signature = openssl_sign(&seed, message);
        assert!(verify(&key, &signature, message), "round {round}");
        let mut forged = signature;
        forged[round % 64] ^= 1 << (round % 8);
        assert!(!verify(&key, &forged, message), "round {round}, forged");
    }
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

#[test]
fn ed25519_accepts_rfc_8032_signatures() {
    assert!(verify(
        &bytes(TEST1_PUBLIC),
        &bytes::<64>(TEST1_SIGNATURE),
        b""
    ));
    assert!(verify(
        &bytes(TEST2_PUBLIC),
        &bytes::<64>(TEST2_SIGNATURE),
        &[0x72]
    ));
}

#[test]
fn ed25519_refuses_what_was_not_signed() {
    let (key, good) = (bytes::<32>(TEST2_PUBLIC), bytes::<64>(TEST2_SIGNATURE));
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

#[test]
fn chacha20_matches_rfc_8439_section_2_4_2() {
    let key: [u8; 32] = std::array::from_fn(|i| i as u8);
    // RFC 8439's nonce 00:00:00:00:00:00:00:4a:00:00:00:00 and counter 1: in the 64-bit layout,
    // counter 1 (its first nonce word is 0) and nonce 00:00:00:4a:00:00:00:00.
    let nonce = [0, 0, 0, 0x4a, 0, 0, 0, 0];
    let plaintext = b"Ladies and Gentlemen of the class of '99: If I could offer you only one \
tip for the future, sunscreen would be it.";
    let ciphertext = bytes::<114>(concat!(
        "6e2e359a2568f98041ba0728dd0d6981e97e7aec1d4360c20a27afccfd9fae0b",
        "f91b65c5524733ab8f593dabcd62b3571639d624e65152ab8f530c359f0861d8",
        "07ca0dbf500d6a6156a38e088a22b65e52bc514d16ccf806818ce91ab7793736",
        "5af90bbf74a35be6b40b8eedf2785e42874d",
    ));
    let (out, after) = libssh2_chacha(&key, &nonce, 1, plaintext);
    assert_eq!(out, ciphertext);
    assert_eq!(after, 3, "two blocks used: 64 bytes and 50");
    // In place, as chachapoly_crypt makes its Poly1305 key.
    let mut ctx = ChachaCtx { input: [0; 16] };
    let mut buf = plaintext.to_vec();
    // SAFETY: as in libssh2_chacha; source and destination are the same buffer.
    unsafe {
        chacha_keysetup(&mut ctx, key.as_ptr(), 256);
        chacha_ivsetup(&mut ctx, nonce.as_ptr(), 1u64.to_le_bytes().as_ptr());
        chacha_encrypt_bytes(&mut ctx, buf.as_ptr(), buf.as_mut_ptr(), buf.len());
    }
    assert_eq!(buf, ciphertext);
}

#[test]
fn chacha20_agrees_with_openssl() {
    let mut keys = Keys(0x6e65_7472_756e_2d63);
    for round in 0..200usize {
        let key = keys.next();
        let nonce: [u8; 8] = keys.next()[..8].try_into().expect("8 bytes");
        let message: Vec<u8> = (0..3).flat_map(|_| keys.next()).take(round % 97).collect();
        // Counters 0 and 1 (the Poly1305 key, the payload) and then arbitrary ones.
        let counter = match round % 3 {
            0 => 0,
            1 => 1,
            _ => u64::from(u32::from_le_bytes(keys.next()[..4].try_into().expect("4 bytes")) >> 1),
        };
        let (ours, after) = libssh2_chacha(&key, &nonce, counter, &message);
        assert_eq!(
            ours,
            openssl_chacha(&key, &nonce, counter, &message),
            "round {round}"
        );
        assert_eq!(after, counter + message.len().div_ceil(64) as u64);
    }
}

#[test]
fn chacha20_counter_carries_into_its_high_word() {
    // Block 2³² − 1 then 2³² is one stream: 128 bytes from the first equal 64 from each.
    let (key, nonce) = ([7u8; 32], [9u8; 8]);
    let message = [0u8; 128];
    let last_low = u64::from(u32::MAX);
    let (both, after) = libssh2_chacha(&key, &nonce, last_low, &message);
    let (first, _) = libssh2_chacha(&key, &nonce, last_low, &message[..64]);
    let (second, _) = libssh2_chacha(&key, &nonce, last_low + 1, &message[..64]);
    assert_eq!(both, [first, second].concat());
    assert_eq!(after, last_low + 2);
}

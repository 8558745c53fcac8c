//! netrun patch (PATCHES.md): the curve25519 key exchange's X25519 and the `ssh-ed25519`
//! host-key check for libssh2's `openssl.c`, in curve25519-dalek and ed25519-dalek.
//!
//! Why: through OpenSSL 3's EVP layer these cost about 2.7 M instructions per handshake, most
//! of it algorithm fetches and key-object construction around the arithmetic (and one extra
//! scalar multiplication: importing the raw X25519 private key recomputes its public key).
//! The functions take fixed-size raw keys, so the C side stays a few lines each.

use std::slice;

use curve25519_dalek::montgomery::MontgomeryPoint;
use curve25519_dalek::scalar::{clamp_integer, Scalar};
use ed25519_dalek::{Signature, Verifier, VerifyingKey};

const KEY_LEN: usize = 32;
const SIGNATURE_LEN: usize = 64;

/// Reads a 32-byte key.
///
/// # Safety
/// `key` points to at least 32 readable bytes.
unsafe fn key_at(key: *const u8) -> [u8; KEY_LEN] {
    let mut bytes = [0u8; KEY_LEN];
    bytes.copy_from_slice(slice::from_raw_parts(key, KEY_LEN));
    bytes
}

/// The X25519 public key of `private_key` (clamped, RFC 7748).
///
/// # Safety
/// `private_key` points to 32 readable bytes and `public_key` to 32 writable ones
/// (`ssh2_curve25519_new` passes its stack key and a 32-byte allocation).
#[no_mangle]
pub unsafe extern "C" fn netrun_x25519_public(private_key: *const u8, public_key: *mut u8) {
    let point = MontgomeryPoint::mul_base_clamped(key_at(private_key));
    slice::from_raw_parts_mut(public_key, KEY_LEN).copy_from_slice(point.as_bytes());
}

/// The X25519 shared secret of `private_key` and the peer's `peer_public_key` into
/// `shared_key`; -1 (and `shared_key` untouched) when it is all zeros, the result of a
/// small-order peer key, which RFC 8731 says to refuse.
///
/// # Safety
/// Each pointer points to 32 bytes, readable (the keys) or writable (`shared_key`);
/// `ssh2_curve25519_gen_k` passes its session's key buffers and a stack array.
#[no_mangle]
pub unsafe extern "C" fn netrun_x25519_shared(
    private_key: *const u8,
    peer_public_key: *const u8,
    shared_key: *mut u8,
) -> i32 {
    let shared = x25519(key_at(private_key), MontgomeryPoint(key_at(peer_public_key)));
    if shared.as_bytes().iter().all(|&b| b == 0) {
        return -1;
    }
    slice::from_raw_parts_mut(shared_key, KEY_LEN).copy_from_slice(shared.as_bytes());
    0
}

/// X25519(`private_key`, `peer`), RFC 7748. A peer key on the curve goes through the Edwards
/// form, whose variable-base multiplication uses curve25519-dalek's vector backend (about 30%
/// fewer instructions than its Montgomery ladder, which has only the serial one); a point on
/// the twist, which has no Edwards form, takes the ladder. Which path runs depends only on the
/// peer's public key. For any curve point P and clamped k = 8·k′: k·P = k′·(8·P), and k′ < 2²⁵²
/// needs no reduction; a small-order P gives the identity, u = 0, as the ladder does.
fn x25519(private_key: [u8; KEY_LEN], peer: MontgomeryPoint) -> MontgomeryPoint {
    let Some(point) = peer.to_edwards(0) else {
        return peer.mul_clamped(private_key);
    };
    let clamped = clamp_integer(private_key);
    let mut eighth = [0u8; KEY_LEN];
    for i in 0..KEY_LEN {
        let next = clamped.get(i + 1).copied().unwrap_or(0);
        eighth[i] = (clamped[i] >> 3) | (next << 5);
    }
    (point.mul_by_cofactor() * Scalar::from_bytes_mod_order(eighth)).to_montgomery()
}

/// 0 when `sig` is a valid Ed25519 signature (RFC 8032) of `m` under `public_key`, -1
/// otherwise (a malformed key or signature included).
///
/// # Safety
/// `public_key` points to 32 readable bytes, `sig` to `sig_len` and `m` to `m_len` readable
/// bytes (`ssh2_ed25519_verify` passes the host key it extracted and the packet's buffers).
#[no_mangle]
pub unsafe extern "C" fn netrun_ed25519_verify(
    public_key: *const u8,
    sig: *const u8,
    sig_len: usize,
    m: *const u8,
    m_len: usize,
) -> i32 {
    let Ok(signature) = <[u8; SIGNATURE_LEN]>::try_from(slice::from_raw_parts(sig, sig_len))
    else {
        return -1;
    };
    let Ok(key) = VerifyingKey::from_bytes(&key_at(public_key)) else {
        return -1;
    };
    let message = if m_len == 0 { &[][..] } else { slice::from_raw_parts(m, m_len) };
    match key.verify(message, &Signature::from_bytes(&signature)) {
        Ok(()) => 0,
        Err(_) => -1,
    }
}

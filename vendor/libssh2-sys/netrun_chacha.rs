//! netrun patch (PATCHES.md): the ChaCha20 keystream of libssh2's
//! `chacha20-poly1305@openssh.com` (`chacha_encrypt_bytes` in `chacha.c`) from RustCrypto's
//! `chacha20`, which picks AVX2 or SSE2 at run time. The portable C block function it replaces
//! cost about 4 K instructions per packet (three keystream runs: the Poly1305 key, the length,
//! the payload), most of a session's cipher work.
//!
//! The state is libssh2's `struct chacha_ctx`, sixteen words laid out as in D. J. Bernstein's
//! original ChaCha: constants (0–3), a 256-bit key (4–11; libssh2 keys it with 256 bits only),
//! a 64-bit block counter (12–13) and a 64-bit nonce (14–15) — the `ChaCha20Legacy` variant.

use std::ptr;
use std::slice;

use chacha20::cipher::{KeyIvInit, StreamCipher, StreamCipherSeek};
use chacha20::ChaCha20Legacy;

const BLOCK_LEN: u64 = 64;

fn le_bytes<const N: usize>(words: &[u32]) -> [u8; N] {
    let mut bytes = [0u8; N];
    for (chunk, word) in bytes.chunks_exact_mut(4).zip(words) {
        chunk.copy_from_slice(&word.to_le_bytes());
    }
    bytes
}

/// `bytes` bytes of `m` XORed with the keystream of `state` into `c` (in place when `m` is
/// `c`), then the block counter advanced past the blocks used, as the C function did.
///
/// # Safety
/// `state` points to libssh2's 16-word context, `m` to `bytes` readable and `c` to `bytes`
/// writable bytes; `m` and `c` are the same buffer or do not overlap.
#[no_mangle]
pub unsafe extern "C" fn netrun_chacha_encrypt_bytes(
    state: *mut u32,
    m: *const u8,
    c: *mut u8,
    bytes: usize,
) {
    if bytes == 0 {
        return;
    }
    let words = slice::from_raw_parts_mut(state, 16);
    let key: [u8; 32] = le_bytes(&words[4..12]);
    let nonce: [u8; 8] = le_bytes(&words[14..16]);
    let block = u64::from(words[12]) | (u64::from(words[13]) << 32);
    let mut cipher = ChaCha20Legacy::new(&key.into(), &nonce.into());
    cipher.seek(u128::from(block) * u128::from(BLOCK_LEN));
    if !ptr::eq(m, c) {
        ptr::copy_nonoverlapping(m, c, bytes);
    }
    cipher.apply_keystream(slice::from_raw_parts_mut(c, bytes));
    let next = block.wrapping_add((bytes as u64).div_ceil(BLOCK_LEN));
    words[12] = next as u32;
    words[13] = (next >> 32) as u32;
}

//! netrun patch (PATCHES.md): libssh2's random bytes (`ssh2_random` in `openssl.c`: the
//! curve25519 private key, the KEXINIT cookie, every packet's padding) from a per-thread
//! ChaCha20 keystream keyed by the kernel, built the way OpenSSH's `arc4random` is.
//!
//! Why: OpenSSL 3's `RAND_bytes` cost about 6 K instructions and a `getpid` system call (its
//! fork check) per call, and a session makes about 21 calls. Here a call copies bytes out of a
//! buffer, and the buffer is refilled from ChaCha20 every 1 KiB.
//!
//! - **Seeded by the kernel:** 32 bytes of `getrandom(2)` start each thread's stream, and 32
//!   more are mixed into the key every 1 MiB of output.
//! - **Fast key erasure:** each refill draws the next key from the keystream before the
//!   bytes it hands out, and every byte handed out is zeroed in the buffer, so the state a
//!   thread holds cannot reproduce anything it already returned (earlier sessions' keys).
//! - **Fork-safe:** a `pthread_atfork` child handler counts forks; a stream made before the
//!   current count is thrown away and reseeded, so a forked worker never repeats its parent's
//!   bytes (or a sibling's). The handler is registered before the first stream exists.

use std::cell::RefCell;
use std::io;
use std::slice;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Once;

use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;
use zeroize::Zeroize;

const KEY_LEN: usize = 32;
/// Keystream handed out between two refills (arc4random's `RSBUFSZ`).
const BUFFER_LEN: usize = 1024;
/// Refills between two mixes of fresh kernel entropy into the key: 1 MiB of output.
const REFILLS_PER_RESEED: u32 = 1024;

/// Forks seen by this process's children (incremented in each child by the atfork handler).
static FORKS: AtomicU64 = AtomicU64::new(0);
/// Whether the atfork handler is in place; without it every call reads the kernel directly.
static FORK_HANDLER: AtomicBool = AtomicBool::new(false);
static REGISTER: Once = Once::new();

extern "C" fn count_fork_in_child() {
    FORKS.fetch_add(1, Ordering::Relaxed);
}

/// One thread's keystream: `buffer[BUFFER_LEN - left..]` is not handed out yet.
struct Stream {
    forks: u64,
    key: [u8; KEY_LEN],
    buffer: [u8; BUFFER_LEN],
    left: usize,
    refills: u32,
}

impl Stream {
    fn seeded(forks: u64) -> io::Result<Box<Stream>> {
        let mut stream = Box::new(Stream {
            forks,
            key: [0; KEY_LEN],
            buffer: [0; BUFFER_LEN],
            left: 0,
            refills: 0,
        });
        kernel_random(&mut stream.key)?;
        Ok(stream)
    }

    fn fill(&mut self, out: &mut [u8]) -> io::Result<()> {
        let mut written = 0;
        while written < out.len() {
            if self.left == 0 {
                self.refill()?;
            }
            let n = self.left.min(out.len() - written);
            let from = BUFFER_LEN - self.left;
            out[written..written + n].copy_from_slice(&self.buffer[from..from + n]);
            self.buffer[from..from + n].fill(0);
            self.left -= n;
            written += n;
        }
        Ok(())
    }

    /// The next key, then a buffer of output, from the keystream of the current key.
    fn refill(&mut self) -> io::Result<()> {
        if self.refills == REFILLS_PER_RESEED {
            let mut fresh = [0u8; KEY_LEN];
            kernel_random(&mut fresh)?;
            self.key.iter_mut().zip(fresh).for_each(|(k, f)| *k ^= f);
            self.refills = 0;
        }
        let mut keystream = ChaCha20Rng::from_seed(self.key);
        keystream.fill_bytes(&mut self.key);
        keystream.fill_bytes(&mut self.buffer);
        self.left = BUFFER_LEN;
        self.refills += 1;
        Ok(())
    }
}

/// A thread's key and unused keystream do not outlive it in freed memory.
impl Drop for Stream {
    fn drop(&mut self) {
        self.key.zeroize();
        self.buffer.zeroize();
    }
}

thread_local! {
    static STREAM: RefCell<Option<Box<Stream>>> = const { RefCell::new(None) };
}

/// `out.len()` bytes from `getrandom(2)`, retried on interruption and short reads.
fn kernel_random(out: &mut [u8]) -> io::Result<()> {
    let mut filled = 0;
    while filled < out.len() {
        let rest = &mut out[filled..];
        // SAFETY: `rest` is a live, writable buffer of `rest.len()` bytes.
        let n = unsafe { libc::getrandom(rest.as_mut_ptr().cast(), rest.len(), 0) };
        if n < 0 {
            let err = io::Error::last_os_error();
            if err.kind() != io::ErrorKind::Interrupted {
                return Err(err);
            }
            continue;
        }
        filled += n as usize;
    }
    Ok(())
}

fn register_fork_handler() {
    REGISTER.call_once(|| {
        // SAFETY: the handler is an `extern "C"` function with no arguments that only touches
        // an atomic, which is async-signal-safe as a forked child's handler must be.
        let rc = unsafe { libc::pthread_atfork(None, None, Some(count_fork_in_child)) };
        FORK_HANDLER.store(rc == 0, Ordering::Release);
    });
}

/// `out.len()` random bytes: this thread's stream, reseeded if a fork happened since it was
/// made; the kernel directly where there is no stream (no fork handler, a thread exiting).
fn fill_random(out: &mut [u8]) -> io::Result<()> {
    register_fork_handler();
    if !FORK_HANDLER.load(Ordering::Acquire) {
        return kernel_random(out);
    }
    let forks = FORKS.load(Ordering::Relaxed);
    STREAM
        .try_with(|cell| {
            let mut slot = cell.borrow_mut();
            // A stream from before the last fork is dropped (and zeroed) here.
            let stream = match slot.take() {
                Some(stream) if stream.forks == forks => stream,
                _ => Stream::seeded(forks)?,
            };
            slot.insert(stream).fill(out)
        })
        .unwrap_or_else(|_| kernel_random(out))
}

/// libssh2's `ssh2_random`: 0 with `len` random bytes at `buf`, -1 if the kernel gave none.
///
/// # Safety
/// `buf` points to `len` writable bytes (libssh2 passes key, cookie and padding buffers).
#[no_mangle]
pub unsafe extern "C" fn netrun_random(buf: *mut u8, len: usize) -> i32 {
    if len == 0 {
        return 0;
    }
    match fill_random(slice::from_raw_parts_mut(buf, len)) {
        Ok(()) => 0,
        Err(_) => -1,
    }
}

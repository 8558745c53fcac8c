//! The random bytes netrun's libssh2 uses for key pairs, cookies and padding
//! (vendor/libssh2-sys/netrun_random.rs): a per-thread ChaCha20 stream keyed by the kernel.
//! Its own `main`, without the test harness, so that it forks before any thread exists, as
//! netrun's fork strategy does: a forked worker must never repeat its parent's bytes or a
//! sibling's, which is what a user-space generator gets wrong when it misses the fork.

use std::collections::HashSet;
use std::io::{Read, Write};
use std::os::fd::FromRawFd;

// The function is libssh2-sys's (`#[no_mangle]`); naming the crate links it.
extern crate ssh2;

extern "C" {
    fn netrun_random(buf: *mut u8, len: usize) -> i32;
}

fn random(len: usize) -> Vec<u8> {
    let mut out = vec![0u8; len];
    // SAFETY: `out` has `len` writable bytes.
    let rc = unsafe { netrun_random(out.as_mut_ptr(), len) };
    assert_eq!(rc, 0, "netrun_random({len})");
    out
}

/// Every length works, across the 1 KiB refills, and 32-byte draws never repeat.
fn draws_of_any_length_differ() {
    for len in [0, 1, 31, 32, 1023, 1024, 1025, 4096, 70_000] {
        assert_eq!(random(len).len(), len);
    }
    let draws: HashSet<Vec<u8>> = (0..10_000).map(|_| random(32)).collect();
    assert_eq!(draws.len(), 10_000, "a 32-byte draw repeated");
}

/// 1 MiB of output (past the reseed from the kernel) looks uniform: each byte value's count
/// within 6 standard deviations of 4,096, which a stuck, zeroed or biased stream is not.
fn bytes_are_uniform() {
    let mut counts = [0u32; 256];
    for _ in 0..1024 {
        for byte in random(1024) {
            counts[usize::from(byte)] += 1;
        }
    }
    let expected: f64 = 1024.0 * 1024.0 / 256.0;
    let sd = (expected * (1.0 - 1.0 / 256.0)).sqrt();
    for (value, &count) in counts.iter().enumerate() {
        assert!(
            (f64::from(count) - expected).abs() < 6.0 * sd,
            "byte {value:#04x} came {count} times in 1 MiB"
        );
    }
}

/// What a forked child (and its own child, if `depth` > 1) draws first: 64 bytes each,
/// through a pipe.
fn drawn_in_child(depth: u32) -> Vec<Vec<u8>> {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two descriptors pipe(2) writes.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    // SAFETY: this process has one thread (no harness), so the child may run Rust code; it
    // only draws, writes to the pipe and leaves with _exit.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork");
    if pid == 0 {
        // SAFETY: the write end is this child's own descriptor from pipe(2) above.
        let mut pipe = unsafe { std::fs::File::from_raw_fd(fds[1]) };
        let mut drawn = vec![random(64)];
        if depth > 1 {
            drawn.extend(drawn_in_child(depth - 1));
        }
        let ok = pipe.write_all(&drawn.concat()).is_ok();
        // SAFETY: leaving the child at once, without the parent's exit handlers.
        unsafe { libc::_exit(if ok { 0 } else { 1 }) };
    }
    // SAFETY: the write end is this process's own descriptor from pipe(2) above, unused here.
    unsafe { libc::close(fds[1]) };
    // SAFETY: the read end is this process's own descriptor, owned by the File from here on.
    let mut pipe = unsafe { std::fs::File::from_raw_fd(fds[0]) };
    let mut all = Vec::new();
    pipe.read_to_end(&mut all).expect("read the child's bytes");
    let mut status = 0;
    // SAFETY: `pid` is this process's child; `status` is a live int.
    assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "child failed"
    );
    assert_eq!(all.len(), 64 * depth as usize);
    all.chunks(64).map(<[u8]>::to_vec).collect()
}

/// Children forked from a parent whose stream has bytes buffered draw bytes of their own,
/// unlike the parent's next ones, each other's and their own children's.
fn forked_children_never_repeat_their_parent() {
    random(100);
    let mut seen: Vec<Vec<u8>> = Vec::new();
    for _ in 0..4 {
        seen.extend(drawn_in_child(1));
    }
    seen.extend(drawn_in_child(2));
    seen.push(random(64));
    let distinct: HashSet<&Vec<u8>> = seen.iter().collect();
    assert_eq!(
        distinct.len(),
        seen.len(),
        "a forked process repeated another's bytes"
    );
}

/// Threads have streams of their own.
fn threads_never_repeat_each_other() {
    let drawn: Vec<Vec<u8>> = (0..4)
        .map(|_| std::thread::spawn(|| random(64)))
        .collect::<Vec<_>>()
        .into_iter()
        .map(|t| t.join().expect("thread"))
        .collect();
    let distinct: HashSet<&Vec<u8>> = drawn.iter().collect();
    assert_eq!(distinct.len(), drawn.len());
}

fn main() {
    let checks: [(&str, fn()); 4] = [
        ("draws_of_any_length_differ", draws_of_any_length_differ),
        ("bytes_are_uniform", bytes_are_uniform),
        (
            "forked_children_never_repeat_their_parent",
            forked_children_never_repeat_their_parent,
        ),
        // Last: it starts threads, and nothing forks after it.
        (
            "threads_never_repeat_each_other",
            threads_never_repeat_each_other,
        ),
    ];
    for (name, check) in checks {
        check();
        println!("test {name} ... ok");
    }
}

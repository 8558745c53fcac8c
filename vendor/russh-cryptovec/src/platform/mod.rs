#[cfg(windows)]
mod windows;

// netrun patch (vendor/russh-cryptovec/PATCHES.md): no mlock(2)/munlock(2) on Unix. Upstream
// locks every buffer a CryptoVec allocates into RAM and unlocks it when freed, two system calls
// per buffer that each take the process's mmap lock for writing: about 5% of the testbed's CPU
// serving 5,460 sessions. A simulated lab's keys need no protection from swap; CryptoVec still
// zeroes its memory on clear, reallocation and drop. Unix takes WebAssembly's no-op functions.
#[cfg(not(windows))]
mod wasm;

// Re-export functions based on the platform
#[cfg(not(windows))]
pub use wasm::{mlock, munlock};
#[cfg(windows)]
pub use windows::{mlock, munlock};

#[cfg(windows)]
mod error {
    use std::error::Error;
    use std::fmt::Display;
    use std::sync::atomic::{AtomicBool, Ordering};

    use log::warn;

    #[derive(Debug)]
    pub struct MemoryLockError {
        message: String,
    }

    impl MemoryLockError {
        pub fn new(message: String) -> Self {
            let warning_previously_shown = MLOCK_WARNING_SHOWN.swap(true, Ordering::Relaxed);
            if !warning_previously_shown {
                warn!(
                    "Security warning: OS has failed to lock/unlock memory for a cryptographic buffer: {message}"
                );
                #[cfg(unix)]
                warn!("You might need to increase the RLIMIT_MEMLOCK limit.");
                warn!("This warning will only be shown once.");
            }
            Self { message }
        }
    }

    static MLOCK_WARNING_SHOWN: AtomicBool = AtomicBool::new(false);

    impl Display for MemoryLockError {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "failed to lock/unlock memory: {}", self.message)
        }
    }

    impl Error for MemoryLockError {}
}

#[cfg(windows)]
pub use error::MemoryLockError;

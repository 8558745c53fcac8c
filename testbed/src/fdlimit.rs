//! The open-files budget: a lab needs one descriptor per listening port plus room for sessions;
//! raise the soft limit to the hard one and refuse to start when the lab would not fit.

use crate::lab::LabError;

/// Descriptors kept for sessions (one per connected client) so hundreds of concurrent logins fit.
pub const SESSION_RESERVE: usize = 1024;
/// Descriptors the process and runtime use besides sockets (stdio, epoll, eventfds, files).
pub const RUNTIME_RESERVE: usize = 64;

/// Fail with `TooManyFiles` unless `listeners` plus the reserves fit under the open-files limit
/// (after raising the soft limit as far as the hard limit allows).
pub fn ensure_room(listeners: usize, devices: usize) -> Result<(), LabError> {
    let reserve = SESSION_RESERVE + RUNTIME_RESERVE;
    let needed = (listeners + reserve) as u64;
    let limit = raise_soft_limit();
    if needed > limit {
        return Err(LabError::TooManyFiles {
            devices,
            listeners,
            reserve,
            needed,
            limit,
        });
    }
    Ok(())
}

/// Raise RLIMIT_NOFILE's soft limit to its hard limit; returns the soft limit now in force.
fn raise_soft_limit() -> u64 {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes into the rlimit we own and pass by valid pointer.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        return u64::MAX;
    }
    if lim.rlim_cur < lim.rlim_max {
        let raised = libc::rlimit {
            rlim_cur: lim.rlim_max,
            rlim_max: lim.rlim_max,
        };
        // SAFETY: setrlimit only reads the rlimit we pass by valid pointer.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
            lim = raised;
        }
    }
    lim.rlim_cur
}

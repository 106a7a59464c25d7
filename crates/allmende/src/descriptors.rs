//! Open files a node may hold. Each connection is one, and so are the catalog, the file store
//! and the search index: the soft limit is raised to the hard one at start (as Go's runtime
//! does; the default soft limit is often 1,024), and the connection limit is kept below it, so
//! that a full house of connections never leaves the server unable to open a file.

/// Connections that fit beside the files the server itself needs.
pub fn fit_connections(wanted: usize) -> usize {
    match open_file_limit() {
        Some(limit) => {
            let reserve = (limit / 4).max(256);
            let room = limit.saturating_sub(reserve).max(16);
            if wanted > room {
                tracing::warn!(
                    "max_connections {wanted} lowered to {room}: the open-file limit is {limit}"
                );
                room
            } else {
                wanted
            }
        }
        None => wanted,
    }
}

/// The open-file limit after raising the soft limit to the hard one.
#[cfg(target_os = "linux")]
fn open_file_limit() -> Option<usize> {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes the struct we pass and nothing else.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        return None;
    }
    if lim.rlim_cur < lim.rlim_max {
        let raised = libc::rlimit {
            rlim_cur: lim.rlim_max,
            rlim_max: lim.rlim_max,
        };
        // SAFETY: setrlimit reads the struct we pass; it affects only this process.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
            lim.rlim_cur = lim.rlim_max;
        }
    }
    Some(usize::try_from(lim.rlim_cur).unwrap_or(usize::MAX))
}

#[cfg(not(target_os = "linux"))]
fn open_file_limit() -> Option<usize> {
    None
}

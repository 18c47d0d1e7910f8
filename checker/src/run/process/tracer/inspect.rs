//! What the tracer reads about a stopped tracee and the segments it concerns: its system
//! call (`PTRACE_GET_SYSCALL_INFO`), its memory, its `/proc` entries (process, system call,
//! IPC namespace), and the segments' state (`IPC_STAT`, or the namespace's list).
#![allow(unsafe_code)]

use std::collections::BTreeSet;
use std::os::unix::fs::FileExt;

use nix::unistd::Pid;

use crate::model::timeline::{Attached, SetFields};
use crate::model::SegmentState;

/// `PTRACE_GET_SYSCALL_INFO` (nix passes a size of 0, so it is called directly).
pub(super) fn syscall_info(pid: Pid) -> nix::Result<libc::ptrace_syscall_info> {
    let mut info = std::mem::MaybeUninit::<libc::ptrace_syscall_info>::zeroed();
    let size = std::mem::size_of::<libc::ptrace_syscall_info>();
    // SAFETY: the kernel writes at most `size` bytes into the buffer, which is that large.
    let r = unsafe {
        libc::ptrace(
            libc::PTRACE_GET_SYSCALL_INFO,
            pid.as_raw(),
            size,
            info.as_mut_ptr(),
        )
    };
    nix::errno::Errno::result(r)?;
    // SAFETY: zero-initialised, then filled by the kernel; every bit pattern is valid.
    Ok(unsafe { info.assume_init() })
}

/// The fields `IPC_SET` reads, from the buffer at `addr` in process `pid`'s memory.
pub(super) fn read_set_fields(pid: i32, addr: u64) -> Option<SetFields> {
    let file = std::fs::File::open(format!("/proc/{pid}/mem")).ok()?;
    let mut bytes = [0u8; std::mem::size_of::<libc::shmid_ds>()];
    file.read_exact_at(&mut bytes, addr).ok()?;
    // SAFETY: shmid_ds is plain integers; any byte pattern is a valid value, and
    // read_unaligned does not require the buffer's alignment.
    let ds: libc::shmid_ds = unsafe { std::ptr::read_unaligned(bytes.as_ptr().cast()) };
    Some(SetFields {
        uid: ds.shm_perm.uid,
        gid: ds.shm_perm.gid,
        mode: u32::from(ds.shm_perm.mode),
    })
}

/// The text at `addr` in process `pid`'s memory: the bytes up to the first NUL, at most
/// [`HELD_BYTES`](crate::model::timeline::HELD_BYTES) (one `process_vm_readv`; what a
/// `shmdt` is about to detach shows what the process left in the segment).
pub(super) fn read_text(pid: i32, addr: u64) -> Option<String> {
    let mut buf = [0u8; crate::model::timeline::HELD_BYTES];
    let n = {
        let mut local = [std::io::IoSliceMut::new(&mut buf)];
        let remote = [nix::sys::uio::RemoteIoVec {
            base: usize::try_from(addr).ok()?,
            len: crate::model::timeline::HELD_BYTES,
        }];
        nix::sys::uio::process_vm_readv(Pid::from_raw(pid), &mut local, &remote).ok()?
    };
    let bytes = &buf[..n];
    let end = bytes.iter().position(|b| *b == 0).unwrap_or(bytes.len());
    Some(String::from_utf8_lossy(&bytes[..end]).into_owned())
}

/// The state of segment `id` now, whatever its mode.
pub(super) fn state_of(id: i32) -> Option<SegmentState> {
    match shm::ipc_stat(shm::ShmId::new(id)) {
        Ok(st) => Some(SegmentState::new(shm::ShmId::new(id), &st)),
        Err(shm::Errno::EACCES) => shm::list_segments()
            .ok()?
            .into_iter()
            .find(|(i, _)| i.raw() == id)
            .map(|(i, st)| SegmentState::new(i, &st)),
        Err(_) => None,
    }
}

/// The live (not removed) segment with `key`, for a shmget that may open or create it.
pub(super) fn state_by_key(key: i32) -> Option<SegmentState> {
    if key == libc::IPC_PRIVATE {
        return None;
    }
    shm::list_segments()
        .ok()?
        .into_iter()
        .find(|(_, st)| st.key().raw() == key && !st.is_marked_for_destruction())
        .map(|(i, st)| SegmentState::new(i, &st))
}

/// The thread-group id (the process id) of thread `tid`, from `/proc/<tid>/status`.
pub(super) fn read_tgid(tid: i32) -> Option<i32> {
    std::fs::read_to_string(format!("/proc/{tid}/status"))
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix("Tgid:"))?
        .trim()
        .parse()
        .ok()
}

/// Whether thread `tid` of process `tgid` is gone or on its way out: reaped, a zombie, or
/// with SIGKILL pending (which the kernel sends every other thread when one calls
/// `exit_group` or a signal kills the process).
pub(super) fn is_going(tgid: i32, tid: i32) -> bool {
    let Ok(status) = std::fs::read_to_string(format!("/proc/{tgid}/task/{tid}/status")) else {
        return true;
    };
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .map(str::trim)
    };
    let dead = field("State:").is_some_and(|s| s.starts_with('Z') || s.starts_with('X'));
    let killed = field("SigPnd:")
        .and_then(|m| u64::from_str_radix(m, 16).ok())
        .is_some_and(|m| m & (1 << (libc::SIGKILL - 1)) != 0);
    dead || killed
}

/// The system call thread `tid` is blocked or stopped in, from `/proc/<tid>/syscall` (`None`
/// when it runs, is in none, or cannot be read).
pub(super) fn syscall_of(tid: i32) -> Option<i64> {
    std::fs::read_to_string(format!("/proc/{tid}/syscall"))
        .ok()?
        .split_whitespace()
        .next()?
        .parse::<i64>()
        .ok()
        .filter(|nr| *nr >= 0)
}

/// The IPC namespace of thread `tid` (device and inode of `/proc/<tid>/ns/ipc`), or of the
/// tracer itself for `None`.
pub(super) fn ipc_namespace(tid: Option<i32>) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    let path = match tid {
        Some(t) => format!("/proc/{t}/ns/ipc"),
        None => "/proc/self/ns/ipc".to_string(),
    };
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

/// The segments `ids` that still exist, with their nattch now.
pub(super) fn attachments(ids: &BTreeSet<i32>) -> Vec<Attached> {
    ids.iter()
        .filter_map(|id| {
            state_of(*id).map(|s| Attached {
                id: *id,
                nattch: s.nattch,
            })
        })
        .collect()
}

//! What the tracer reads about a stopped tracee and the segments it concerns: its system
//! call (`PTRACE_GET_SYSCALL_INFO`), its memory, its `/proc` entries (process, system call,
//! IPC namespace), and the segments' state (`IPC_STAT`, or the namespace's list).
#![allow(unsafe_code)]

use std::collections::BTreeSet;
use std::os::unix::fs::FileExt;

use nix::unistd::Pid;

use crate::model::timeline::{Attached, SetFields};
use crate::model::{Fault, SegmentState};

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

/// Where the SIGSEGV or SIGBUS thread `pid` is stopped at the delivery of struck, from its
/// `siginfo` (`PTRACE_GETSIGINFO`).
pub(super) fn fault_of(pid: Pid) -> Option<Fault> {
    let info = nix::sys::ptrace::getsiginfo(pid).ok()?;
    // SAFETY: the union member `si_addr` reads is the one SIGSEGV and SIGBUS fill (for
    // any code; a signal a process sent leaves it as the sender's fields, read as an
    // address but never taken for one, see `Fault::has_address`); it is a plain pointer
    // value, not dereferenced.
    let addr = unsafe { info.si_addr() } as u64;
    Some(Fault {
        signal: info.si_signo,
        addr,
        code: info.si_code,
        mapped_from: None,
    })
}

/// Where the memory mapped without a gap up to the page of `addr` starts in process `tgid`
/// (see [`Fault::mapped_from`]), from `/proc/<tgid>/maps`.
pub(super) fn mapped_from(tgid: i32, addr: u64) -> Option<u64> {
    let maps = std::fs::read_to_string(format!("/proc/{tgid}/maps")).ok()?;
    let mut ranges: Vec<(u64, u64)> = maps
        .lines()
        .filter_map(|line| {
            let (start, end) = line.split_whitespace().next()?.split_once('-')?;
            Some((
                u64::from_str_radix(start, 16).ok()?,
                u64::from_str_radix(end, 16).ok()?,
            ))
        })
        .collect();
    // In order (the kernel lists them so; sorted anyway), walked down once: a program may
    // have tens of thousands of mappings.
    ranges.sort_unstable();
    let mut from = addr & !(crate::model::fault::PAGE - 1);
    let below = ranges.partition_point(|(s, _)| *s < from);
    // Down through the mappings that hold the page below where the run found so far starts.
    for (start, end) in ranges[..below].iter().rev() {
        if *end < from {
            break;
        }
        from = from.min(*start);
    }
    Some(from)
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
/// `shmdt` is about to detach shows what the process left in the segment), bytes that are not
/// UTF-8 as `\xNN`; and whether it was cut there (no NUL within them).
pub(super) fn read_text(pid: i32, addr: u64) -> Option<(String, bool)> {
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
    let end = bytes.iter().position(|b| *b == 0);
    let text = &bytes[..end.unwrap_or(bytes.len())];
    // Bytes that are not UTF-8 are kept as `\xNN`, so that a report can say which they were.
    let mut shown = String::new();
    for chunk in text.utf8_chunks() {
        shown.push_str(chunk.valid());
        for b in chunk.invalid() {
            shown.push_str(&format!("\\x{b:02x}"));
        }
    }
    Some((shown, end.is_none()))
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

/// The start addresses of process `tgid`'s attachments of segment `id`, from
/// `/proc/<tgid>/maps`: a SysV mapping (`/SYSV<key>`) shows the segment's id as its inode,
/// and an attachment starts at offset 0 (a part split off by `mprotect` does not).
pub(super) fn mappings_of(tgid: i32, id: i32) -> Option<Vec<u64>> {
    let maps = std::fs::read_to_string(format!("/proc/{tgid}/maps")).ok()?;
    Some(
        maps.lines()
            .filter_map(|line| {
                let mut f = line.split_whitespace();
                let (range, _perms, offset, _dev, inode) =
                    (f.next()?, f.next()?, f.next()?, f.next()?, f.next()?);
                let path = f.next()?;
                let ours = path.starts_with("/SYSV")
                    && inode.parse::<i64>().ok()? == i64::from(id)
                    && u64::from_str_radix(offset, 16).ok()? == 0;
                ours.then(|| u64::from_str_radix(range.split('-').next()?, 16).ok())?
            })
            .collect(),
    )
}

/// The capability bit of CAP_IPC_OWNER (linux/capability.h).
const CAP_IPC_OWNER: u32 = 15;

/// What the kernel's permission check of an IPC object (`ipcperms`) looks at in a process:
/// its effective uid, its groups (the fs gid and the supplementary ones), and whether it has
/// CAP_IPC_OWNER.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Creds {
    pub euid: u32,
    pub groups: Vec<u32>,
    pub ipc_owner: bool,
}

impl Creds {
    /// From the text of `/proc/<pid>/status`.
    pub fn parse(status: &str) -> Option<Creds> {
        let field = |name: &str| status.lines().find_map(|l| l.strip_prefix(name));
        let ids = |name: &str| -> Option<Vec<u32>> {
            field(name)?
                .split_whitespace()
                .map(|w| w.parse().ok())
                .collect()
        };
        let uids = ids("Uid:")?;
        let gids = ids("Gid:")?;
        let mut groups = vec![*gids.get(3)?];
        groups.extend(ids("Groups:").unwrap_or_default());
        let caps = u64::from_str_radix(field("CapEff:")?.trim(), 16).ok()?;
        Some(Creds {
            euid: *uids.get(1)?,
            groups,
            ipc_owner: caps & (1 << CAP_IPC_OWNER) != 0,
        })
    }

    /// Whether `shmat` with `flags` passes the permission check on `segment` (read, and
    /// write unless SHM_RDONLY), as the kernel decides it: the owner's bits for the owner
    /// or creator, else the group's for a member of its group, else the others'; failing
    /// that, CAP_IPC_OWNER.
    pub fn may_attach(&self, segment: &SegmentState, flags: i32) -> bool {
        let wanted = if flags & libc::SHM_RDONLY != 0 {
            0o4
        } else {
            0o6
        };
        let granted = if self.euid == segment.cuid || self.euid == segment.uid {
            segment.mode >> 6
        } else if self.groups.contains(&segment.cgid) || self.groups.contains(&segment.gid) {
            segment.mode >> 3
        } else {
            segment.mode
        };
        wanted & !granted & 0o7 == 0 || self.ipc_owner
    }
}

/// The credentials of process `pid` now.
pub(super) fn creds_of(pid: i32) -> Option<Creds> {
    Creds::parse(&std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATUS: &str = "Name:\tlab\nUid:\t1000\t1001\t1001\t1001\nGid:\t100\t100\t100\t200\nGroups:\t27 300 \nCapEff:\t0000000000000000\n";

    fn segment(uid: u32, gid: u32, mode: u32) -> SegmentState {
        SegmentState {
            id: 1,
            key: 0,
            size: 4096,
            mode,
            uid,
            gid,
            cuid: uid,
            cgid: gid,
            cpid: 1,
            lpid: 0,
            nattch: 0,
            atime: 0,
            dtime: 0,
            ctime: 0,
        }
    }

    #[test]
    fn creds_are_the_effective_uid_the_fs_gid_and_the_groups() {
        let c = Creds::parse(STATUS).unwrap();
        assert_eq!(c.euid, 1001);
        assert_eq!(c.groups, vec![200, 27, 300]);
        assert!(!c.ipc_owner);
        let root = STATUS.replace("0000000000000000", "000001ffffffffff");
        assert!(Creds::parse(&root).unwrap().ipc_owner);
        assert_eq!(Creds::parse("Name:\tlab\n"), None);
    }

    #[test]
    fn the_permission_check_takes_the_owners_then_the_groups_then_the_others_bits() {
        let c = Creds::parse(STATUS).unwrap();
        // The owner's bits, even where the others' would allow more.
        assert!(!c.may_attach(&segment(1001, 5, 0o407), 0));
        assert!(c.may_attach(&segment(1001, 5, 0o407), libc::SHM_RDONLY));
        // A member of the group: the group's bits.
        assert!(c.may_attach(&segment(7, 300, 0o060), 0));
        assert!(!c.may_attach(&segment(7, 300, 0o046), 0));
        // Anyone else: the others' bits.
        assert!(c.may_attach(&segment(7, 8, 0o006), 0));
        assert!(!c.may_attach(&segment(7, 8, 0o664), 0));
        // CAP_IPC_OWNER passes whatever the bits.
        let root = Creds::parse(&STATUS.replace("0000000000000000", "0000000000008000")).unwrap();
        assert!(root.may_attach(&segment(7, 8, 0o000), 0));
    }

    #[test]
    fn the_mapped_run_below_an_address_starts_at_the_first_gap() {
        let flags = shm::IpcFlags::IPC_CREAT | shm::Mode::new(0o600);
        let id = shm::shmget(shm::Key::PRIVATE, 3 * 4096, flags).unwrap();
        let a = shm::shmat(id, None, shm::AtFlags::empty()).unwrap();
        let _ = shm::shmctl(id, shm::ShmctlCmd::IpcRmid);
        let me = std::process::id() as i32;
        let start = a.addr() as u64;
        // Inside the attachment: the run reaches down to its start at least.
        let from = mapped_from(me, start + 2 * 4096 + 5).unwrap();
        assert!(from <= start, "{from:#x} > {start:#x}");
        // The first page is never mapped: nothing below it.
        assert_eq!(mapped_from(me, 0x10).unwrap(), 0);
        assert_eq!(mapped_from(me, 0x1010).unwrap(), 0x1000);
        shm::shmdt(a).unwrap();
    }

    #[test]
    fn the_memory_map_shows_each_attachment_at_its_start() {
        let flags = shm::IpcFlags::IPC_CREAT | shm::Mode::new(0o600);
        let id = shm::shmget(shm::Key::PRIVATE, 4096, flags).unwrap();
        let a = shm::shmat(id, None, shm::AtFlags::empty()).unwrap();
        let _ = shm::shmctl(id, shm::ShmctlCmd::IpcRmid);
        let found = mappings_of(std::process::id() as i32, id.raw()).unwrap();
        assert_eq!(found, vec![a.addr() as u64]);
        shm::shmdt(a).unwrap();
        assert_eq!(
            mappings_of(std::process::id() as i32, id.raw()).unwrap(),
            Vec::<u64>::new()
        );
    }
}

//! Safe System V shared memory, one-to-one with the C calls.
//!
//! The four calls keep their C names and argument order, so the class notes and the man
//! pages carry over: [`shmget`], [`shmat`], [`shmdt`] and [`shmctl`]. Each returns
//! `Result<_, Errno>` where C returns `-1` (or `(void *) -1`) and sets `errno`.
//!
//! ```
//! use shm::{shmat, shmctl, shmdt, shmget, AtFlags, IpcFlags, Key, Mode, ShmctlCmd};
//!
//! # fn main() -> Result<(), shm::Errno> {
//! // shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600)
//! let id = shmget(Key::PRIVATE, 4096, IpcFlags::IPC_CREAT | Mode::new(0o600))?;
//! // char *p = shmat(id, NULL, 0);
//! let seg = shmat(id, None, AtFlags::empty())?;
//! seg.write_cstr("hello").unwrap(); // strcpy(p, "hello");
//! assert_eq!(seg.read_cstr(), b"hello");
//! shmdt(seg)?; // shmdt(p);
//! shmctl(id, ShmctlCmd::IpcRmid)?; // shmctl(id, IPC_RMID, NULL);
//! # Ok(())
//! # }
//! ```
//!
//! Two processes can share a segment through `fork` too: [`fork`], [`Child::wait`] and
//! [`exit_now`] (module [`process`]) are `fork(2)`, `waitpid(2)` and `_exit(2)`, safe for a
//! program with one thread.
//!
//! This is the only crate of the kit that calls the SysV functions of libc; every `unsafe`
//! block here says why it is sound.

use std::ffi::c_void;
use std::fmt;
use std::mem::MaybeUninit;
use std::ptr::NonNull;

pub use nix::errno::Errno;

pub mod others;
pub mod process;
mod types;

pub use process::{exit_now, fork, Child, ChildExit, Forked};
pub use types::*;

/// `shmget(2)`: create the segment for `key`, or find the existing one; returns its id.
///
/// `size` is in bytes; when opening an existing segment, 0 is always fine.
///
/// # Errors
/// - `ENOENT`: no segment for `key` and no `IPC_CREAT`.
/// - `EEXIST`: `IPC_CREAT | IPC_EXCL` and `key` already has a segment.
/// - `EINVAL`: creating with `size` 0 or above `shmmax`, or opening with `size` larger than
///   the existing segment.
/// - `EACCES`: the segment exists and the mode bits in `flags` ask for access the caller lacks.
/// - `ENOSPC`: the system-wide limit of segments (`shmmni`) or pages (`shmall`) is reached.
pub fn shmget(key: Key, size: usize, flags: impl Into<ShmgetFlags>) -> Result<ShmId, Errno> {
    // SAFETY: shmget takes only integers and touches no memory of ours.
    let id = unsafe { libc::shmget(key.0, size, flags.into().0) };
    Errno::result(id).map(ShmId)
}

/// A segment attached to this process by [`shmat`].
///
/// Like the pointer C returns, it stays attached until [`shmdt`] or until the process exits
/// or execs (dropping it does **not** detach). Other processes may write to the segment at
/// any time, so it hands out copies ([`read_at`](Self::read_at)), never `&[u8]` into it.
#[derive(Debug)]
pub struct Attachment {
    addr: NonNull<u8>,
    len: usize,
    readonly: bool,
}

/// An access through an [`Attachment`] that it refuses instead of crashing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessError {
    /// The range ends past the segment's size.
    OutOfBounds {
        /// First byte asked for.
        offset: usize,
        /// Bytes asked for.
        len: usize,
        /// The segment's size.
        size: usize,
    },
    /// A write through an attachment made with `SHM_RDONLY` (SIGSEGV in C).
    ReadOnly,
}

impl fmt::Display for AccessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AccessError::OutOfBounds { offset, len, size } => write!(
                f,
                "bytes {offset}..{} are past the end of the {size}-byte segment",
                offset + len
            ),
            AccessError::ReadOnly => write!(f, "the segment is attached read-only (SHM_RDONLY)"),
        }
    }
}

impl std::error::Error for AccessError {}

impl Attachment {
    /// The address the kernel chose, as C's `shmat` returns it.
    pub fn addr(&self) -> *const c_void {
        self.addr.as_ptr().cast()
    }

    /// The segment's size in bytes (`shm_segsz`).
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the segment is empty (never true for a real segment).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether it was attached with `SHM_RDONLY`.
    pub fn is_readonly(&self) -> bool {
        self.readonly
    }

    fn check(&self, offset: usize, len: usize) -> Result<(), AccessError> {
        match offset.checked_add(len) {
            Some(end) if end <= self.len => Ok(()),
            _ => Err(AccessError::OutOfBounds {
                offset,
                len,
                size: self.len,
            }),
        }
    }

    /// Copies `buf.len()` bytes from the segment at `offset` into `buf`.
    pub fn read_at(&self, offset: usize, buf: &mut [u8]) -> Result<(), AccessError> {
        self.check(offset, buf.len())?;
        // SAFETY: offset..offset+len lies inside the mapping (checked above), which stays
        // mapped while `self` exists because only `shmdt(self)` unmaps it. Other processes
        // may write concurrently; we copy bytes and never form a reference into the segment.
        unsafe {
            std::ptr::copy_nonoverlapping(
                self.addr.as_ptr().add(offset),
                buf.as_mut_ptr(),
                buf.len(),
            )
        };
        Ok(())
    }

    /// Copies `data` into the segment at `offset`.
    pub fn write_at(&self, offset: usize, data: &[u8]) -> Result<(), AccessError> {
        if self.readonly {
            return Err(AccessError::ReadOnly);
        }
        self.check(offset, data.len())?;
        // SAFETY: the range is inside the mapping (checked above) and the mapping is writable
        // (not SHM_RDONLY); the bytes are copied without creating a reference into shared memory.
        unsafe {
            std::ptr::copy_nonoverlapping(data.as_ptr(), self.addr.as_ptr().add(offset), data.len())
        };
        Ok(())
    }

    /// The bytes from offset 0 up to the first NUL, or the whole segment if it has none
    /// (what `printf("%s", p)` would print, without reading past the end).
    pub fn read_cstr(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut byte = [0u8];
        for i in 0..self.len {
            // Cannot fail: i < len.
            let _ = self.read_at(i, &mut byte);
            if byte[0] == 0 {
                break;
            }
            out.push(byte[0]);
        }
        out
    }

    /// Writes `text` and its terminating NUL at offset 0, like `strcpy(p, text)`.
    pub fn write_cstr(&self, text: &str) -> Result<(), AccessError> {
        let mut bytes = Vec::with_capacity(text.len() + 1);
        bytes.extend_from_slice(text.as_bytes());
        bytes.push(0);
        self.write_at(0, &bytes)
    }

    /// The bytes the kernel maps past the segment's size, up to the end of its last page
    /// (a 201-byte segment is mapped as a whole page). No other program reads them: a
    /// program that writes there has gone past the size it asked for, and nothing crashed.
    pub fn read_past_size(&self) -> Vec<u8> {
        let page = page_size();
        let mapped = self.len.div_ceil(page) * page;
        let mut out = vec![0u8; mapped - self.len];
        // SAFETY: the kernel maps a segment in whole pages (shm_segsz rounded up to the page
        // size), so len..mapped is mapped and readable while `self` is attached; bytes are
        // copied, never referenced, as other processes may write them.
        unsafe {
            std::ptr::copy_nonoverlapping(
                self.addr.as_ptr().add(self.len),
                out.as_mut_ptr(),
                out.len(),
            )
        };
        out
    }

    /// The raw pointer, for code that needs C's sharpness.
    ///
    /// # Safety
    /// The caller must keep every access inside `len()` bytes, must not write through an
    /// attachment made with `SHM_RDONLY` (SIGSEGV), must not use the pointer after [`shmdt`],
    /// and must expect other processes to change the bytes at any time.
    pub unsafe fn as_mut_ptr(&self) -> *mut u8 {
        self.addr.as_ptr()
    }
}

/// The machine's page size, in bytes.
pub fn page_size() -> usize {
    // SAFETY: sysconf only reads a system constant.
    let n = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    usize::try_from(n).ok().filter(|n| *n > 0).unwrap_or(4096)
}

/// `shmat(2)`: attach segment `id` to this process; `addr` `None` lets the kernel choose.
///
/// After attaching, the wrapper reads the segment's size with `IPC_STAT` so that the
/// returned [`Attachment`] can check bounds (C's pointer cannot).
///
/// # Errors
/// - `EACCES`: a read-write attach needs read and write permission; `SHM_RDONLY` needs read.
/// - `EINVAL`: `id` is not a segment (never existed, or already destroyed), or `addr` is
///   not page-aligned and `SHM_RND` was not given.
/// - `ENOMEM`: no room in the address space.
pub fn shmat(
    id: ShmId,
    addr: Option<NonNull<c_void>>,
    flags: AtFlags,
) -> Result<Attachment, Errno> {
    let want = addr.map_or(std::ptr::null(), |p| p.as_ptr().cast_const());
    // SAFETY: shmat maps new memory; it does not touch memory we own. A given `addr` that
    // overlaps an existing mapping fails with EINVAL unless SHM_REMAP is set, which AtFlags
    // cannot express, so no mapping of ours can be replaced.
    let p = unsafe { libc::shmat(id.0, want, flags.bits()) };
    if p as isize == -1 {
        return Err(Errno::last());
    }
    let addr = NonNull::new(p.cast::<u8>()).ok_or(Errno::EINVAL)?;
    let mut attachment = Attachment {
        addr,
        len: 0,
        readonly: flags.contains(AtFlags::SHM_RDONLY),
    };
    // Attaching needed read permission, so IPC_STAT succeeds unless the id vanished.
    match ipc_stat(id) {
        Ok(st) => {
            attachment.len = st.size();
            Ok(attachment)
        }
        Err(e) => {
            let _ = shmdt(attachment);
            Err(e)
        }
    }
}

/// `shmdt(2)`: detach a segment attached by [`shmat`].
///
/// # Errors
/// - `EINVAL`: no attachment starts at that address (cannot happen through this API).
pub fn shmdt(attachment: Attachment) -> Result<(), Errno> {
    // SAFETY: the address came from a successful shmat and `attachment` is consumed, so safe
    // code cannot touch the mapping after it is gone.
    let r = unsafe { libc::shmdt(attachment.addr.as_ptr().cast_const().cast()) };
    Errno::result(r).map(drop)
}

/// The metadata of a segment (`struct shmid_ds`), filled by `IPC_STAT`.
#[derive(Clone, Copy)]
pub struct SegmentStat(libc::shmid_ds);

impl SegmentStat {
    /// An all-zero `shmid_ds`. Passing it to `IPC_SET` as it is sets uid, gid and mode to 0:
    /// read the current values with `IPC_STAT` first.
    pub fn zeroed() -> SegmentStat {
        // SAFETY: shmid_ds is plain integers (and private padding); all-zero is a valid value.
        SegmentStat(unsafe { MaybeUninit::<libc::shmid_ds>::zeroed().assume_init() })
    }

    /// The key (`shm_perm.__key`); 0 after `IPC_RMID` of an attached segment.
    pub fn key(&self) -> Key {
        Key(self.0.shm_perm.__key)
    }
    /// Owner's user id (`shm_perm.uid`).
    pub fn uid(&self) -> u32 {
        self.0.shm_perm.uid
    }
    /// Owner's group id (`shm_perm.gid`).
    pub fn gid(&self) -> u32 {
        self.0.shm_perm.gid
    }
    /// Creator's user id (`shm_perm.cuid`); never changes.
    pub fn cuid(&self) -> u32 {
        self.0.shm_perm.cuid
    }
    /// Creator's group id (`shm_perm.cgid`); never changes.
    pub fn cgid(&self) -> u32 {
        self.0.shm_perm.cgid
    }
    /// The nine permission bits.
    pub fn mode(&self) -> Mode {
        Mode::new(u32::from(self.0.shm_perm.mode))
    }
    /// The whole mode word, with `SHM_DEST` and `SHM_LOCKED`.
    pub fn raw_mode(&self) -> u32 {
        u32::from(self.0.shm_perm.mode)
    }
    /// Whether `IPC_RMID` marked it for destruction at its last detach (`SHM_DEST`).
    pub fn is_marked_for_destruction(&self) -> bool {
        self.raw_mode() & consts::SHM_DEST != 0
    }
    /// Whether it is locked in memory (`SHM_LOCKED`).
    pub fn is_locked(&self) -> bool {
        self.raw_mode() & consts::SHM_LOCKED != 0
    }
    /// Size in bytes as requested (`shm_segsz`), not rounded to pages.
    pub fn size(&self) -> usize {
        self.0.shm_segsz
    }
    /// Last attach time, seconds since the epoch, 0 = never.
    pub fn atime(&self) -> i64 {
        self.0.shm_atime
    }
    /// Last detach time, 0 = never.
    pub fn dtime(&self) -> i64 {
        self.0.shm_dtime
    }
    /// Creation or last `IPC_SET` time.
    pub fn ctime(&self) -> i64 {
        self.0.shm_ctime
    }
    /// Creator's pid.
    pub fn cpid(&self) -> i32 {
        self.0.shm_cpid
    }
    /// Pid of the last attach or detach.
    pub fn lpid(&self) -> i32 {
        self.0.shm_lpid
    }
    /// Number of attachments (mappings, not processes).
    pub fn nattch(&self) -> u64 {
        self.0.shm_nattch
    }

    /// Sets the permission bits that `IPC_SET` will apply.
    pub fn set_mode(&mut self, mode: Mode) {
        // Only the low nine bits are taken by IPC_SET; keep the rest as read.
        let keep = u32::from(self.0.shm_perm.mode) & !0o777;
        self.0.shm_perm.mode = (keep | mode.bits()) as _;
    }
    /// Sets the owner's user id that `IPC_SET` will apply.
    pub fn set_uid(&mut self, uid: u32) {
        self.0.shm_perm.uid = uid;
    }
    /// Sets the owner's group id that `IPC_SET` will apply.
    pub fn set_gid(&mut self, gid: u32) {
        self.0.shm_perm.gid = gid;
    }
}

impl fmt::Debug for SegmentStat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SegmentStat")
            .field("key", &self.key())
            .field("size", &self.size())
            .field("mode", &format_args!("{:04o}", self.raw_mode()))
            .field("uid", &self.uid())
            .field("gid", &self.gid())
            .field("cuid", &self.cuid())
            .field("cgid", &self.cgid())
            .field("cpid", &self.cpid())
            .field("lpid", &self.lpid())
            .field("nattch", &self.nattch())
            .field("atime", &self.atime())
            .field("dtime", &self.dtime())
            .field("ctime", &self.ctime())
            .finish()
    }
}

/// The command of [`shmctl`], with its buffer where C passes one.
#[derive(Debug)]
pub enum ShmctlCmd<'a> {
    /// `IPC_STAT`: fill the buffer with the segment's metadata (needs read permission).
    IpcStat(&'a mut SegmentStat),
    /// `IPC_SET`: apply uid, gid and the nine mode bits from the buffer.
    IpcSet(&'a SegmentStat),
    /// `IPC_RMID`: remove now, or when the last attachment goes.
    IpcRmid,
    /// `SHM_LOCK`: keep the segment's pages in memory (sets `SHM_LOCKED` in the mode). Needs
    /// `CAP_IPC_LOCK`, or the owner's `RLIMIT_MEMLOCK` large enough for the segment.
    ShmLock,
}

/// `shmctl(2)` with `IPC_STAT`, `IPC_SET` or `IPC_RMID`.
///
/// # Errors
/// - `EINVAL`: `id` is not a segment; for `IPC_SET`, a uid or gid that is not mapped.
/// - `EACCES`: `IPC_STAT` without read permission.
/// - `EPERM`: `IPC_SET` or `IPC_RMID` by a process that is neither the owner nor the
///   creator and lacks `CAP_SYS_ADMIN`.
pub fn shmctl(id: ShmId, cmd: ShmctlCmd<'_>) -> Result<(), Errno> {
    let r = match cmd {
        // SAFETY: the buffer is a valid, writable shmid_ds the kernel fills completely.
        ShmctlCmd::IpcStat(buf) => unsafe { libc::shmctl(id.0, libc::IPC_STAT, &mut buf.0) },
        ShmctlCmd::IpcSet(buf) => {
            let mut copy = buf.0;
            // SAFETY: IPC_SET only reads the buffer; it points to a valid shmid_ds.
            unsafe { libc::shmctl(id.0, libc::IPC_SET, &mut copy) }
        }
        // SAFETY: IPC_RMID ignores the buffer, so NULL is allowed.
        ShmctlCmd::IpcRmid => unsafe { libc::shmctl(id.0, libc::IPC_RMID, std::ptr::null_mut()) },
        // SAFETY: SHM_LOCK ignores the buffer, so NULL is allowed.
        ShmctlCmd::ShmLock => unsafe { libc::shmctl(id.0, libc::SHM_LOCK, std::ptr::null_mut()) },
    };
    Errno::result(r).map(drop)
}

/// `shmctl(id, IPC_STAT, &buf)`, returning the buffer.
///
/// # Errors
/// As [`shmctl`] with `IPC_STAT`: `EINVAL`, `EACCES`.
pub fn ipc_stat(id: ShmId) -> Result<SegmentStat, Errno> {
    let mut st = SegmentStat::zeroed();
    shmctl(id, ShmctlCmd::IpcStat(&mut st))?;
    Ok(st)
}

/// Reads a segment by its index in the kernel's table with `SHM_STAT_ANY` (no permission
/// check); returns its id and metadata.
fn stat_index(index: i32, cmd: libc::c_int) -> Result<(ShmId, SegmentStat), Errno> {
    let mut buf = MaybeUninit::<libc::shmid_ds>::zeroed();
    // SAFETY: SHM_STAT / SHM_STAT_ANY fill a shmid_ds; the buffer is valid and zeroed.
    let r = unsafe { libc::shmctl(index, cmd, buf.as_mut_ptr()) };
    let id = Errno::result(r)?;
    // SAFETY: the buffer was zero-initialised and then filled by the kernel.
    Ok((ShmId(id), SegmentStat(unsafe { buf.assume_init() })))
}

/// Every segment of this process's IPC namespace, sorted by id, whatever its mode.
///
/// Uses `SHM_INFO` and `SHM_STAT_ANY` (Linux 4.17 and later), and falls back to
/// `/proc/sysvipc/shm` where `SHM_STAT_ANY` is not known.
///
/// # Errors
/// `SHM_INFO` failing, or `/proc/sysvipc/shm` unreadable in the fallback (as `EIO`).
pub fn list_segments() -> Result<Vec<(ShmId, SegmentStat)>, Errno> {
    // struct shm_info (an int and five unsigned longs) is smaller than shmid_ds, so a
    // shmid_ds buffer is large enough for SHM_INFO to fill.
    let mut info = MaybeUninit::<libc::shmid_ds>::zeroed();
    // SAFETY: the buffer is valid and larger than struct shm_info.
    let max = unsafe { libc::shmctl(0, consts::SHM_INFO, info.as_mut_ptr()) };
    let max = Errno::result(max)?;
    let mut out = Vec::new();
    for index in 0..=max {
        match stat_index(index, consts::SHM_STAT_ANY) {
            Ok(entry) => out.push(entry),
            Err(Errno::EINVAL) | Err(Errno::EIDRM) => {}
            Err(_) => return list_from_proc(),
        }
    }
    if out.is_empty() && max > 0 {
        // An old kernel answers EINVAL to SHM_STAT_ANY for every index.
        return list_from_proc();
    }
    out.sort_by_key(|(id, _)| *id);
    Ok(out)
}

/// Parses `/proc/sysvipc/shm` into the same shape as [`list_segments`].
fn list_from_proc() -> Result<Vec<(ShmId, SegmentStat)>, Errno> {
    let text = std::fs::read_to_string("/proc/sysvipc/shm").map_err(|_| Errno::EIO)?;
    let mut out: Vec<_> = text.lines().skip(1).filter_map(parse_proc_line).collect();
    out.sort_by_key(|(id, _)| *id);
    Ok(out)
}

fn parse_proc_line(line: &str) -> Option<(ShmId, SegmentStat)> {
    let f: Vec<i64> = line
        .split_whitespace()
        .take(14)
        .map(|w| w.parse::<i64>().ok())
        .collect::<Option<_>>()?;
    if f.len() < 14 {
        return None;
    }
    // key shmid perms size cpid lpid nattch uid gid cuid cgid atime dtime ctime
    let mut st = SegmentStat::zeroed();
    st.0.shm_perm.__key = f[0] as i32;
    // perms is printed in octal digits, which parsed as decimal must be reread.
    let perms = u32::from_str_radix(&f[2].to_string(), 8).ok()?;
    st.0.shm_perm.mode = perms as _;
    st.0.shm_segsz = f[3] as usize;
    st.0.shm_cpid = f[4] as i32;
    st.0.shm_lpid = f[5] as i32;
    st.0.shm_nattch = f[6] as _;
    st.0.shm_perm.uid = f[7] as u32;
    st.0.shm_perm.gid = f[8] as u32;
    st.0.shm_perm.cuid = f[9] as u32;
    st.0.shm_perm.cgid = f[10] as u32;
    st.0.shm_atime = f[11];
    st.0.shm_dtime = f[12];
    st.0.shm_ctime = f[13];
    Some((ShmId(f[1] as i32), st))
}

/// The shared-memory limits of this IPC namespace, from `/proc/sys/kernel`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest segment, in bytes (`EINVAL` above it).
    pub shmmax: u64,
    /// Total pages of all segments (`ENOSPC` above it).
    pub shmall: u64,
    /// Number of segments (`ENOSPC` at it).
    pub shmmni: u64,
    /// If true, segments die when unattached and their creator has exited.
    pub shm_rmid_forced: bool,
}

/// Reads [`Limits`] of the current IPC namespace.
///
/// # Errors
/// Any of the files unreadable or not a number, as `std::io::Error`.
pub fn limits() -> std::io::Result<Limits> {
    fn read(name: &str) -> std::io::Result<u64> {
        let t = std::fs::read_to_string(format!("/proc/sys/kernel/{name}"))?;
        t.trim().parse().map_err(|_| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("{name}: not a number"),
            )
        })
    }
    Ok(Limits {
        shmmax: read("shmmax")?,
        shmall: read("shmall")?,
        shmmni: read("shmmni")?,
        shm_rmid_forced: read("shm_rmid_forced")? != 0,
    })
}

#[cfg(test)]
mod tests;

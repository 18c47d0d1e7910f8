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
//! This is the only crate of the kit that calls the SysV functions of libc; every `unsafe`
//! block here says why it is sound.

use std::ffi::c_void;
use std::fmt;
use std::mem::MaybeUninit;
use std::ops::BitOr;
use std::ptr::NonNull;
use std::str::FromStr;

pub use nix::errno::Errno;

/// Constants the `libc` crate does not define, from `<linux/shm.h>` and `<linux/ipc.h>`.
pub mod consts {
    /// `shmctl` command: stat by index into the kernel's table (needs read permission).
    pub const SHM_STAT: libc::c_int = 13;
    /// `shmctl` command: fill a `struct shm_info`; returns the highest used index.
    pub const SHM_INFO: libc::c_int = 14;
    /// `shmctl` command: like `SHM_STAT` without the permission check (Linux 4.17).
    pub const SHM_STAT_ANY: libc::c_int = 15;
    /// Mode bit: the segment was removed with `IPC_RMID` while still attached.
    pub const SHM_DEST: u32 = 0o1000;
    /// Mode bit: the segment is locked in memory (`SHM_LOCK`).
    pub const SHM_LOCKED: u32 = 0o2000;
}

/// A System V IPC key (`key_t`): the name of a segment that unrelated processes agree on.
///
/// Parses like `strtol(s, NULL, 0)`: decimal, `0x` hexadecimal or `0` octal, with an optional
/// sign; unlike `strtol`, trailing characters are an error. Values up to `0xffffffff` are
/// accepted and wrap to `key_t` as C does. Displays as `0x%08x`, like `ipcs`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key(i32);

impl Key {
    /// `IPC_PRIVATE`: always creates a new segment, which no other process can find by key.
    pub const PRIVATE: Key = Key(libc::IPC_PRIVATE);

    /// The key with this `key_t` value.
    pub const fn new(raw: i32) -> Key {
        Key(raw)
    }

    /// The `key_t` value.
    pub const fn raw(self) -> i32 {
        self.0
    }

    /// Whether this is `IPC_PRIVATE` (0), also what a removed-but-attached segment shows.
    pub const fn is_private(self) -> bool {
        self.0 == libc::IPC_PRIVATE
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{:08x}", self.0 as u32)
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Key({self})")
    }
}

/// Why a key, mode or number could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    what: &'static str,
    input: String,
    reason: &'static str,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid {} '{}': {}", self.what, self.input, self.reason)
    }
}

impl std::error::Error for ParseError {}

/// Parses an integer like `strtol(s, NULL, 0)`, but rejects trailing characters.
pub fn parse_c_integer(s: &str) -> Option<i64> {
    let t = s.trim();
    let (neg, body) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let (radix, digits) = if let Some(h) = body.strip_prefix("0x").or(body.strip_prefix("0X")) {
        (16, h)
    } else if body.len() > 1 && body.starts_with('0') {
        (8, &body[1..])
    } else {
        (10, body)
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let v = i64::from_str_radix(digits, radix).ok()?;
    Some(if neg { -v } else { v })
}

impl FromStr for Key {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Key, ParseError> {
        let err = |reason| ParseError {
            what: "key",
            input: s.to_string(),
            reason,
        };
        let v = parse_c_integer(s)
            .ok_or_else(|| err("expected a number: decimal, 0x hexadecimal or 0 octal"))?;
        if v > i64::from(u32::MAX) || v < i64::from(i32::MIN) {
            return Err(err("out of range for key_t (32 bits)"));
        }
        Ok(Key(v as u32 as i32))
    }
}

/// A segment identifier returned by [`shmget`], like a file descriptor for the segment.
///
/// In a fresh IPC namespace the first id is 0, and 0 is a valid id.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct ShmId(i32);

impl ShmId {
    /// The id with this raw value, as printed by another program or `ipcs`.
    pub const fn new(raw: i32) -> ShmId {
        ShmId(raw)
    }

    /// The raw value, as C would print it.
    pub const fn raw(self) -> i32 {
        self.0
    }
}

impl fmt::Display for ShmId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl FromStr for ShmId {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<ShmId, ParseError> {
        s.trim()
            .parse::<i32>()
            .ok()
            .filter(|v| *v >= 0)
            .map(ShmId)
            .ok_or_else(|| ParseError {
                what: "shmid",
                input: s.to_string(),
                reason: "expected a non-negative decimal number",
            })
    }
}

/// The nine permission bits of a segment (`rwxrwxrwx`; SysV shm uses only `r` and `w`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Mode(u32);

impl Mode {
    /// The permission bits of `bits`; anything above `0o777` is dropped.
    pub const fn new(bits: u32) -> Mode {
        Mode(bits & 0o777)
    }

    /// The bits, at most `0o777`.
    pub const fn bits(self) -> u32 {
        self.0
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04o}", self.0)
    }
}

impl fmt::Debug for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Mode({self})")
    }
}

impl FromStr for Mode {
    type Err = ParseError;

    /// Parses an octal mode such as `644`, `0644` or `0o644`.
    fn from_str(s: &str) -> Result<Mode, ParseError> {
        let err = |reason| ParseError {
            what: "mode",
            input: s.to_string(),
            reason,
        };
        let t = s.trim();
        let digits = t.strip_prefix("0o").unwrap_or(t);
        if digits.is_empty() || !digits.chars().all(|c| c.is_digit(8)) {
            return Err(err("expected octal digits, like 644 or 0600"));
        }
        let v = u32::from_str_radix(digits, 8).map_err(|_| err("too large"))?;
        if v > 0o777 {
            return Err(err(
                "only the nine permission bits (at most 0777) are allowed",
            ));
        }
        Ok(Mode(v))
    }
}

bitflags::bitflags! {
    /// `IPC_*` flags of [`shmget`]; combine with a [`Mode`] using `|`.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub struct IpcFlags: i32 {
        /// Create the segment if the key has none.
        const IPC_CREAT = libc::IPC_CREAT;
        /// With `IPC_CREAT`: fail with `EEXIST` if the key already has a segment.
        const IPC_EXCL = libc::IPC_EXCL;
    }
}

bitflags::bitflags! {
    /// Flags of [`shmat`].
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub struct AtFlags: i32 {
        /// Attach for reading only; writing through the attachment raises SIGSEGV in C.
        const SHM_RDONLY = libc::SHM_RDONLY;
        /// Round a given attach address down to a multiple of SHMLBA.
        const SHM_RND = libc::SHM_RND;
    }
}

/// The third argument of [`shmget`]: `IPC_*` flags ORed with permission bits, as in C.
///
/// Built with `|`: `IpcFlags::IPC_CREAT | Mode::new(0o644)`. `IpcFlags` alone converts too,
/// with permission bits 0000 (the classic mistake), and so does a `Mode` alone (open only).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
pub struct ShmgetFlags(i32);

impl ShmgetFlags {
    /// Flags exactly as C would pass them, extra bits included.
    pub const fn from_bits_retain(bits: i32) -> ShmgetFlags {
        ShmgetFlags(bits)
    }

    /// The value passed to the kernel.
    pub const fn bits(self) -> i32 {
        self.0
    }
}

impl From<IpcFlags> for ShmgetFlags {
    fn from(f: IpcFlags) -> ShmgetFlags {
        ShmgetFlags(f.bits())
    }
}

impl From<Mode> for ShmgetFlags {
    fn from(m: Mode) -> ShmgetFlags {
        ShmgetFlags(m.bits() as i32)
    }
}

impl BitOr<Mode> for IpcFlags {
    type Output = ShmgetFlags;
    fn bitor(self, m: Mode) -> ShmgetFlags {
        ShmgetFlags(self.bits() | m.bits() as i32)
    }
}

impl BitOr<Mode> for ShmgetFlags {
    type Output = ShmgetFlags;
    fn bitor(self, m: Mode) -> ShmgetFlags {
        ShmgetFlags(self.0 | m.bits() as i32)
    }
}

impl BitOr<IpcFlags> for ShmgetFlags {
    type Output = ShmgetFlags;
    fn bitor(self, f: IpcFlags) -> ShmgetFlags {
        ShmgetFlags(self.0 | f.bits())
    }
}

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
mod tests {
    use super::*;

    /// Removes the segment when dropped, so a failing assertion leaks nothing.
    struct Guard(ShmId);
    impl Drop for Guard {
        fn drop(&mut self) {
            let _ = shmctl(self.0, ShmctlCmd::IpcRmid);
        }
    }

    fn private(size: usize, mode: u32) -> Guard {
        Guard(shmget(Key::PRIVATE, size, IpcFlags::IPC_CREAT | Mode::new(mode)).unwrap())
    }

    #[test]
    fn key_parses_like_strtol_base_zero() {
        assert_eq!("42".parse::<Key>().unwrap().raw(), 42);
        assert_eq!("0x1234".parse::<Key>().unwrap().raw(), 0x1234);
        assert_eq!("0X1f".parse::<Key>().unwrap().raw(), 0x1f);
        assert_eq!("010".parse::<Key>().unwrap().raw(), 8);
        assert_eq!("0".parse::<Key>().unwrap(), Key::PRIVATE);
        assert_eq!("0xffffffff".parse::<Key>().unwrap().raw(), -1);
        assert_eq!("-1".parse::<Key>().unwrap().raw(), -1);
        assert!("09".parse::<Key>().is_err());
        assert!("12abc".parse::<Key>().is_err());
        assert!("".parse::<Key>().is_err());
        assert!("0x".parse::<Key>().is_err());
        assert!("0x100000000".parse::<Key>().is_err());
    }

    #[test]
    fn key_displays_as_eight_hex_digits() {
        assert_eq!(Key::new(0x1234).to_string(), "0x00001234");
        assert_eq!(Key::new(-1).to_string(), "0xffffffff");
    }

    #[test]
    fn mode_parses_octal_and_rejects_extra_bits() {
        assert_eq!("644".parse::<Mode>().unwrap().bits(), 0o644);
        assert_eq!("0600".parse::<Mode>().unwrap().bits(), 0o600);
        assert_eq!("0o640".parse::<Mode>().unwrap().bits(), 0o640);
        assert!("1777".parse::<Mode>().is_err());
        assert!("8".parse::<Mode>().is_err());
        assert!("rw".parse::<Mode>().is_err());
        assert_eq!(Mode::new(0o644).to_string(), "0644");
    }

    #[test]
    fn flags_combine_like_c() {
        let f = IpcFlags::IPC_CREAT | IpcFlags::IPC_EXCL | Mode::new(0o600);
        assert_eq!(f.bits(), libc::IPC_CREAT | libc::IPC_EXCL | 0o600);
        assert_eq!(
            ShmgetFlags::from(IpcFlags::IPC_CREAT).bits(),
            libc::IPC_CREAT
        );
    }

    #[test]
    fn create_gives_requested_size_and_mode_unrounded() {
        let g = private(5000, 0o640);
        let st = ipc_stat(g.0).unwrap();
        assert_eq!(st.size(), 5000);
        assert_eq!(st.mode(), Mode::new(0o640));
        assert_eq!(st.nattch(), 0);
        assert_eq!(st.cpid(), std::process::id() as i32);
        assert_eq!(st.lpid(), 0);
        assert_eq!(st.atime(), 0);
        assert!(!st.is_marked_for_destruction());
    }

    #[test]
    fn ipc_creat_alone_gives_mode_zero() {
        let g = Guard(shmget(Key::PRIVATE, 16, IpcFlags::IPC_CREAT).unwrap());
        // IPC_STAT needs read permission, which mode 0000 denies to all but root: read the
        // mode through the listing (SHM_STAT_ANY), as `ipcs` does.
        let (_, st) = list_segments()
            .unwrap()
            .into_iter()
            .find(|(id, _)| *id == g.0)
            .unwrap();
        assert_eq!(st.mode().bits(), 0);
        if !nix::unistd::geteuid().is_root() {
            assert_eq!(ipc_stat(g.0).err(), Some(Errno::EACCES));
        }
    }

    #[test]
    fn write_then_read_round_trips_and_bounds_are_checked() {
        let g = private(8, 0o600);
        let a = shmat(g.0, None, AtFlags::empty()).unwrap();
        assert_eq!(a.len(), 8);
        assert_eq!(a.read_cstr(), b"", "a new segment is zero-filled");
        a.write_cstr("abc").unwrap();
        assert_eq!(a.read_cstr(), b"abc");
        assert!(matches!(
            a.write_cstr("12345678"),
            Err(AccessError::OutOfBounds { .. })
        ));
        let mut buf = [0u8; 2];
        assert!(a.read_at(7, &mut buf).is_err());
        assert_eq!(ipc_stat(g.0).unwrap().nattch(), 1);
        shmdt(a).unwrap();
        let st = ipc_stat(g.0).unwrap();
        assert_eq!(st.nattch(), 0);
        assert!(st.dtime() > 0);
    }

    #[test]
    fn readonly_attachment_refuses_writes() {
        let g = private(8, 0o600);
        let a = shmat(g.0, None, AtFlags::SHM_RDONLY).unwrap();
        assert_eq!(a.write_cstr("x"), Err(AccessError::ReadOnly));
        shmdt(a).unwrap();
    }

    #[test]
    fn remove_while_attached_marks_segment_for_destruction() {
        let g = private(8, 0o600);
        let a = shmat(g.0, None, AtFlags::empty()).unwrap();
        shmctl(g.0, ShmctlCmd::IpcRmid).unwrap();
        let st = ipc_stat(g.0).unwrap();
        assert!(st.is_marked_for_destruction());
        assert!(st.key().is_private());
        shmdt(a).unwrap();
        assert_eq!(ipc_stat(g.0).unwrap_err(), Errno::EINVAL);
    }

    #[test]
    fn set_changes_only_mode_when_read_first() {
        let g = private(8, 0o600);
        let mut st = ipc_stat(g.0).unwrap();
        st.set_mode(Mode::new(0o640));
        shmctl(g.0, ShmctlCmd::IpcSet(&st)).unwrap();
        let after = ipc_stat(g.0).unwrap();
        assert_eq!(after.mode().bits(), 0o640);
        assert_eq!(after.uid(), st.uid());
        assert_eq!(after.gid(), st.gid());
    }

    #[test]
    fn missing_key_is_enoent_and_existing_exclusive_is_eexist() {
        let key = Key::new(0x5eed_0000 | (std::process::id() as i32 & 0xffff));
        if let Ok(stale) = shmget(key, 0, IpcFlags::empty()) {
            let _ = shmctl(stale, ShmctlCmd::IpcRmid);
        }
        assert_eq!(shmget(key, 0, IpcFlags::empty()), Err(Errno::ENOENT));
        let g = Guard(shmget(key, 64, IpcFlags::IPC_CREAT | Mode::new(0o600)).unwrap());
        assert_eq!(
            shmget(
                key,
                64,
                IpcFlags::IPC_CREAT | IpcFlags::IPC_EXCL | Mode::new(0o600)
            ),
            Err(Errno::EEXIST)
        );
        assert_eq!(shmget(key, 128, IpcFlags::empty()), Err(Errno::EINVAL));
        assert_eq!(shmget(key, 0, IpcFlags::empty()), Ok(g.0));
    }

    #[test]
    fn list_segments_sees_a_new_segment_whatever_its_mode() {
        let g = private(32, 0o000);
        let all = list_segments().unwrap();
        let (_, st) = all.iter().find(|(id, _)| *id == g.0).expect("listed");
        assert_eq!(st.size(), 32);
        assert_eq!(st.mode().bits(), 0);
    }

    #[test]
    fn proc_line_parses_octal_perms() {
        let line = "       1234      5      1644      4096   100   200   1  1000  1000  0  0  11  12  13  4096  0";
        let (id, st) = parse_proc_line(line).unwrap();
        assert_eq!(id.raw(), 5);
        assert_eq!(st.key().raw(), 1234);
        assert_eq!(st.mode().bits(), 0o644);
        assert!(st.is_marked_for_destruction());
        assert_eq!(st.cpid(), 100);
        assert_eq!(st.ctime(), 13);
    }

    #[test]
    fn limits_are_readable() {
        let l = limits().unwrap();
        assert!(l.shmmni > 0);
    }
}

//! The values the calls take and give: keys, ids, modes and flags, with their C notation
//! and parsing (`strtol(s, NULL, 0)` for a key, octal for a mode). No call is made here.

use std::fmt;
use std::ops::BitOr;
use std::str::FromStr;
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
pub struct Key(pub(crate) i32);

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
pub struct ShmId(pub(crate) i32);

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
pub struct Mode(pub(crate) u32);

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
pub struct ShmgetFlags(pub(crate) i32);

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

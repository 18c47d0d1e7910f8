//! The timeline of a run: every shm call a program (and its children) made, decoded, with
//! the kernel's view of the segment before and after it. The tracer (in
//! `run::process::tracer`) records raw numbers; everything here is pure data, with the C
//! notation of calls and flags (`shmat(3, NULL, SHM_RDONLY)`). The words that explain an
//! event are the report's (`report::words`).

use serde::{Deserialize, Serialize};

use super::segment::SegmentState;

/// The shm calls, by this machine's syscall numbers.
pub mod nr {
    /// `shmget`.
    pub const SHMGET: i64 = libc::SYS_shmget;
    /// `shmat`.
    pub const SHMAT: i64 = libc::SYS_shmat;
    /// `shmdt`.
    pub const SHMDT: i64 = libc::SYS_shmdt;
    /// `shmctl`.
    pub const SHMCTL: i64 = libc::SYS_shmctl;
    /// All four.
    pub const ALL: [i64; 4] = [SHMGET, SHMAT, SHMDT, SHMCTL];
}

/// The fields `IPC_SET` takes from its buffer, read from the program's memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetFields {
    pub uid: u32,
    pub gid: u32,
    pub mode: u32,
}

/// One call, decoded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "call", rename_all = "snake_case")]
pub enum Call {
    Shmget {
        key: i32,
        size: u64,
        flags: i32,
    },
    Shmat {
        id: i32,
        addr: u64,
        flags: i32,
    },
    Shmdt {
        addr: u64,
    },
    Shmctl {
        id: i32,
        cmd: i32,
        buf: u64,
        set: Option<SetFields>,
    },
    /// A new process (fork, vfork or clone) that inherits the attachments.
    Fork {
        child: i32,
    },
    /// The process replaced itself with another program (its attachments are detached).
    Exec,
    /// The process is ending: its exit status, or minus the signal that killed it. Recorded
    /// for the program itself only while it is still attached (the kernel detaches for it),
    /// and for every process it started.
    Exit {
        status: i32,
    },
    /// Calls the tracer counted but did not keep: a timeline keeps its first and its last
    /// events (see [`MAX_KEPT`]), and this stands for the ones between.
    Omitted {
        count: u64,
    },
}

/// The most events a timeline keeps: the first [`KEPT_FIRST`] and the last [`KEPT_LAST`]; the
/// ones between are counted in one [`Call::Omitted`].
pub const MAX_KEPT: usize = KEPT_FIRST + KEPT_LAST;
/// Events kept from the start of a run.
pub const KEPT_FIRST: usize = 2000;
/// Events kept from the end of a run.
pub const KEPT_LAST: usize = 500;

/// `IPC_64`, which some C libraries OR into `shmctl`'s command.
const IPC_64: i32 = 0x100;

impl Call {
    /// Decodes syscall `nr` with raw arguments `args`; `None` for any other call.
    pub fn decode(nr: i64, args: [u64; 6]) -> Option<Call> {
        Some(match nr {
            n if n == nr::SHMGET => Call::Shmget {
                key: args[0] as i32,
                size: args[1],
                flags: args[2] as i32,
            },
            n if n == nr::SHMAT => Call::Shmat {
                id: args[0] as i32,
                addr: args[1],
                flags: args[2] as i32,
            },
            n if n == nr::SHMDT => Call::Shmdt { addr: args[0] },
            n if n == nr::SHMCTL => Call::Shmctl {
                id: args[0] as i32,
                cmd: args[1] as i32 & !IPC_64,
                buf: args[2],
                set: None,
            },
            _ => return None,
        })
    }

    /// The segment id the call names, where it names one.
    pub fn id(&self) -> Option<i32> {
        match self {
            Call::Shmat { id, .. } | Call::Shmctl { id, .. } => Some(*id),
            _ => None,
        }
    }

    /// The call as C would write it: `shmat(3, NULL, SHM_RDONLY)`.
    pub fn text(&self) -> String {
        match self {
            Call::Shmget { key, size, flags } => format!(
                "shmget({}, {size}, {})",
                key_text(*key),
                shmget_flags(*flags)
            ),
            Call::Shmat { id, addr, flags } => {
                format!("shmat({id}, {}, {})", addr_text(*addr), shmat_flags(*flags))
            }
            Call::Shmdt { addr } => format!("shmdt({})", addr_text(*addr)),
            Call::Shmctl { id, cmd, buf, set } => {
                let buf = match (set, *cmd) {
                    (Some(s), _) => format!(
                        "{{uid={}, gid={}, mode={:04o}}}",
                        s.uid,
                        s.gid,
                        s.mode & 0o777
                    ),
                    (None, libc::IPC_RMID) if *buf == 0 => "NULL".to_string(),
                    (None, _) => addr_text(*buf),
                };
                format!("shmctl({id}, {}, {buf})", shmctl_cmd(*cmd))
            }
            Call::Fork { .. } => "fork()".to_string(),
            Call::Exec => "execve(...)".to_string(),
            Call::Exit { status } if *status < 0 => {
                format!("killed by {}", signal_name(status.saturating_neg()))
            }
            Call::Exit { status } => format!("exit({status})"),
            Call::Omitted { count } => format!("... {count} more calls, not kept ..."),
        }
    }
}

/// A key as `ipcs` shows it, or `IPC_PRIVATE`.
pub fn key_text(key: i32) -> String {
    if key == libc::IPC_PRIVATE {
        "IPC_PRIVATE".into()
    } else {
        format!("0x{:08x}", key as u32)
    }
}

/// An address, or `NULL`.
pub fn addr_text(addr: u64) -> String {
    if addr == 0 {
        "NULL".into()
    } else {
        format!("{addr:#x}")
    }
}

fn names(value: i32, known: &[(i32, &str)], rest_octal: bool) -> String {
    let mut parts = Vec::new();
    let mut left = value;
    for (bit, name) in known {
        if left & bit == *bit && *bit != 0 {
            parts.push((*name).to_string());
            left &= !bit;
        }
    }
    if rest_octal {
        let perms = left & 0o777;
        left &= !0o777;
        if left != 0 {
            parts.push(format!("{left:#o}"));
        }
        if value != 0 {
            parts.push(format!("{perms:04o}"));
        }
    } else if left != 0 {
        parts.push(format!("{left:#x}"));
    }
    if parts.is_empty() {
        "0".into()
    } else {
        parts.join("|")
    }
}

/// `shmget` flags: `IPC_CREAT|IPC_EXCL|0644`.
pub fn shmget_flags(flags: i32) -> String {
    names(
        flags,
        &[
            (libc::IPC_CREAT, "IPC_CREAT"),
            (libc::IPC_EXCL, "IPC_EXCL"),
            (libc::SHM_HUGETLB, "SHM_HUGETLB"),
            (libc::SHM_NORESERVE, "SHM_NORESERVE"),
        ],
        true,
    )
}

/// `shmat` flags: `SHM_RDONLY`, `SHM_RND`, or `0`.
pub fn shmat_flags(flags: i32) -> String {
    names(
        flags,
        &[
            (libc::SHM_RDONLY, "SHM_RDONLY"),
            (libc::SHM_RND, "SHM_RND"),
            (libc::SHM_REMAP, "SHM_REMAP"),
            (libc::SHM_EXEC, "SHM_EXEC"),
        ],
        false,
    )
}

/// A `shmctl` command by name.
pub fn shmctl_cmd(cmd: i32) -> String {
    match cmd {
        libc::IPC_RMID => "IPC_RMID".into(),
        libc::IPC_SET => "IPC_SET".into(),
        libc::IPC_STAT => "IPC_STAT".into(),
        libc::IPC_INFO => "IPC_INFO".into(),
        libc::SHM_LOCK => "SHM_LOCK".into(),
        libc::SHM_UNLOCK => "SHM_UNLOCK".into(),
        shm::consts::SHM_STAT => "SHM_STAT".into(),
        shm::consts::SHM_INFO => "SHM_INFO".into(),
        shm::consts::SHM_STAT_ANY => "SHM_STAT_ANY".into(),
        other => other.to_string(),
    }
}

/// An errno's name (`EEXIST`) from its number.
pub fn errno_name(errno: i32) -> String {
    let e = nix::errno::Errno::from_raw(errno);
    if e == nix::errno::Errno::UnknownErrno {
        format!("errno {errno}")
    } else {
        format!("{e:?}")
    }
}

/// What a call returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Return {
    /// The value (an id, an address, 0).
    Value(i64),
    /// -1 with this errno.
    Errno(i32),
    /// -1, with an errno the tracer did not see: a call it let run without stopping at its
    /// end (it stops at both ends only where the result cannot be foreseen), whose result
    /// it read from the segment afterwards.
    Failed,
}

impl Return {
    /// Whether the call succeeded.
    pub fn is_ok(&self) -> bool {
        matches!(self, Return::Value(_))
    }

    /// From the kernel's return value (`-errno` on failure).
    pub fn from_raw(value: i64, is_error: bool) -> Return {
        if is_error {
            Return::Errno((-value) as i32)
        } else {
            Return::Value(value)
        }
    }
}

/// A signal's name, `SIGSEGV`.
pub fn signal_name(signal: i32) -> String {
    nix::sys::signal::Signal::try_from(signal)
        .map(|s| s.as_str().to_string())
        .unwrap_or_else(|_| format!("signal {signal}"))
}

/// An attachment a process held at a fork, an exec or its exit, with the segment's nattch
/// right then.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attached {
    pub id: i32,
    pub nattch: u64,
}

/// What an event did, as data; `report::words` says it in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Effect {
    /// A shm call: the segment as it was before (the event's `segment` is after).
    Call { before: Option<SegmentState> },
    /// A new process, inheriting these attachments.
    Fork { inherited: Vec<Attached> },
    /// The process became `program`, losing these attachments.
    Exec {
        program: String,
        detached: Vec<Attached>,
    },
    /// The process is ending, still attached to these (none: it had detached everything);
    /// the kernel detaches them.
    Exit { attached: Vec<Attached> },
}

/// How many bytes of an attachment the tracer reads at a `shmdt`.
pub const HELD_BYTES: usize = 64;

/// One line of the timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceEvent {
    /// The process that made the call.
    pub pid: i32,
    pub call: Call,
    /// What it returned (none for fork and exec).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ret: Option<Return>,
    /// The segment the call concerned, as IPC_STAT showed it right after; `None` when it is
    /// gone or the call named none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub segment: Option<SegmentState>,
    /// The segment's id, when the call concerned one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub segment_id: Option<i32>,
    /// For a `shmdt` by a process the program started: the text that process saw at the
    /// address just before it detached (the bytes up to the first NUL, at most
    /// [`HELD_BYTES`]), read from its memory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held: Option<String>,
    /// Whether [`TraceEvent::held`] was cut: no NUL within [`HELD_BYTES`].
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub held_cut: bool,
    /// What changed.
    pub effect: Effect,
    /// How many more times the same process made the same call right after, with the same
    /// result and no change to the segment (a loop polling `IPC_STAT`, say), folded into this
    /// event.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub repeats: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl TraceEvent {
    /// The call and its result, as strace would show them:
    /// `[4242] shmget(0x00001234, 10, IPC_CREAT|0600) = -1 EEXIST (File exists)`.
    pub fn call_line(&self) -> String {
        let ret = match (&self.call, self.ret) {
            (Call::Fork { child }, _) => format!(" = {child}"),
            (_, None) => String::new(),
            (Call::Shmat { .. }, Some(Return::Value(v))) => format!(" = {}", addr_text(v as u64)),
            (_, Some(Return::Value(v))) => format!(" = {v}"),
            (_, Some(Return::Errno(errno))) => {
                let text = nix::errno::Errno::from_raw(errno).desc();
                format!(" = -1 {} ({text})", errno_name(errno))
            }
            (_, Some(Return::Failed)) => " = -1 (errno not seen)".to_string(),
        };
        if let Call::Omitted { .. } = self.call {
            return self.call.text();
        }
        let times = match self.repeats {
            0 => String::new(),
            n => format!(" (x{} in a row)", n.saturating_add(1)),
        };
        format!("[{}] {}{ret}{times}", self.pid, self.call.text())
    }

    /// Whether the call returned successfully.
    pub fn succeeded(&self) -> bool {
        self.ret.is_some_and(|r| r.is_ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shmget_flags_name_bits_and_show_the_mode() {
        assert_eq!(
            shmget_flags(libc::IPC_CREAT | libc::IPC_EXCL | 0o644),
            "IPC_CREAT|IPC_EXCL|0644"
        );
        assert_eq!(shmget_flags(libc::IPC_CREAT), "IPC_CREAT|0000");
        assert_eq!(shmget_flags(0), "0");
        assert_eq!(shmget_flags(0o600), "0600");
        assert_eq!(
            shmget_flags(libc::IPC_CREAT | 0o100644),
            "IPC_CREAT|0o100000|0644"
        );
        assert_eq!(
            shmget_flags(0o1644),
            "IPC_CREAT|0644",
            "01000 is IPC_CREAT itself"
        );
    }

    #[test]
    fn shmat_flags_and_commands_have_names() {
        assert_eq!(shmat_flags(0), "0");
        assert_eq!(shmat_flags(libc::SHM_RDONLY), "SHM_RDONLY");
        assert_eq!(
            shmat_flags(libc::SHM_RDONLY | libc::SHM_RND),
            "SHM_RDONLY|SHM_RND"
        );
        assert_eq!(shmctl_cmd(libc::IPC_RMID), "IPC_RMID");
        assert_eq!(shmctl_cmd(libc::IPC_SET), "IPC_SET");
        assert_eq!(shmctl_cmd(libc::IPC_STAT), "IPC_STAT");
        assert_eq!(shmctl_cmd(15), "SHM_STAT_ANY");
        assert_eq!(shmctl_cmd(99), "99");
    }

    #[test]
    fn errnos_have_names() {
        assert_eq!(errno_name(libc::EEXIST), "EEXIST");
        assert_eq!(errno_name(libc::ENOENT), "ENOENT");
        assert_eq!(errno_name(libc::EINVAL), "EINVAL");
        assert_eq!(errno_name(libc::EACCES), "EACCES");
        assert_eq!(errno_name(libc::EPERM), "EPERM");
    }

    #[test]
    fn calls_decode_from_raw_arguments() {
        let c = Call::decode(
            nr::SHMGET,
            [0x1234, 4096, (libc::IPC_CREAT | 0o644) as u64, 0, 0, 0],
        )
        .unwrap();
        assert_eq!(c.text(), "shmget(0x00001234, 4096, IPC_CREAT|0644)");
        let c = Call::decode(nr::SHMGET, [0, 16, libc::IPC_CREAT as u64, 0, 0, 0]).unwrap();
        assert_eq!(c.text(), "shmget(IPC_PRIVATE, 16, IPC_CREAT|0000)");
        let c = Call::decode(nr::SHMAT, [3, 0, libc::SHM_RDONLY as u64, 0, 0, 0]).unwrap();
        assert_eq!(c.text(), "shmat(3, NULL, SHM_RDONLY)");
        let c = Call::decode(nr::SHMDT, [0x7f00_1000, 0, 0, 0, 0, 0]).unwrap();
        assert_eq!(c.text(), "shmdt(0x7f001000)");
        let c = Call::decode(nr::SHMCTL, [3, (libc::IPC_RMID | 0x100) as u64, 0, 0, 0, 0]).unwrap();
        assert_eq!(c.text(), "shmctl(3, IPC_RMID, NULL)");
        assert_eq!(Call::decode(libc::SYS_getpid, [0; 6]), None);
        let set = Call::Shmctl {
            id: 0,
            cmd: libc::IPC_SET,
            buf: 0x1000,
            set: Some(SetFields {
                uid: 0,
                gid: 0,
                mode: 0o640,
            }),
        };
        assert_eq!(set.text(), "shmctl(0, IPC_SET, {uid=0, gid=0, mode=0640})");
    }
}

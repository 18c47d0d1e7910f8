//! The other System V objects, message queues and semaphore sets, as far as a grader needs
//! them: which ones a uid holds, and removing them. A program may make them as it may make
//! segments, and they outlive it as segments do (a queue keeps its messages in the kernel's
//! memory), so a grader that removes what a run left must remove those too.

use crate::Errno;

/// A kind of System V object other than a segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Other {
    /// A message queue (`msgget`).
    MessageQueue,
    /// A semaphore set (`semget`).
    SemaphoreSet,
}

impl Other {
    /// Both kinds.
    pub const ALL: [Other; 2] = [Other::MessageQueue, Other::SemaphoreSet];

    /// Where the kernel lists them, and the name of their id's column.
    fn listing(self) -> (&'static str, &'static str) {
        match self {
            Other::MessageQueue => ("/proc/sysvipc/msg", "msqid"),
            Other::SemaphoreSet => ("/proc/sysvipc/sem", "semid"),
        }
    }
}

/// The ids of the objects of `kind`, in the caller's IPC namespace, whose owner or creator
/// is `uid`. Empty where `/proc/sysvipc` cannot be read.
pub fn held_by(kind: Other, uid: u32) -> Vec<i32> {
    let (path, id_column) = kind.listing();
    std::fs::read_to_string(path)
        .map(|text| parse_held_by(&text, id_column, uid))
        .unwrap_or_default()
}

/// [`held_by`] on the text of a `/proc/sysvipc` file: its first line names the columns.
fn parse_held_by(text: &str, id_column: &str, uid: u32) -> Vec<i32> {
    let mut lines = text.lines();
    let Some(header) = lines.next() else {
        return Vec::new();
    };
    let names: Vec<&str> = header.split_whitespace().collect();
    let at = |name: &str| names.iter().position(|n| *n == name);
    let (Some(id), Some(owner), Some(creator)) = (at(id_column), at("uid"), at("cuid")) else {
        return Vec::new();
    };
    lines
        .filter_map(|line| {
            let words: Vec<&str> = line.split_whitespace().collect();
            let number = |i: usize| words.get(i)?.parse::<i64>().ok();
            let is_uid = |i| number(i) == Some(i64::from(uid));
            (is_uid(owner) || is_uid(creator))
                .then(|| number(id).and_then(|n| i32::try_from(n).ok()))
                .flatten()
        })
        .collect()
}

/// `msgctl(id, IPC_RMID, NULL)` or `semctl(id, 0, IPC_RMID)`: removes the object now.
///
/// # Errors
/// - `EINVAL`, `EIDRM`: no such object (any more).
/// - `EPERM`: the caller is neither its owner nor its creator and lacks `CAP_SYS_ADMIN`.
pub fn remove(kind: Other, id: i32) -> Result<(), Errno> {
    let r = match kind {
        // SAFETY: IPC_RMID ignores the buffer, so NULL is allowed.
        Other::MessageQueue => unsafe { libc::msgctl(id, libc::IPC_RMID, std::ptr::null_mut()) },
        // SAFETY: IPC_RMID takes no fourth argument.
        Other::SemaphoreSet => unsafe { libc::semctl(id, 0, libc::IPC_RMID) },
    };
    Errno::result(r).map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_objects_of_a_uid_are_read_by_the_columns_names() {
        let msg = "       key      msqid perms      cbytes       qnum lspid lrpid   uid   gid  cuid  cgid      stime      rtime      ctime\n\
                   0          0   600          64          1  2031     0 60804 60804 60804 60804 1796658725          0 1796658725\n\
                   1234       32769 600          0          0     0     0 0 0 60804 0 0 0 0\n\
                   0          65538 600          0          0     0     0 1000 1000 1000 1000 0 0 0\n";
        assert_eq!(parse_held_by(msg, "msqid", 60804), [0, 32769]);
        assert_eq!(parse_held_by(msg, "msqid", 1000), [65538]);
        let sem = "       key      semid perms      nsems   uid   gid  cuid  cgid      otime      ctime\n\
                   0          7   600          4 60804 60804 60804 60804          0 1796658725\n";
        assert_eq!(parse_held_by(sem, "semid", 60804), [7]);
        assert_eq!(parse_held_by(sem, "msqid", 60804), Vec::<i32>::new());
        assert_eq!(parse_held_by("", "semid", 0), Vec::<i32>::new());
    }

    #[test]
    fn a_queue_made_here_is_held_by_its_uid_and_removed() {
        // SAFETY: msgget takes no pointer.
        let id = unsafe { libc::msgget(libc::IPC_PRIVATE, libc::IPC_CREAT | 0o600) };
        assert!(id >= 0, "{}", Errno::last());
        let me = nix::unistd::geteuid().as_raw();
        assert!(held_by(Other::MessageQueue, me).contains(&id));
        remove(Other::MessageQueue, id).unwrap();
        assert!(!held_by(Other::MessageQueue, me).contains(&id));
        assert_eq!(remove(Other::MessageQueue, id), Err(Errno::EINVAL));
    }
}

//! What the labs print on stdout: exactly what the contract asks for, and nothing else.

use std::fmt::{Display, Write as _};
use std::io::{self, Write as _};
use std::process;

use shm::{SegmentStat, ShmId};

use crate::exit::fail_with;

/// Prints a segment id and a newline, as `printf("%d\n", id)` would.
pub fn print_id(id: ShmId) {
    write_stdout(format!("{id}\n").as_bytes());
}

/// Prints the bytes read from a segment, then a newline.
///
/// The bytes are written as they are, like `printf("%s\n", p)`: text that is not UTF-8 is not
/// altered.
pub fn print_text(text: &[u8]) {
    let mut line = Vec::with_capacity(text.len() + 1);
    line.extend_from_slice(text);
    line.push(b'\n');
    write_stdout(&line);
}

/// The 14 `name: value` lines of lab stat, each ending with a newline.
///
/// The key is `0x%08x`, the mode the four-digit octal of the nine permission bits (without
/// `SHM_DEST` or `SHM_LOCKED`), times are seconds since the epoch (0 = never).
pub fn format_stat(id: ShmId, st: &SegmentStat) -> String {
    let mut out = String::new();
    let lines: [(&str, &dyn Display); 14] = [
        ("key", &st.key()),
        ("shmid", &id),
        ("size", &st.size()),
        ("mode", &st.mode()),
        ("uid", &st.uid()),
        ("gid", &st.gid()),
        ("cuid", &st.cuid()),
        ("cgid", &st.cgid()),
        ("cpid", &st.cpid()),
        ("lpid", &st.lpid()),
        ("nattch", &st.nattch()),
        ("atime", &st.atime()),
        ("dtime", &st.dtime()),
        ("ctime", &st.ctime()),
    ];
    for (name, value) in lines {
        // Writing to a String cannot fail.
        let _ = writeln!(out, "{name}: {value}");
    }
    out
}

/// Prints [`format_stat`] on stdout.
pub fn print_stat(id: ShmId, st: &SegmentStat) {
    write_stdout(format_stat(id, st).as_bytes());
}

/// Prints one line of text and a newline, such as lab memo's `segment deleted`.
pub fn print_line(line: &str) {
    write_stdout(format!("{line}\n").as_bytes());
}

/// Writes all of `bytes` to stdout and flushes. A closed pipe (`lab | head -0`) ends the
/// program quietly, as it would end a C program; any other error is a failure.
pub(crate) fn write_stdout(bytes: &[u8]) {
    let mut out = io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => process::exit(0),
        Err(e) => fail_with("stdout", e),
    }
}

#[cfg(test)]
mod tests {
    use shm::{Key, Mode};

    use super::*;

    #[test]
    fn stat_of_a_zeroed_buffer_prints_14_lines_in_contract_order() {
        let mut st = SegmentStat::zeroed();
        st.set_mode(Mode::new(0o644));
        st.set_uid(1000);
        st.set_gid(1001);
        assert_eq!(
            format_stat(ShmId::new(0), &st),
            "key: 0x00000000\nshmid: 0\nsize: 0\nmode: 0644\nuid: 1000\ngid: 1001\n\
             cuid: 0\ncgid: 0\ncpid: 0\nlpid: 0\nnattch: 0\natime: 0\ndtime: 0\nctime: 0\n"
        );
    }

    /// Removes the segment when dropped, so a failing assertion leaks nothing.
    struct Guard(ShmId);

    impl Drop for Guard {
        fn drop(&mut self) {
            let _ = shm::shmctl(self.0, shm::ShmctlCmd::IpcRmid);
        }
    }

    #[test]
    fn stat_of_a_real_segment_shows_its_size_mode_and_creator() {
        let id = shm::shmget(
            Key::PRIVATE,
            1234,
            shm::IpcFlags::IPC_CREAT | Mode::new(0o640),
        )
        .expect("shmget");
        let guard = Guard(id);
        let st = shm::ipc_stat(guard.0).expect("IPC_STAT");
        let text = format_stat(guard.0, &st);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 14);
        assert_eq!(lines[0], "key: 0x00000000");
        assert_eq!(lines[1], format!("shmid: {}", id.raw()));
        assert_eq!(lines[2], "size: 1234");
        assert_eq!(lines[3], "mode: 0640");
        assert_eq!(lines[8], format!("cpid: {}", std::process::id()));
        assert_eq!(lines[10], "nattch: 0");
        assert_eq!(lines[11], "atime: 0");
        assert!(
            lines[13]
                .strip_prefix("ctime: ")
                .unwrap()
                .parse::<i64>()
                .unwrap()
                > 0
        );
    }

    #[test]
    fn stat_mode_hides_shm_dest() {
        let id = shm::shmget(
            Key::PRIVATE,
            64,
            shm::IpcFlags::IPC_CREAT | Mode::new(0o600),
        )
        .expect("shmget");
        let guard = Guard(id);
        let seg = shm::shmat(guard.0, None, shm::AtFlags::empty()).expect("shmat");
        shm::shmctl(guard.0, shm::ShmctlCmd::IpcRmid).expect("IPC_RMID");
        let st = shm::ipc_stat(guard.0).expect("IPC_STAT");
        assert!(st.is_marked_for_destruction());
        assert!(format_stat(guard.0, &st).contains("\nmode: 0600\n"));
        shm::shmdt(seg).expect("shmdt");
    }
}

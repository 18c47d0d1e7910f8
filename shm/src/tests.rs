//! Tests of the calls against the real kernel, and of the value types.
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

#[test]
fn bytes_past_the_size_are_mapped_to_the_page_end_and_start_zero() {
    let g = private(201, 0o600);
    let a = shmat(g.0, None, AtFlags::empty()).unwrap();
    let tail = a.read_past_size();
    assert_eq!(tail.len(), page_size() - 201);
    assert!(tail.iter().all(|b| *b == 0));
    // A write past the size, as C's strcpy of a long line does, lands in the tail.
    // SAFETY: offset 250 is inside the segment's mapped page, attached read-write.
    unsafe { a.as_mut_ptr().add(250).write(b'x') };
    assert_eq!(a.read_past_size()[250 - 201], b'x');
    shmdt(a).unwrap();
}

#[test]
fn fork_refuses_while_another_thread_runs() {
    let (stop, wait) = std::sync::mpsc::channel::<()>();
    let other = std::thread::spawn(move || {
        let _ = wait.recv();
    });
    assert!(process::thread_count().unwrap() >= 2);
    match fork() {
        Err(e) => assert_eq!(e, Errno::EAGAIN),
        // Never reached; if it were, the child must not go on running the test harness.
        Ok(Forked::Child) => exit_now(0),
        Ok(Forked::Parent(child)) => {
            let _ = child.wait();
            panic!("fork went ahead with two threads");
        }
    }
    drop(stop);
    other.join().unwrap();
}

#[test]
fn child_exit_says_how_the_child_ended() {
    assert!(ChildExit::Exited(0).is_success());
    assert!(!ChildExit::Exited(3).is_success());
    assert!(!ChildExit::Signaled(9).is_success());
    assert_eq!(ChildExit::Exited(3).to_string(), "exited with status 3");
    assert_eq!(
        ChildExit::Signaled(11).to_string(),
        "killed by signal 11 (SIGSEGV)"
    );
    assert_eq!(ChildExit::Signaled(40).to_string(), "killed by signal 40");
}

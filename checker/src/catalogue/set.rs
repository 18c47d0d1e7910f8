//! Lab 7, set: `set KEY --mode OCTAL [--uid UID] [--gid GID]`.

use super::builder::{def, key, lit, Def, FREE};
use super::expect::{fails_with, missing_key_def, mode_hint, stdout_empty};
use super::timeline::timeline_shmctl;
use crate::model::timeline::SetFields;
use crate::model::{Call, Return};
use crate::scenario::{errno_in, Ctx, Kind, Need, Owner, SegmentSpec, OTHER_GID, OTHER_UID};

/// The scenarios, in the order of the guide.
pub fn scenarios() -> Vec<Def> {
    let (uid, gid) = (OTHER_UID.to_string(), OTHER_GID.to_string());
    vec![
        def("set/mode", "--mode changes only the permission bits")
            .setup(SegmentSpec::new(4096, 0o600))
            .run(&[key(0), lit("--mode"), lit("640")])
            .expect(|c| check_set(c, 0o640, None, None)),
        def("set/mode-narrower", "--mode can take permission bits away")
            .setup(SegmentSpec::new(4096, 0o666))
            .run(&[key(0), lit("--mode"), lit("600")])
            .expect(|c| check_set(c, 0o600, None, None)),
        def("set/keeps-owner", "uid and gid survive a mode change")
            .setup(SegmentSpec::new(4096, 0o600).owned_by(Owner::ProgramOtherGroup))
            .run(&[key(0), lit("--mode"), lit("604")])
            .expect(|c| check_set(c, 0o604, None, None)),
        def("set/uid-gid", "--uid and --gid are applied")
            .needs(&[Need::OtherIds])
            .setup(SegmentSpec::new(4096, 0o644))
            .run(&[key(0), lit("--mode"), lit("600"), lit("--uid"), lit(&uid), lit("--gid"), lit(&gid)])
            .expect(|c| check_set(c, 0o600, Some(OTHER_UID), Some(OTHER_GID))),
        def("set/not-owner", "changing another user's segment fails with EPERM")
            .needs(&[Need::Unprivileged, Need::OtherIds])
            .setup(SegmentSpec::new(4096, 0o666).owned_by(Owner::Other))
            .run(&[key(0), lit("--mode"), lit("600")])
            .expect(|c| {
                fails_with(c, Kind::Shmctl, "EPERM");
                c.unchanged_allowing_attach(0, "the segment belongs to another user, so IPC_SET fails with EPERM and nothing may change");
            }),
        missing_key_def("set/missing-key", &[FREE, lit("--mode"), lit("600")]),
    ]
}

// Expectations and hints -----------------------------------------------------------------

const ZEROED: &str = "IPC_SET set the owner to uid/gid 0, as a zeroed struct shmid_ds would: fill the buffer with IPC_STAT first, then change only the mode";

/// Why the mode is not `mode`, from the mode IPC_SET was given where the trace shows it.
pub(super) fn set_mode_hint(
    mode: u32,
    before: u32,
    after: u32,
    passed: Option<Option<SetFields>>,
) -> String {
    let ored = before | mode;
    match passed {
        Some(None) => "the program made no IPC_SET call on the segment, so its mode did not change: shmctl(id, IPC_SET, &buf) applies the buffer's mode".into(),
        Some(Some(set)) => {
            let given = set.mode & 0o777;
            if given == before && given == ored && ored != mode {
                format!("IPC_SET was given mode {given:04o}, the segment's old mode: the new bits {mode:04o} did not replace the old ones (OR-ing {mode:04o} into {before:04o} gives {before:04o} again); set the nine permission bits with mode = (mode & ~0777) | new")
            } else if given == ored && ored != mode {
                format!("IPC_SET was given mode {given:04o}, the old bits {before:04o} OR'ed with {mode:04o}: replace the nine permission bits (mode = (mode & ~0777) | new) instead of OR-ing them in")
            } else if given == before && before != mode {
                format!("IPC_SET was given the old mode {before:04o}: put the new bits in shm_perm.mode of the buffer before the call")
            } else if given == mode {
                format!("IPC_SET was given mode {mode:04o}, yet the segment has {after:04o}: was another IPC_SET made after it?")
            } else {
                mode_hint(mode, given, "--mode")
            }
        }
        None if after == before && ored == before => format!("the mode did not change ({before:04o}, which is also what OR-ing {mode:04o} into it gives): IPC_SET must be given shm_perm.mode with its nine permission bits replaced by the new ones"),
        None if after == before => "the mode did not change: IPC_SET must be given a buffer whose shm_perm.mode holds the new bits".into(),
        None if after == ored && ored != mode => format!("the mode became {after:04o}, the old bits {before:04o} OR'ed with {mode:04o}: replace the nine permission bits (mode = (mode & ~0777) | new) instead of OR-ing them in"),
        None => mode_hint(mode, after, "--mode"),
    }
}

fn set_status(c: &mut Ctx<'_>) {
    let id = c.obs.setup_ids[0];
    let evidence = c.evidence();
    // The IPC_SET calls on the segment, in order: what each was given and how it came out.
    let sets: Option<Vec<(Option<SetFields>, Option<Return>)>> =
        evidence.calls(Kind::Shmctl).map(|calls| {
            calls
                .iter()
                .filter_map(|e| match e.call {
                    Call::Shmctl {
                        id: i,
                        cmd: libc::IPC_SET,
                        set,
                        ..
                    } if i == id => Some((set, e.ret)),
                    _ => None,
                })
                .collect()
        });
    c.status_hinted(0, |code, stderr| {
        if code != 1 {
            return None;
        }
        let Some(sets) = sets else {
            return (errno_in(stderr) == Some("EINVAL")).then(|| {
                "the program reported EINVAL: IPC_SET refuses a uid or gid that does not exist here, such as those of a zeroed struct shmid_ds; fill the buffer with IPC_STAT first".into()
            });
        };
        let failed = sets.iter().position(|(_, r)| matches!(r, Some(Return::Errno(_))))?;
        let (given, ret) = sets[failed];
        let Some(Return::Errno(errno)) = ret else { return None };
        let earlier_ok = sets[..failed].iter().any(|(_, r)| matches!(r, Some(Return::Value(_))));
        match (errno, given) {
            (libc::EPERM, _) if earlier_ok => Some(format!("the program made {} IPC_SET calls: an earlier one changed the owner, so the program no longer owned the segment and the next failed with EPERM; set uid, gid and mode in one buffer and one IPC_SET (or change the owner last)", sets.len())),
            (libc::EINVAL, Some(set)) => Some(format!("IPC_SET was given uid {} and gid {}, and failed with EINVAL: one of them does not exist in this namespace; fill the buffer with IPC_STAT first, then change only what the options ask", set.uid, set.gid)),
            _ => None,
        }
    });
}

fn check_set(c: &mut Ctx<'_>, mode: u32, uid: Option<u32>, gid: Option<u32>) {
    check_set_state(c, mode, uid, gid);
    timeline_shmctl(c, libc::IPC_SET);
}

fn check_set_state(c: &mut Ctx<'_>, mode: u32, uid: Option<u32>, gid: Option<u32>) {
    set_status(c);
    stdout_empty(c);
    let before = c.setup_before(0).clone();
    let Some(after) = c.after().by_id(before.id).cloned() else {
        c.check(
            "segment-exists",
            "the segment after the run",
            "still there",
            "gone",
            false,
            || "the set lab must not remove the segment".into(),
        );
        return;
    };
    let passed = c.evidence().ipc_set(before.id);
    c.field(
        "mode",
        "permission bits after IPC_SET",
        format!("{mode:04o}"),
        format!("{:04o}", after.perms()),
        || set_mode_hint(mode, before.perms(), after.perms(), passed),
    );
    let want_uid = uid.unwrap_or(before.uid);
    let want_gid = gid.unwrap_or(before.gid);
    c.field("uid", "owner (shm_perm.uid)", want_uid, after.uid, || {
        if passed == Some(None) {
            "the program made no IPC_SET call on the segment, so the owner did not change".into()
        } else if let (Some(Some(set)), Some(_)) = (passed, uid) {
            format!(
                "--uid was not applied: IPC_SET was given uid {}; put --uid's value in shm_perm.uid before the call",
                set.uid
            )
        } else if uid.is_some() && after.uid == before.uid {
            "--uid was not applied: set shm_perm.uid in the buffer before IPC_SET".into()
        } else if after.uid == 0 {
            ZEROED.into()
        } else {
            "IPC_SET changed the owner: keep shm_perm.uid as IPC_STAT read it unless --uid is given"
                .into()
        }
    });
    c.field("gid", "group (shm_perm.gid)", want_gid, after.gid, || {
        if passed == Some(None) {
            "the program made no IPC_SET call on the segment, so the group did not change".into()
        } else if let (Some(Some(set)), Some(_)) = (passed, gid) {
            format!(
                "--gid was not applied: IPC_SET was given gid {}; put --gid's value in shm_perm.gid before the call",
                set.gid
            )
        } else if gid.is_some() && after.gid == before.gid {
            "--gid was not applied: set shm_perm.gid in the buffer before IPC_SET".into()
        } else if after.gid == 0 {
            ZEROED.into()
        } else {
            "IPC_SET changed the group: keep shm_perm.gid as IPC_STAT read it unless --gid is given"
                .into()
        }
    });
    for (field, b, a) in [
        ("cuid", before.cuid, after.cuid),
        ("cgid", before.cgid, after.cgid),
    ] {
        c.field(field, format!("{field} (never changes)"), b, a, || {
            "the creator's ids never change".into()
        });
    }
    c.field("size", "size", before.size, after.size, || {
        "IPC_SET cannot change the size; something else replaced the segment".into()
    });
    let started = c.run().started;
    c.check(
        "ctime",
        "change time (shm_ctime)",
        format!("at or after the run started ({started})"),
        after.ctime,
        after.ctime >= started,
        || "shm_ctime did not move: IPC_SET was never applied".into(),
    );
}

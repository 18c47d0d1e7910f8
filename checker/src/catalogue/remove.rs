//! Lab 5, remove: `remove KEY`.

use super::builder::{def, key, Def, FREE};
use super::expect::{fails_with, missing_key_def, stdout_empty};
use super::timeline::timeline_shmctl;
use crate::model::{Call, Return};
use crate::scenario::{errno_in, Action, Ctx, Kind, Need, Owner, SegmentSpec};

/// The scenarios, in the order of the guide.
pub fn scenarios() -> Vec<Def> {
    vec![
        def("remove/unattached", "an unattached segment is gone after the run")
            .setup(SegmentSpec::new(4096, 0o644))
            .run(&[key(0)])
            .expect(|c| {
                remove_status(c);
                stdout_empty(c);
                let id = c.obs.setup_ids[0];
                let after = c.after().by_id(id).cloned();
                c.check("segment-exists", "the segment after the run", "gone", if after.is_some() { "still there" } else { "gone" }, after.is_none(), || NO_RMID.into());
                c.nothing_created("a new segment appeared: the remove lab only looks up the key, without IPC_CREAT");
                timeline_shmctl(c, libc::IPC_RMID);
            }),
        def("remove/attached-elsewhere", "an attached segment is marked SHM_DEST and goes at its last detach")
            .setup(SegmentSpec::new(4096, 0o644).held(1))
            .run(&[key(0)])
            .then(Action::ReleaseHeld)
            .expect(|c| {
                remove_status(c);
                marked_then_gone(c);
                timeline_shmctl(c, libc::IPC_RMID);
            }),
        missing_key_def("remove/missing-key", &[FREE]),
        def("remove/not-owner", "removing another user's segment fails with EPERM")
            .needs(&[Need::Unprivileged, Need::OtherIds])
            .setup(SegmentSpec::new(4096, 0o666).owned_by(Owner::Other))
            .run(&[key(0)])
            .expect(|c| {
                fails_with(c, Kind::Shmctl, "EPERM");
                c.unchanged_allowing_attach(0, "the segment belongs to another user, so IPC_RMID fails with EPERM and it must stay intact");
            }),
    ]
}

// Expectations and hints -----------------------------------------------------------------

/// After the run, the held segment is marked SHM_DEST with key 0; after the checker's
/// detach, it is gone.
fn marked_then_gone(c: &mut Ctx<'_>) {
    let id = c.obs.setup_ids[0];
    match c.after().by_id(id).cloned() {
        None => {
            c.check("segment-exists", "the segment after the run", "still there (another process holds it)", "gone", false, || {
                "the segment vanished while another process was attached: the kernel never does that, so the checker's setup was disturbed".into()
            });
        }
        Some(seg) => {
            let marked = seg.is_marked_for_destruction();
            c.check(
                "mode",
                "SHM_DEST flag (mode & 01000)",
                "set",
                if marked { "set" } else { "not set" },
                marked,
                || NO_RMID.into(),
            );
            c.explain_last("SHM_DEST");
            c.field(
                "key",
                "key after IPC_RMID",
                "0x00000000".to_string(),
                seg.key().to_string(),
                || NO_RMID.into(),
            );
            c.explain_last("IPC_PRIVATE");
            c.field("nattch", "attachments", 1u64, seg.nattch, || {
                "only the checker's attachment should remain".into()
            });
        }
    }
    let gone = c.after_step(1).by_id(id).is_none();
    c.check("segment-exists", "the segment after the checker detached", "gone", if gone { "gone" } else { "still there" }, gone, || {
        "the segment survived its last detach, so it was never marked for destruction: IPC_RMID was not applied to it".into()
    });
}

const NO_RMID: &str = "the segment was not marked for removal, so IPC_RMID was not applied to it: call shmctl(id, IPC_RMID, NULL) with the id shmget returned";

fn remove_status(c: &mut Ctx<'_>) {
    let evidence = c.evidence();
    let (id, key) = (c.obs.setup_ids[0], c.obs.keys[0]);
    // The id the failed IPC_RMID was given, where the trace shows it.
    let rmid_on = evidence.calls(Kind::Shmctl).map(|calls| {
        calls.iter().find_map(|e| match (&e.call, e.ret) {
            (
                Call::Shmctl {
                    id,
                    cmd: libc::IPC_RMID,
                    ..
                },
                Some(Return::Errno(libc::EINVAL)),
            ) => Some(*id),
            _ => None,
        })
    });
    c.status_hinted(0, |code, stderr| {
        if code != 1 {
            return None;
        }
        match rmid_on {
            Some(Some(given)) if given == key.raw() => Some(format!("shmctl(IPC_RMID) was given {given}, which is the key ({key}) as a number: pass the id shmget returned ({id}), not the key")),
            Some(Some(given)) => Some(format!("shmctl(IPC_RMID) was given {given}, which is no segment's id (EINVAL): pass the id shmget returned ({id})")),
            Some(None) => None,
            None => (stderr.contains("shmctl") && errno_in(stderr) == Some("EINVAL")).then(|| {
                "shmctl failed with EINVAL: no segment has the id it was given; pass the id shmget returned, not the key".into()
            }),
        }
    });
}

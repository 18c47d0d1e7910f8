//! Lab 4, detach: `detach KEY`.

use super::builder::{def, key, Def, FREE};
use super::expect::{lpid_hint, missing_key_def, read_hint};
use super::timeline::timeline_shmdt;
use crate::scenario::evidence::BadDetach;
use crate::scenario::{errno_in, Ctx, SegmentSpec};

/// The scenarios, in the order of the guide.
pub fn scenarios() -> Vec<Def> {
    vec![
        def("detach/read-and-detach", "prints the text, detaches")
            .setup(SegmentSpec::new(64, 0o644).holding(b"detach me\0"))
            .run(&[key(0)])
            .expect(|c| {
                detach_status(c);
                let evidence = c.evidence();
                c.stdout("detach me\n", |a| {
                    read_hint(a, "detach me", None, &evidence)
                });
                detached_by_program(c, 0);
                timeline_shmdt(c, 0);
            }),
        def(
            "detach/other-attachment-kept",
            "another process's attachment is left alone",
        )
        .setup(SegmentSpec::new(64, 0o644).holding(b"shared\0").held(1))
        .run(&[key(0)])
        .expect(|c| {
            detach_status(c);
            let evidence = c.evidence();
            c.stdout("shared\n", |a| read_hint(a, "shared", None, &evidence));
            detached_by_program(c, 1);
            timeline_shmdt(c, 1);
        }),
        missing_key_def("detach/missing-key", &[FREE]),
    ]
}

// Expectations and hints -----------------------------------------------------------------

fn detached_by_program(c: &mut Ctx<'_>, before_nattch: u64) {
    let id = c.obs.setup_ids[0];
    let pid = c.run().pid;
    let started = c.run().started;
    let Some(seg) = c.after().by_id(id).cloned() else {
        c.check("segment-exists", "the segment after the run", "still there", "gone", false, || {
            "the segment was removed: the detach lab detaches with shmdt and must not call IPC_RMID".into()
        });
        return;
    };
    c.check("mode", "SHM_DEST flag (mode & 01000)", "not set", if seg.is_marked_for_destruction() { "set" } else { "not set" }, !seg.is_marked_for_destruction(), || {
        "the segment was marked for removal: the detach lab detaches with shmdt and must not call IPC_RMID".into()
    });
    c.field("nattch", "attachments after the run", before_nattch, seg.nattch, || {
        format!("nattch should be back to {before_nattch}, what it was before the run: shmdt the attachment the program made, and only that one")
    });
    let evidence = c.evidence();
    c.field(
        "lpid",
        "last attach/detach pid (shm_lpid)",
        pid,
        seg.lpid,
        || lpid_hint(&evidence, pid),
    );
    c.check(
        "dtime",
        "last detach time (shm_dtime)",
        format!("at or after the run started ({started})"),
        seg.dtime,
        seg.dtime >= started,
        || "shm_dtime did not move: the segment was never detached".into(),
    );
}

fn detach_status(c: &mut Ctx<'_>) {
    let evidence = c.evidence();
    c.status_hinted(0, |code, stderr| {
        if code != 1 {
            return None;
        }
        match evidence.bad_detach() {
            Some(Some(BadDetach::Twice { addr })) => Some(format!(
                "shmdt({addr:#x}) was called twice: the first call detached the segment, so the second failed with EINVAL, the address already detached; detach once"
            )),
            Some(Some(BadDetach::NotAttached { addr, attached: Some(at) })) => Some(format!(
                "shmdt was given {addr:#x}, but shmat returned {at:#x}: pass exactly the address shmat returned (keep that pointer unchanged, read through a copy)"
            )),
            Some(Some(BadDetach::NotAttached { addr, attached: None })) => Some(format!(
                "shmdt was given {addr:#x}, but no shmat had succeeded: attach first, and detach the address shmat returned"
            )),
            // Traced, and no shmdt failed: the general hint names the call that did.
            Some(None) => None,
            None => (stderr.contains("shmdt") && errno_in(stderr) == Some("EINVAL")).then(|| {
                "shmdt failed with EINVAL: nothing is attached at the address it was given, either because it is not the address shmat returned or because it was already detached".into()
            }),
        }
    });
}

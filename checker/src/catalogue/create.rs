//! Lab 1, create: `create KEY SIZE [--mode OCTAL] [--exclusive]`.

use super::builder::{def, key, lit, Def, FREE};
use super::expect::{
    check_existing_unchanged, check_new_segment, fails_with, id_hint, stdout_line,
    stray_segment_hint,
};
use super::timeline::timeline_shmget;
use crate::model::timeline::key_text;
use crate::model::Call;
use crate::scenario::evidence::Outcome;
use crate::scenario::{errno_in, Ctx, Kind, Need, SegmentSpec};

/// The scenarios, in the order of the guide.
pub fn scenarios() -> Vec<Def> {
    vec![
        def(
            "create/default-mode",
            "creates a new segment with mode 0644",
        )
        .needs(&[Need::Persistence])
        .run(&[FREE, lit("4096")])
        .reading_contents()
        .expect(|c| {
            check_new_segment(c, 4096, 0o644, "the default (0644)");
            timeline_shmget(c, true, false);
        }),
        def(
            "create/mode-600",
            "--mode 600 and an odd size are used as given",
        )
        .needs(&[Need::Persistence])
        .run(&[FREE, lit("5000"), lit("--mode"), lit("600")])
        .reading_contents()
        .expect(|c| {
            check_new_segment(c, 5000, 0o600, "--mode");
            timeline_shmget(c, true, false);
        }),
        def(
            "create/existing-key",
            "an existing key gives back its segment, unchanged",
        )
        .setup(SegmentSpec::new(4096, 0o640).holding(b"existing data\0"))
        .run(&[key(0), lit("4096")])
        .reading_contents()
        .expect(|c| {
            c.status(0);
            let (id, key) = (c.obs.setup_ids[0], c.obs.keys[0]);
            stdout_line(c, &id.to_string(), |a| {
                id_hint(a, id, key, "the existing segment's id")
            });
            check_existing_unchanged(c, OPENING_CHANGES_NOTHING);
            timeline_shmget(c, true, false);
        }),
        def(
            "create/exclusive-existing",
            "--exclusive on an existing key fails with EEXIST",
        )
        .setup(SegmentSpec::new(4096, 0o640).holding(b"existing data\0"))
        .run(&[key(0), lit("4096"), lit("--exclusive")])
        .reading_contents()
        .expect(|c| {
            exclusive_status(c);
            c.errno("shmget", "EEXIST");
            check_existing_unchanged(
                c,
                "a failed shmget changes nothing: the program must stop after the error",
            );
            timeline_shmget(c, true, true);
        }),
        def(
            "create/larger-than-existing",
            "a size larger than the existing segment fails with EINVAL",
        )
        .setup(SegmentSpec::new(1024, 0o644))
        .run(&[key(0), lit("4096")])
        .expect(|c| {
            fails_with(c, Kind::Shmget, "EINVAL");
            let stray = stray_segment_hint(c);
            c.nothing_created(&stray);
            c.unchanged_allowing_attach(0, "a failed shmget changes nothing");
        }),
        def("create/missing-arguments", "no SIZE: usage error, status 2")
            .usage()
            .run(&[FREE])
            .expect(|c| {
                c.status(2);
                c.nothing_created("with bad arguments, exit with status 2 before calling shmget");
            }),
    ]
}

// Hints ----------------------------------------------------------------------------------

const OPENING_CHANGES_NOTHING: &str = "opening an existing segment must not change it: shmget ignores the mode bits for an existing key, so nothing else may touch it";

const PRIVATE: &str = "IPC_PRIVATE always makes a new segment, so IPC_EXCL never fails with EEXIST; with --exclusive, pass KEY with IPC_CREAT | IPC_EXCL | mode";

fn exclusive_status(c: &mut Ctx<'_>) {
    let evidence = c.evidence();
    let key = c.obs.keys[0];
    let gets = evidence.calls(Kind::Shmget);
    // Whether a shmget was given KEY, and with IPC_EXCL.
    let of_key = |excl: bool| {
        gets.as_ref().map(|gets| {
            gets.iter().any(|e| matches!(e.call, Call::Shmget { key: k, flags, .. } if k == key.raw() && (!excl || flags & libc::IPC_EXCL != 0)))
        })
    };
    let (key_given, excl_given) = (of_key(false), of_key(true));
    // The key of a segment the run made: only another key than KEY can make one here.
    let made: Option<i32> = gets
        .as_ref()
        .and_then(|gets| {
            gets.iter().find(|e| {
                e.succeeded() && matches!(e.call, Call::Shmget { key: k, .. } if k != key.raw())
            })
        })
        .and_then(|e| match e.call {
            Call::Shmget { key, .. } => Some(key),
            _ => None,
        })
        .or_else(|| c.created().first().map(|s| s.key));
    let shmget = evidence.outcome(Kind::Shmget, |_| true);
    c.status_hinted(1, |code, stderr| {
        if code != 0 {
            return None;
        }
        Some(match (shmget, key_given, excl_given, made) {
            (Some(Outcome::Failed(libc::EEXIST)), ..) => "shmget failed with EEXIST, as it should, but the program exited with status 0: exit with status 1 when a call fails".into(),
            (Some(Outcome::NotCalled), ..) => "the program made no shmget call and exited with status 0: with --exclusive, shmget(key, size, IPC_CREAT | IPC_EXCL | mode) fails with EEXIST here, which the program must report, then exit with status 1".into(),
            (_, Some(false), _, Some(0)) => format!("the program's shmget used key 0 (IPC_PRIVATE), not KEY: {PRIVATE}"),
            (None, _, _, Some(0)) => format!("the run made a new segment with key 0 (IPC_PRIVATE), not with KEY: {PRIVATE}"),
            (None, _, _, Some(k)) => format!("the run made a new segment with key {}, not with KEY ({key}): with --exclusive, pass KEY to shmget with IPC_CREAT | IPC_EXCL | mode, and it fails with EEXIST here", key_text(k)),
            (_, Some(false), _, _) => format!("no shmget was given KEY ({key}), so the existing segment was never asked for: with --exclusive, shmget(KEY, size, IPC_CREAT | IPC_EXCL | mode) fails with EEXIST"),
            (_, Some(true), Some(false), _) => "--exclusive must add IPC_EXCL: the program's shmget of KEY had no IPC_EXCL, so the existing segment was opened; with IPC_CREAT | IPC_EXCL, shmget fails with EEXIST".into(),
            _ if errno_in(stderr) == Some("EEXIST") => "the program reported EEXIST, as it should, but exited with status 0: exit with status 1 when a call fails".into(),
            _ => "with --exclusive, shmget(KEY, size, IPC_CREAT | IPC_EXCL | mode) fails with EEXIST on this existing key, and the program exited with status 0: pass IPC_EXCL for --exclusive, and exit with status 1 when the call fails".into(),
        })
    });
}

//! Lab 2, access: `access KEY`.

use super::builder::{def, key, Def, FREE};
use super::expect::{fails_with, id_hint, missing_key_created_hint, stdout_line};
use super::timeline::timeline_shmget;
use crate::scenario::{Kind, SegmentSpec};

/// The scenarios, in the order of the guide.
pub fn scenarios() -> Vec<Def> {
    vec![
        def("access/existing", "prints the id of the key's segment, changes nothing")
            .setup(SegmentSpec::new(4096, 0o644).marked())
            .run(&[key(0)])
            .expect(|c| {
                c.status(0);
                let (id, key) = (c.obs.setup_ids[0], c.obs.keys[0]);
                stdout_line(c, &id.to_string(), |a| id_hint(a, id, key, "the segment's id"));
                c.nothing_created(NEVER_CREATES);
                c.unchanged_allowing_attach(0, "access only looks the segment up: it must not write to it, change or remove it, or leave it attached");
                timeline_shmget(c, false, false);
            }),
        def("access/missing-key", "a key with no segment fails with ENOENT, creates nothing")
            .run(&[FREE])
            .expect(|c| {
                fails_with(c, Kind::Shmget, "ENOENT");
                let hint = missing_key_created_hint(c, "access must never create one (flags 0)");
                c.nothing_created(&hint);
                timeline_shmget(c, false, false);
            }),
        def("access/missing-arguments", "no KEY: usage error, status 2")
            .usage()
            .run(&[])
            .expect(|c| {
                c.status(2);
                c.nothing_created("with bad arguments, exit with status 2 before calling shmget");
            }),
    ]
}

// Hints ----------------------------------------------------------------------------------

const NEVER_CREATES: &str =
    "access must never create a segment: call shmget(key, 0, 0), without IPC_CREAT";

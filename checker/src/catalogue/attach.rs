//! Lab 3, attach: `attach KEY [--write TEXT] [--readonly]`.

use super::builder::{def, key, lit, Def, FREE};
use super::expect::{lpid_hint, missing_key_def, read_hint, stdout_empty};
use super::timeline::timeline_shmat;
use crate::model::timeline::errno_name;
use crate::model::{Call, TraceEvent};
use crate::scenario::evidence::{Evidence, Outcome};
use crate::scenario::{errno_in, show, Ctx, Kind, Need, SegmentSpec, MARKER};

/// The scenarios, in the order of the guide.
pub fn scenarios() -> Vec<Def> {
    vec![
        def(
            "attach/write",
            "--write puts TEXT and its NUL at offset 0, nothing else",
        )
        .setup(SegmentSpec::new(64, 0o644).marked())
        .run(&[key(0), lit("--write"), lit("hello")])
        .reading_contents()
        .expect(|c| {
            c.status(0);
            stdout_empty(c);
            written(c, b"hello");
            attached_by_program(c);
            timeline_shmat(c, false);
        }),
        def(
            "attach/write-long",
            "a TEXT longer than 8 bytes is written whole, and only it",
        )
        .setup(SegmentSpec::new(4096, 0o644).marked())
        .run(&[key(0), lit("--write"), lit(LONG_TEXT)])
        .reading_contents()
        .expect(|c| {
            c.status(0);
            stdout_empty(c);
            written(c, LONG_TEXT.as_bytes());
        }),
        def("attach/read", "prints the text up to its NUL")
            .setup(SegmentSpec::new(64, 0o644).holding(b"greetings from the checker\0"))
            .run(&[key(0)])
            .expect(|c| {
                c.status(0);
                let text = "greetings from the checker";
                let evidence = c.evidence();
                c.stdout(&format!("{text}\n"), |a| {
                    read_hint(a, text, None, &evidence)
                });
                attached_by_program(c);
                timeline_shmat(c, false);
            }),
        def(
            "attach/read-without-nul",
            "a segment with no NUL is read up to its size",
        )
        .setup(SegmentSpec::new(16, 0o644).holding(b"ABCDEFGHIJKLMNOP"))
        .run(&[key(0)])
        .expect(|c| {
            c.status(0);
            let text = "ABCDEFGHIJKLMNOP";
            let evidence = c.evidence();
            c.stdout(&format!("{text}\n"), |a| {
                read_hint(a, text, Some(16), &evidence)
            });
        }),
        def(
            "attach/readonly",
            "--readonly attaches with SHM_RDONLY and reads",
        )
        .needs(&[Need::Unprivileged])
        .setup(SegmentSpec::new(64, 0o444).holding(b"read me\0"))
        .run(&[key(0), lit("--readonly")])
        .expect(|c| {
            readonly_status(c);
            let evidence = c.evidence();
            c.stdout("read me\n", |a| read_hint(a, "read me", None, &evidence));
            timeline_shmat(c, true);
        }),
        def(
            "attach/readonly-needed",
            "a read-write attach of a read-only segment fails with EACCES",
        )
        .needs(&[Need::Unprivileged])
        .setup(SegmentSpec::new(64, 0o444).holding(b"read me\0"))
        .run(&[key(0)])
        .expect(|c| {
            readonly_needed_status(c);
            c.errno("shmat", "EACCES");
        }),
        missing_key_def("attach/missing-key", &[FREE]),
    ]
}

// Expectations and hints -----------------------------------------------------------------

/// Longer than a pointer (8 bytes), shorter than any fixed buffer a program might copy.
const LONG_TEXT: &str = "shared memory outlives its creator";

fn readonly_needed_status(c: &mut Ctx<'_>) {
    let evidence = c.evidence();
    let ats = evidence.calls(Kind::Shmat);
    let at = evidence.outcome(Kind::Shmat, |_| true);
    c.status_hinted(1, |code, _| {
        if code != 0 {
            return None;
        }
        let rdonly = |e: &&TraceEvent| matches!(e.call, Call::Shmat { flags, .. } if flags & libc::SHM_RDONLY != 0);
        Some(match ats {
            Some(ats) if ats.is_empty() => "the program made no shmat call and exited with status 0: without --readonly it must attach read-write, which the segment's mode 0444 refuses with EACCES; report that and exit with status 1".into(),
            Some(ats) if ats.iter().any(rdonly) => "the program attached with SHM_RDONLY although --readonly was not given: pass SHM_RDONLY only for --readonly (a read-write attach of this 0444 segment fails with EACCES)".into(),
            Some(_) => match at {
                Some(Outcome::Failed(e)) => format!("shmat failed with {}, but the program exited with status 0: check shmat's result ((void *) -1 in C, Err in Rust) and exit with status 1", errno_name(e)),
                Some(Outcome::FailedUnseen) => "shmat failed, but the program exited with status 0: check shmat's result ((void *) -1 in C, Err in Rust) and exit with status 1".into(),
                _ => "every shmat of the program succeeded, where a read-write attach of this 0444 segment fails with EACCES: look at which id it attached".into(),
            },
            None => "without --readonly the attach is read-write, which the segment's mode 0444 refuses with EACCES; the program exited with status 0: check shmat's result and exit with status 1".into(),
        })
    });
}

/// The segment holds `text` and its NUL at offset 0, every other byte as the setup left it.
fn written(c: &mut Ctx<'_>, text: &[u8]) {
    let id = c.obs.setup_ids[0];
    let Some(actual) = c.contents(id).map(|b| b.bytes.clone()) else {
        return;
    };
    let mut expected = c.obs.initial_contents[0].clone();
    expected[..text.len()].copy_from_slice(text);
    expected[text.len()] = 0;
    let first = expected.iter().zip(&actual).position(|(a, b)| a != b);
    let evidence = c.evidence();
    let shown = |i: usize| {
        let head = String::from_utf8_lossy(&actual[..actual.len().min(16)]);
        format!("differs from byte {i}: {}", show(&head))
    };
    c.check(
        "contents",
        format!(
            "segment bytes after --write {}",
            String::from_utf8_lossy(text)
        ),
        format!(
            "{} at offset 0, every other byte untouched",
            show(&format!("{}\0", String::from_utf8_lossy(text)))
        ),
        first.map_or("as expected".to_string(), shown),
        first.is_none(),
        || write_hint(&expected, &actual, text, &evidence),
    );
}

fn readonly_status(c: &mut Ctx<'_>) {
    let evidence = c.evidence();
    let (get, at) = (
        evidence.outcome(Kind::Shmget, |_| true),
        evidence.outcome(Kind::Shmat, |_| true),
    );
    const SHMGET: &str = "shmget failed with EACCES: mode bits in the flags of shmget ask for that access to an existing segment; look it up with flags 0";
    const SHMAT: &str = "--readonly must attach with SHM_RDONLY: the segment's mode 0444 grants read only, so a read-write shmat fails with EACCES";
    c.status_hinted(0, |code, stderr| match (code, get, at) {
        (1, Some(Outcome::Failed(libc::EACCES)), _) => Some(SHMGET.into()),
        (1, Some(_), Some(Outcome::Failed(libc::EACCES))) => Some(SHMAT.into()),
        (1, None, _) if errno_in(stderr) == Some("EACCES") => Some(
            if stderr.contains("shmget") {
                SHMGET
            } else {
                SHMAT
            }
            .into(),
        ),
        _ => None,
    });
}

fn attached_by_program(c: &mut Ctx<'_>) {
    let id = c.obs.setup_ids[0];
    let pid = c.run().pid;
    let started = c.run().started;
    let Some(seg) = c.after().by_id(id).cloned() else {
        return;
    };
    let evidence = c.evidence();
    c.field(
        "lpid",
        "last attach/detach pid (shm_lpid)",
        pid,
        seg.lpid,
        || lpid_hint(&evidence, pid),
    );
    c.check(
        "atime",
        "last attach time (shm_atime)",
        format!("at or after the run started ({started})"),
        seg.atime,
        seg.atime >= started,
        || "shm_atime did not move: the segment was never attached with shmat".into(),
    );
    c.field(
        "nattch",
        "attachments after the program exited",
        0u64,
        seg.nattch,
        || {
            "the segment is still attached after the program exited: did a child process keep it?"
                .into()
        },
    );
}

fn write_hint(expected: &[u8], actual: &[u8], text: &[u8], evidence: &Evidence<'_>) -> String {
    let n = text.len();
    if actual == c_initial(expected, n) {
        return match (evidence.made(Kind::Shmat), evidence.attached_addresses()) {
            (Some(false), _) => "the segment is unchanged, and the program made no shmat call: attach it with shmat and write TEXT at the address shmat returns".into(),
            (_, Some(at)) if at.is_empty() => "the segment is unchanged, and no shmat of the program succeeded: check shmat's result, and write TEXT at the address it returns".into(),
            _ => "the segment is unchanged: the text never reached it (write through the pointer shmat returned, not into a local copy)".into(),
        };
    }
    // A prefix of TEXT, then the marker: the copy stopped short.
    let copied = actual.iter().zip(text).take_while(|(a, t)| a == t).count();
    if copied < n && actual.get(copied) == Some(&MARKER) && actual[n + 1..] == expected[n + 1..] {
        let pointer = if copied == std::mem::size_of::<usize>() {
            " (8 is the size of a pointer: sizeof on a char * is not the text's length)"
        } else {
            ""
        };
        return format!("only the first {copied} of TEXT's {n} bytes reached the segment{pointer}: copy strlen(TEXT) + 1 bytes, the text and its NUL");
    }
    if actual.get(..n) == Some(text) && actual.get(n) == Some(&MARKER) {
        return "the text was written without its terminating NUL: copy strlen(TEXT) + 1 bytes (strcpy does), so readers know where it ends".into();
    }
    if let Some(off) = actual.windows(n).position(|w| w == text).filter(|o| *o > 0) {
        return format!(
            "the text landed at offset {off}: write it at offset 0, the address shmat returned"
        );
    }
    if actual.get(..=n) == expected.get(..=n) {
        let last = actual
            .iter()
            .zip(expected)
            .rposition(|(a, b)| a != b)
            .unwrap_or(n);
        return format!("bytes after the text's NUL were changed, up to offset {last}: write TEXT and its NUL only (strlen(TEXT) + 1 bytes), not a fixed-size buffer");
    }
    "the bytes at offset 0 are not TEXT followed by a NUL: copy exactly the text given with --write"
        .into()
}

/// What a segment held before the program wrote `n + 1` bytes: the marker everywhere.
fn c_initial(expected: &[u8], n: usize) -> Vec<u8> {
    let mut v = expected.to_vec();
    for b in v.iter_mut().take(n + 1) {
        *b = MARKER;
    }
    v
}

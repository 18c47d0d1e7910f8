//! Lab 8, memo: `memo KEY`, the course's assignment, checked over several runs that share
//! one segment. Every expectation comes from the contract's model (`contract`): from what a
//! run finds and the answers it is given, what it must print and leave. The checks of a run
//! are in `turn`; those on the trace of its calls in `calls`.

mod calls;
pub mod contract;
mod turn;

use super::builder::{def, key, lit, Def, FREE};
use super::expect::fails_with;
use crate::scenario::{Ctx, Kind, Need, SegmentSpec};
use contract::SIZE;

/// The scenarios, in the order of the guide.
pub fn scenarios() -> Vec<Def> {
    vec![
        def(
            "memo/first-run",
            "a first run creates the segment and says so",
        )
        .run_fed(&[FREE], b"n\nn\n")
        .reading_contents()
        .expect(play),
        def(
            "memo/write-then-read",
            "a text written by one run is shown by the next",
        )
        .run_fed(&[FREE], b"y\nhello memo\nn\n")
        .run_fed(&[FREE], b"n\nn\n")
        .reading_contents()
        .expect(play),
        def(
            "memo/change",
            "an existing text is shown, then replaced, NUL and all",
        )
        .setup(SegmentSpec::new(SIZE, 0o644).holding(b"old text\0"))
        .run_fed(&[key(0)], b"y\nnew\nn\n")
        .reading_contents()
        .expect(play),
        def(
            "memo/empty-text",
            "an existing segment with an empty text is not a new one",
        )
        .setup(SegmentSpec::new(SIZE, 0o644))
        .run_fed(&[key(0)], b"n\nn\n")
        .reading_contents()
        .expect(play),
        def(
            "memo/delete-and-recreate",
            "y to delete removes the segment; the next run starts afresh",
        )
        .setup(SegmentSpec::new(SIZE, 0o644).holding(b"keep me\0"))
        .run_fed(&[key(0)], b"n\ny\n")
        .run_fed(&[key(0)], b"n\nn\n")
        .reading_contents()
        .expect(play),
        def(
            "memo/long-text",
            "a 300-character line is cut to 200 bytes and its NUL",
        )
        .run_fed(&[FREE], LONG_INPUT.as_bytes())
        .run_fed(&[FREE], b"n\nn\n")
        .reading_contents()
        .expect(play),
        def(
            "memo/end-of-input",
            "with empty stdin both answers are n, and the program ends",
        )
        .run_fed(&[FREE], b"")
        .reading_contents()
        .expect(play),
        def(
            "memo/end-of-input-text",
            "input ending at the new text changes nothing",
        )
        .setup(SegmentSpec::new(SIZE, 0o644).holding(b"old text\0"))
        .run_fed(&[key(0)], b"y\n")
        .reading_contents()
        .expect(play),
        def(
            "memo/bad-answer",
            "an answer other than y or n is asked again",
        )
        .run_fed(&[FREE], b"maybe\nn\nn\n")
        .reading_contents()
        .expect(play),
        def(
            "memo/no-permission",
            "a segment the user may not write fails at shmat with EACCES",
        )
        .needs(&[Need::Unprivileged])
        .setup(SegmentSpec::new(SIZE, 0o444).holding(b"read only\0"))
        .run_fed(&[key(0)], b"n\nn\n")
        .expect(|c| {
            fails_with(c, Kind::Shmat, "EACCES");
            c.unchanged_allowing_attach(0, "the segment must stay as it was: shmat failed, so the program stops there");
            c.nothing_created("the segment with KEY exists: the program must open it (shmget(KEY, 0, 0) after EEXIST), not make another");
        }),
        def(
            "memo/too-small",
            "an existing segment smaller than 201 bytes is refused",
        )
        .setup(SegmentSpec::new(100, 0o644).holding(b"short\0"))
        .run_fed(&[key(0)], b"y\nthis would not fit\nn\n")
        .reading_contents()
        .expect(too_small),
        def("memo/missing-arguments", "no KEY is bad usage")
            .usage()
            .run_fed(&[], b"n\nn\n")
            .expect(|c| {
                c.status(2);
                c.nothing_created("with bad usage the program must stop before any call");
            }),
        def("memo/extra-argument", "a second argument is bad usage")
            .usage()
            .run_fed(&[FREE, lit("extra")], b"n\nn\n")
            .expect(|c| {
                c.status(2);
                c.nothing_created("with bad usage the program must stop before any call");
            }),
    ]
}

/// A line of 300 characters for the first question's `y`, then `n`.
const LONG_INPUT: &str = concat!(
    "y\n",
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-0123456789abcdefghij",
    "klmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-0123456789abcdefghijklmnopqrstuvwxyzABCD",
    "EFGHIJKLMNOPQRSTUVWXYZ-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWX",
    "YZ-0123456789abcdefghijklmnopqrstuvwxyzABCDEFG\n",
    "n\n"
);

/// Plays the scenario's runs against the contract. Each run is judged from what it found
/// (the text of the segment with KEY as the checker read it after the previous run, or the
/// setup's), so that one run's mistake is reported once, in that run, and not again as the
/// next run's; after the last, the segments left are counted.
fn play(c: &mut Ctx<'_>) {
    let mut last = None;
    for i in 0..c.obs.runs.len() {
        c.in_run(i, |c| last = Some(turn::check(c)));
        if c.stopped().is_some() {
            return;
        }
    }
    let one = last.is_some_and(|t: contract::Turn| t.after.is_some());
    c.across_runs(|c| turn::segments_left(c, one));
}

fn too_small(c: &mut Ctx<'_>) {
    c.status_hinted(1, |code, _| {
        (code == 0).then(|| {
            "the segment with KEY is 100 bytes, too small for 200 bytes of text and a NUL: check its size (IPC_STAT's shm_segsz) after opening it, print `memo: segment too small` on stderr and exit with status 1".into()
        })
    });
    let said = c.run().stderr.contains("segment too small");
    c.check(
        "stderr",
        "the error on stderr",
        "memo: segment too small",
        crate::scenario::show(c.run().stderr.trim()),
        said,
        || "print the line `memo: segment too small` on stderr when the existing segment is smaller than 201 bytes".into(),
    );
    c.unchanged_allowing_attach(
        0,
        "a segment too small must be left as it was: refuse it before writing anything",
    );
    super::expect::contents_unchanged(
        c,
        0,
        "the program wrote into a segment too small for the text: refuse it first",
    );
}

//! Lab 6, stat: `stat KEY` prints the 14 lines of the contract, `name: value` each.

use super::builder::{def, key, Def, FREE};
use super::expect::missing_key_def;
use super::timeline::timeline_shmctl;
use crate::model::SegmentState;
use crate::scenario::{show, Ctx, Need, Owner, SegmentSpec};

/// The scenarios, in the order of the guide.
pub fn scenarios() -> Vec<Def> {
    vec![
        def("stat/fresh", "prints the metadata of a fresh segment")
            .setup(SegmentSpec::new(1234, 0o640))
            .run(&[key(0)])
            .expect(check_stat),
        def(
            "stat/with-history",
            "prints times, lpid and nattch of a segment in use",
        )
        .setup(SegmentSpec::new(4096, 0o644).with_history().held(1))
        .run(&[key(0)])
        .expect(check_stat),
        def(
            "stat/owner-differs",
            "owner and creator differ: uid/gid vs cuid/cgid",
        )
        .needs(&[Need::OtherIds])
        .setup(
            SegmentSpec::new(2048, 0o644)
                .owned_by(Owner::Other)
                .with_history()
                .held(1),
        )
        .run(&[key(0)])
        .expect(check_stat),
        def(
            "stat/locked",
            "a locked segment: the mode line shows only the nine permission bits",
        )
        .setup(SegmentSpec::new(4096, 0o640).locked())
        .run(&[key(0)])
        .expect(check_stat),
        missing_key_def("stat/missing-key", &[FREE]),
    ]
}

// Expectations and hints -----------------------------------------------------------------

const STAT_FIELDS: [&str; 14] = [
    "key", "shmid", "size", "mode", "uid", "gid", "cuid", "cgid", "cpid", "lpid", "nattch",
    "atime", "dtime", "ctime",
];

fn stat_values(seg: &SegmentState) -> [String; 14] {
    [
        seg.key().to_string(),
        seg.id.to_string(),
        seg.size.to_string(),
        format!("{:04o}", seg.perms()),
        seg.uid.to_string(),
        seg.gid.to_string(),
        seg.cuid.to_string(),
        seg.cgid.to_string(),
        seg.cpid.to_string(),
        seg.lpid.to_string(),
        seg.nattch.to_string(),
        seg.atime.to_string(),
        seg.dtime.to_string(),
        seg.ctime.to_string(),
    ]
}

/// The C name of a stat line's field.
fn c_field(field: &str) -> &'static str {
    match field {
        "key" => "shm_perm.__key",
        "shmid" => "the id shmget returned",
        "size" => "shm_segsz",
        "mode" => "shm_perm.mode",
        "uid" => "shm_perm.uid",
        "gid" => "shm_perm.gid",
        "cuid" => "shm_perm.cuid",
        "cgid" => "shm_perm.cgid",
        "cpid" => "shm_cpid",
        "lpid" => "shm_lpid",
        "nattch" => "shm_nattch",
        "atime" => "shm_atime",
        "dtime" => "shm_dtime",
        _ => "shm_ctime",
    }
}

fn stat_hint(
    field: &str,
    expected: &str,
    actual: Option<&str>,
    printed: &[Option<String>],
    values: &[String; 14],
    seg: &SegmentState,
) -> String {
    let Some(actual) = actual else {
        return format!(
            "the line `{field}: ...` is missing: print all 14 lines, in the contract's order"
        );
    };
    let me = STAT_FIELDS.iter().position(|f| *f == field).unwrap_or(0);
    // A true swap first: this line shows the other field's value and the other line this one's.
    let swapped = (0..14)
        .find(|&o| o != me && values[o] == actual && printed[o].as_deref() == Some(expected));
    // Else any other field with this value, unless the value is too common to tell (0).
    let same_value = || (0..14).find(|&o| o != me && values[o] == actual && actual != "0");
    if let Some(o) = swapped.or_else(same_value) {
        let other = STAT_FIELDS[o];
        return format!(
            "the value printed for {field} is the segment's {other}: print {} on the {field} line, not {}",
            c_field(field),
            c_field(other)
        );
    }
    let decimal = seg.perms().to_string();
    match field {
        "mode" if actual.trim_start_matches('0') == decimal => {
            "the mode was printed in decimal: print it in octal with 4 digits (%04o)".into()
        }
        "mode" if actual == format!("{:o}", seg.perms()) => {
            "print the mode with 4 octal digits, zero-padded (%04o)".into()
        }
        "mode"
            if seg.mode != seg.perms()
                && actual.trim_start_matches('0') == format!("{:o}", seg.mode) =>
        {
            format!("the whole mode word was printed ({:o}, with flags such as SHM_LOCKED 02000 or SHM_DEST 01000): print only the nine permission bits (mode & 0777)", seg.mode)
        }
        "key"
            if actual.trim_start_matches("0x").parse::<u64>().ok()
                == Some(seg.key as u32 as u64)
                || actual == (seg.key as u32).to_string() =>
        {
            "print the key in hexadecimal as 0x followed by 8 digits (0x%08x)".into()
        }
        "key" => "print the key as 0x%08x".into(),
        _ => format!(
            "{field} should be {expected}, the value IPC_STAT reports in {}",
            c_field(field)
        ),
    }
}

fn check_stat(c: &mut Ctx<'_>) {
    check_stat_lines(c);
    timeline_shmctl(c, libc::IPC_STAT);
}

/// One line of stdout, as `label: value` where it has a colon.
struct Line<'a> {
    number: usize,
    text: &'a str,
    label: Option<&'a str>,
    value: &'a str,
}

fn parse_lines(out: &str) -> Vec<Line<'_>> {
    out.lines()
        .enumerate()
        .map(|(i, text)| match text.split_once(':') {
            Some((label, value)) => Line {
                number: i + 1,
                text,
                label: Some(label.trim()),
                value: value.trim(),
            },
            None => Line {
                number: i + 1,
                text,
                label: None,
                value: "",
            },
        })
        .collect()
}

/// The 14 lines, each found by its label wherever it is; then their order, and any line that
/// is not one of them.
fn check_stat_lines(c: &mut Ctx<'_>) {
    c.status(0);
    let id = c.obs.setup_ids[0];
    let Some(seg) = c.after().by_id(id).cloned() else {
        return;
    };
    let out = c.run().stdout.clone();
    let lines = parse_lines(&out);
    let values = stat_values(&seg);
    let find = |field: &str| lines.iter().find(|l| l.label == Some(field));
    let printed: Vec<Option<String>> = STAT_FIELDS
        .iter()
        .map(|f| find(f).map(|l| l.value.to_string()))
        .collect();
    let unknown: Vec<&Line> = lines
        .iter()
        .filter(|l| !l.label.is_some_and(|label| STAT_FIELDS.contains(&label)))
        .collect();
    for (i, (field, expected)) in STAT_FIELDS.iter().zip(&values).enumerate() {
        let line = find(field);
        let actual = line.map_or("(missing)".to_string(), |l| format!("{field}: {}", l.value));
        let ok = line.is_some_and(|l| l.value == expected.as_str());
        c.check(field_name(field), format!("the {field} line"), format!("{field}: {expected}"), actual, ok, || match line {
            None => match unknown.iter().find(|l| l.number == i + 1) {
                Some(other) => format!("the line `{field}: ...` is missing; line {} is {}: each line is `name: value`, with the contract's names", other.number, show(other.text)),
                None => format!("the line `{field}: ...` is missing: print all 14 lines, in the contract's order"),
            },
            Some(l) => stat_hint(field, expected, Some(l.value), &printed, &values, &seg),
        });
        if *field == "mode" && seg.mode & 0o2000 != 0 {
            c.explain_last("SHM_LOCKED");
        } else if *field == "mode" && seg.is_marked_for_destruction() {
            c.explain_last("SHM_DEST");
        }
    }
    let found: Vec<usize> = STAT_FIELDS
        .iter()
        .filter_map(|f| find(f).map(|l| l.number))
        .collect();
    if found.windows(2).any(|w| w[0] > w[1]) {
        let order: Vec<&str> = lines
            .iter()
            .filter_map(|l| l.label)
            .filter(|l| STAT_FIELDS.contains(l))
            .collect();
        c.check(
            "stdout",
            "order of the lines",
            STAT_FIELDS.join(", "),
            order.join(", "),
            false,
            || "print the lines in the contract's order".into(),
        );
    }
    let twice: Vec<&str> = STAT_FIELDS
        .iter()
        .copied()
        .filter(|f| lines.iter().filter(|l| l.label == Some(*f)).count() > 1)
        .collect();
    if !unknown.is_empty() || !twice.is_empty() {
        let mut shown: Vec<String> = unknown
            .iter()
            .take(3)
            .map(|l| format!("line {}: {}", l.number, show(l.text)))
            .collect();
        shown.extend(twice.iter().map(|f| format!("`{f}:` more than once")));
        c.check(
            "stdout",
            "lines that are not the contract's",
            "none",
            shown.join("; "),
            false,
            || "print exactly the 14 lines, `name: value` each, and nothing else".into(),
        );
    }
}

fn field_name(f: &str) -> &'static str {
    STAT_FIELDS
        .iter()
        .copied()
        .find(|x| *x == f)
        .unwrap_or("stdout")
}

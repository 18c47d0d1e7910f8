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
        "mode" if actual == format!("{:04o}", seg.mode) => {
            "print only the nine permission bits (mode & 0777)".into()
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

fn check_stat_lines(c: &mut Ctx<'_>) {
    c.status(0);
    let id = c.obs.setup_ids[0];
    let Some(seg) = c.after().by_id(id).cloned() else {
        return;
    };
    let out = c.run().stdout.clone();
    let lines: Vec<&str> = out.lines().collect();
    let values = stat_values(&seg);
    let printed_all: Vec<Option<String>> = STAT_FIELDS
        .iter()
        .enumerate()
        .map(|(i, f)| {
            lines
                .get(i)
                .and_then(|l| l.strip_prefix(&format!("{f}:")))
                .map(|v| v.trim().to_string())
        })
        .collect();
    let mut all_ok = true;
    for (i, (field, expected)) in STAT_FIELDS.iter().zip(&values).enumerate() {
        let line = lines.get(i).copied();
        let printed = line
            .and_then(|l| l.strip_prefix(&format!("{field}:")))
            .map(str::trim);
        let label_ok = line.is_some_and(|l| l.starts_with(&format!("{field}:")));
        let actual = match (line, printed) {
            (None, _) => "(missing)".to_string(),
            (Some(l), None) => show(l),
            (Some(_), Some(v)) => v.to_string(),
        };
        let ok = label_ok && printed == Some(expected.as_str());
        let hint_actual = if label_ok { printed } else { None };
        all_ok &= c.check(field_name(field), format!("line {}: {field}", i + 1), format!("{field}: {expected}"), if label_ok { format!("{field}: {actual}") } else { actual }, ok, || {
            if line.is_some() && !label_ok {
                format!("line {} should start with `{field}: `: print the 14 lines in the contract's order, each as `name: value`", i + 1)
            } else {
                stat_hint(field, expected, hint_actual, &printed_all, &values, &seg)
            }
        });
    }
    if lines.len() > 14 {
        c.check("stdout", "lines on stdout", 14, lines.len(), false, || {
            "print exactly the 14 lines and nothing else".into()
        });
    }
    let _ = all_ok;
}

fn field_name(f: &str) -> &'static str {
    STAT_FIELDS
        .iter()
        .copied()
        .find(|x| *x == f)
        .unwrap_or("stdout")
}

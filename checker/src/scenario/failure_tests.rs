//! A call that failed where it should have succeeded, explained from its own arguments: the
//! key it was given against the command line's KEY, the size it asked for against the
//! segment's, the buffer it passed. Where those show nothing, the hint says only what failed.

use super::hint_tests::{event, obs, scenario, status_then_field};
use super::*;
use crate::model::{Call, Effect, Return, SegmentState};

fn hint_for(argv: &[&str], calls: Vec<crate::model::TraceEvent>) -> String {
    let o = obs(1, argv, "shmget: Invalid argument\n", Some(calls));
    let e = evaluate(&scenario(status_then_field), &o);
    e.checks[0].hint.clone().unwrap_or_default()
}

fn shmget(key: i32, size: u64, errno: i32) -> crate::model::TraceEvent {
    event(
        Call::Shmget {
            key,
            size,
            flags: 0,
        },
        Some(Return::Errno(errno)),
    )
}

#[test]
fn a_key_read_with_atoi_is_named_against_the_command_line() {
    let hint = hint_for(&["detach", "0x5eed0001"], vec![shmget(0, 0, libc::EINVAL)]);
    assert!(
        hint.contains("shmget was given key 0 (IPC_PRIVATE"),
        "{hint}"
    );
    assert!(
        hint.contains("not the KEY of the command line (0x5eed0001)"),
        "{hint}"
    );
    assert!(hint.contains("strtol(s, NULL, 0)"), "{hint}");
}

#[test]
fn the_command_lines_key_in_any_base_is_no_misread() {
    for key in ["0x5eed0001", "1592590337", "013673200001"] {
        let hint = hint_for(&["detach", key], vec![shmget(0x5eed_0001, 0, libc::ENOENT)]);
        assert!(!hint.contains("was given key"), "{key}: {hint}");
        assert!(hint.contains("shmget failed with ENOENT"), "{key}: {hint}");
    }
}

#[test]
fn a_size_larger_than_the_segment_is_named_with_both_sizes() {
    let mut e = shmget(0x5eed_0001, 1024, libc::EINVAL);
    e.effect = Effect::Call {
        before: Some(SegmentState {
            size: 64,
            key: 0x5eed_0001,
            ..SegmentState::default()
        }),
    };
    let hint = hint_for(&["attach", "0x5eed0001"], vec![e]);
    assert!(
        hint.contains("asked for 1024 bytes, but the segment at that key has 64"),
        "{hint}"
    );
}

#[test]
fn an_einval_without_a_larger_size_claims_no_size() {
    let mut e = shmget(0x5eed_0001, 16, libc::EINVAL);
    e.effect = Effect::Call {
        before: Some(SegmentState {
            size: 64,
            ..SegmentState::default()
        }),
    };
    let hint = hint_for(&["attach", "0x5eed0001"], vec![e]);
    assert!(!hint.contains("asked for"), "{hint}");
    assert!(hint.contains("shmget failed with EINVAL"), "{hint}");
}

#[test]
fn an_efault_of_ipc_stat_names_the_buffer() {
    let e = event(
        Call::Shmctl {
            id: 0,
            cmd: libc::IPC_STAT,
            buf: 0,
            set: None,
        },
        Some(Return::Errno(libc::EFAULT)),
    );
    let hint = hint_for(&["stat", "0x5eed0001"], vec![e]);
    assert!(
        hint.contains("the buffer address 0x0 is not memory the kernel can write"),
        "{hint}"
    );
}

#[test]
fn a_key_word_of_any_shape_never_panics() {
    for word in [
        "-0x-8000000000000000",
        "0x",
        "-",
        "+",
        "0",
        "00",
        "0xffffffff",
        "99999999999999999999",
        "-2147483649",
    ] {
        let hint = hint_for(&["detach", word], vec![shmget(0, 0, libc::EINVAL)]);
        assert!(!hint.is_empty(), "{word}");
    }
}

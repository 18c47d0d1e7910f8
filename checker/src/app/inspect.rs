//! `shmlab inspect [ID] [--json]`: the segments of this IPC namespace as the kernel has
//! them (read through `shm`, with `SHM_STAT_ANY`, so every segment whatever its mode), the
//! names of their owners and creators, and the processes attached to each now (from
//! `/proc/PID/maps`, where a SysV mapping's inode is the segment's id). `inspect ID` adds
//! the segment's bytes, read through a read-only attachment made after its metadata was read.

use std::collections::BTreeMap;

use nix::unistd::{Gid, Group, Uid, User};
use shm::{AtFlags, ShmId};

use super::{check_sysv, write_out};
use crate::error::{exit_codes, Fatal, UsageError};
use crate::model::inspect::{Bytes, Holder, Inspected, Names, DUMP_MAX};
use crate::model::SegmentState;
use crate::plan::InspectPlan;
use crate::report::inspect as render;

/// Shows the segments, or one.
pub fn execute(plan: &InspectPlan) -> Result<u8, Fatal> {
    check_sysv()?;
    let all = shm::list_segments().map_err(Fatal::NoSysv)?;
    let holders = holders();
    let segments: Vec<Inspected> = all
        .iter()
        .filter(|(id, _)| plan.id.is_none_or(|want| id.raw() == want))
        .map(|(id, st)| inspected(SegmentState::new(*id, st), &holders))
        .collect();
    let namespace = std::fs::read_link("/proc/self/ns/ipc")
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    match plan.id {
        None => {
            let view = render::View {
                namespace: &namespace,
                segments: &segments,
            };
            if plan.json {
                write_out(|w| render::json(&view, w))?
            } else {
                write_out(|w| render::text(&view, w))?
            }
        }
        Some(id) => {
            let Some(one) = segments.first() else {
                return Err(UsageError::NoSegment(id).into());
            };
            let bytes = read(ShmId::new(id));
            if plan.json {
                write_out(|w| render::one_json(one, &bytes, w))?
            } else {
                write_out(|w| render::one_text(one, &bytes, w))?
            }
        }
    }
    Ok(exit_codes::OK)
}

fn inspected(state: SegmentState, holders: &BTreeMap<i32, Vec<Holder>>) -> Inspected {
    let user = |uid: u32| {
        User::from_uid(Uid::from_raw(uid))
            .ok()
            .flatten()
            .map(|u| u.name)
    };
    let group = |gid: u32| {
        Group::from_gid(Gid::from_raw(gid))
            .ok()
            .flatten()
            .map(|g| g.name)
    };
    Inspected {
        names: Names {
            user: user(state.uid),
            group: group(state.gid),
            cuser: user(state.cuid),
            cgroup: group(state.cgid),
        },
        attached: holders.get(&state.id).cloned().unwrap_or_default(),
        state,
    }
}

/// The processes of this IPC namespace attached to each segment, by id: a SysV mapping in
/// `/proc/PID/maps` is named `/SYSV<key>` and its inode is the segment's id. Processes whose
/// maps cannot be read (another user's, as a user) and those of other IPC namespaces (whose
/// ids are another table's) are left out.
fn holders() -> BTreeMap<i32, Vec<Holder>> {
    let mut out: BTreeMap<i32, Vec<Holder>> = BTreeMap::new();
    let Ok(own) = std::fs::read_link("/proc/self/ns/ipc") else {
        return out;
    };
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return out;
    };
    let mut pids: Vec<i32> = dir
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    pids.sort_unstable();
    for pid in pids {
        if std::fs::read_link(format!("/proc/{pid}/ns/ipc"))
            .ok()
            .as_ref()
            != Some(&own)
        {
            continue;
        }
        let Ok(maps) = std::fs::read_to_string(format!("/proc/{pid}/maps")) else {
            continue;
        };
        let mut counts: BTreeMap<i32, usize> = BTreeMap::new();
        for line in maps.lines() {
            let fields: Vec<&str> = line.split_whitespace().collect();
            if fields.len() >= 6 && fields[5].starts_with("/SYSV") {
                if let Ok(id) = fields[4].parse::<i32>() {
                    *counts.entry(id).or_default() += 1;
                }
            }
        }
        if counts.is_empty() {
            continue;
        }
        let command = std::fs::read_to_string(format!("/proc/{pid}/comm"))
            .map(|c| c.trim_end().to_string())
            .unwrap_or_default();
        for (id, attachments) in counts {
            out.entry(id).or_default().push(Holder {
                pid,
                command: command.clone(),
                attachments,
            });
        }
    }
    out
}

/// The segment's first bytes, through a read-only attachment undone at once.
fn read(id: ShmId) -> Bytes {
    let a = match shm::shmat(id, None, AtFlags::SHM_RDONLY) {
        Ok(a) => a,
        Err(e) => return Bytes::Unreadable(e as i32),
    };
    let size = a.len();
    let mut bytes = vec![0u8; size.min(DUMP_MAX)];
    let read = a.read_at(0, &mut bytes);
    let _ = shm::shmdt(a);
    match read {
        Ok(()) => Bytes::Read { bytes, size },
        Err(_) => Bytes::Unreadable(libc::EFAULT),
    }
}

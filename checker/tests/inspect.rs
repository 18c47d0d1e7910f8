//! `shmlab inspect` agrees with `ipcs -m -i ID` and `lsipc -m --json` field by field, on
//! segments this test makes: one with a key, attached here and holding text; one
//! `IPC_PRIVATE`, locked, attached and then removed (SHM_DEST, key 0); one never attached.

mod common;

use std::process::Command;

use serde_json::Value;
use shm::{AtFlags, Attachment, Key, ShmId, ShmctlCmd, ShmgetFlags};

/// What the test made, removed whatever happens.
struct Made {
    ids: Vec<ShmId>,
    attached: Vec<Attachment>,
}

impl Drop for Made {
    fn drop(&mut self) {
        for a in self.attached.drain(..) {
            let _ = shm::shmdt(a);
        }
        for id in &self.ids {
            let _ = shm::shmctl(*id, ShmctlCmd::IpcRmid);
        }
    }
}

/// The segments, the keyed one's key made of this test's pid and `salt` (one per test).
fn make(salt: i32) -> Made {
    let mut made = Made {
        ids: Vec::new(),
        attached: Vec::new(),
    };
    let flags = |mode: i32| ShmgetFlags::from_bits_retain(libc::IPC_CREAT | libc::IPC_EXCL | mode);
    // A key of this test's own: its pid under a prefix no lab uses.
    let key = Key::new(0x1e50_0000 | salt << 16 | (std::process::id() as i32 & 0xffff));
    let a = shm::shmget(key, 5000, flags(0o640)).expect("a segment with a key");
    made.ids.push(a);
    let at = shm::shmat(a, None, AtFlags::empty()).unwrap();
    at.write_cstr("hello from the test").unwrap();
    made.attached.push(at);
    let b = shm::shmget(Key::PRIVATE, 100, flags(0o600)).expect("a private segment");
    made.ids.push(b);
    made.attached
        .push(shm::shmat(b, None, AtFlags::SHM_RDONLY).unwrap());
    shm::shmctl(b, ShmctlCmd::ShmLock)
        .expect("SHM_LOCK of 100 bytes (CAP_IPC_LOCK or RLIMIT_MEMLOCK)");
    shm::shmctl(b, ShmctlCmd::IpcRmid).unwrap();
    let c = shm::shmget(Key::PRIVATE, 4096, flags(0o604)).expect("a third segment");
    made.ids.push(c);
    made
}

fn inspect_json() -> Value {
    let out = common::shmlab()
        .args(["inspect", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    serde_json::from_slice(&out.stdout).unwrap()
}

/// `ipcs -m -i ID`, in the C locale and UTC, as `name=value` pairs.
fn ipcs(id: i32) -> Vec<(String, String)> {
    let out = Command::new("ipcs")
        .args(["-m", "-i", &id.to_string()])
        .env("LC_ALL", "C")
        .env("TZ", "UTC")
        .output()
        .expect("ipcs runs");
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    let mut pairs = Vec::new();
    for line in text.lines() {
        if let Some(time) = ["att_time=", "det_time=", "change_time="]
            .iter()
            .find(|p| line.starts_with(**p))
        {
            pairs.push((
                time.trim_end_matches('=').to_string(),
                line[time.len()..].trim().to_string(),
            ));
            continue;
        }
        for word in line.split_whitespace() {
            if let Some((k, v)) = word.split_once('=') {
                pairs.push((k.to_string(), v.to_string()));
            }
        }
    }
    pairs
}

/// `Mon Dec  7 10:20:27 2026` (ipcs, in UTC) as inspect says it.
fn ctime_as_date(text: &str) -> String {
    if text == "Not set" {
        return "never".into();
    }
    let w: Vec<&str> = text.split_whitespace().collect();
    let months = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let m = months.iter().position(|m| *m == w[1]).unwrap() + 1;
    format!(
        "{}-{m:02}-{:02} {} UTC",
        w[4],
        w[2].parse::<u32>().unwrap(),
        w[3]
    )
}

/// `lsipc -m --json` for one id, every column, sizes in bytes, perms in octal, ISO times.
fn lsipc(id: i32) -> Value {
    let out = Command::new("lsipc")
        .args([
            "-m",
            "--json",
            "-b",
            "-P",
            "--time-format=iso",
            "-o",
            "KEY,ID,PERMS,CUID,CUSER,CGID,CGROUP,UID,USER,GID,GROUP,CTIME,SIZE,NATTCH,STATUS,ATTACH,DETACH,CPID,LPID",
            "-i",
            &id.to_string(),
        ])
        .env("TZ", "UTC")
        .output()
        .expect("lsipc runs");
    assert!(out.status.success(), "{out:?}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v["sharedmemory"][0].clone()
}

/// `2026-12-07T10:20:27+00:00` (lsipc) as inspect says it.
fn iso_as_date(v: &Value) -> String {
    match v.as_str() {
        None => "never".into(),
        Some(t) => format!("{} {} UTC", &t[..10], &t[11..19]),
    }
}

#[test]
fn inspect_agrees_with_ipcs_and_lsipc_field_by_field() {
    let made = make(1);
    let doc = inspect_json();
    assert!(doc["namespace"].as_str().unwrap().starts_with("ipc:["));
    for id in &made.ids {
        let id = id.raw();
        let seg = doc["segments"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == id)
            .unwrap_or_else(|| panic!("inspect lists segment {id}"));
        let get = |name: &str| match &seg[name] {
            Value::String(s) => s.clone(),
            v => v.to_string(),
        };
        // ipcs: the numbers, the mode word with its SHM_DEST and SHM_LOCKED bits, the times.
        for (name, value) in ipcs(id) {
            let ours = match name.as_str() {
                "shmid" => get("id"),
                "uid" | "gid" | "cuid" | "cgid" | "lpid" | "cpid" | "nattch" => get(&name),
                "bytes" => get("size"),
                "mode" => format!("0{}", get("mode").trim_start_matches('0')),
                "access_perms" => format!(
                    "0{:o}",
                    u32::from_str_radix(&get("mode"), 8).unwrap() & 0o777
                ),
                "att_time" => get("atime_date"),
                "det_time" => get("dtime_date"),
                "change_time" => get("ctime_date"),
                _ => continue,
            };
            let theirs = match name.as_str() {
                "att_time" | "det_time" | "change_time" => ctime_as_date(&value),
                _ => value.clone(),
            };
            assert_eq!(ours, theirs, "segment {id}, ipcs's {name}");
        }
        // lsipc: the key, the names, the status words.
        let l = lsipc(id);
        assert_eq!(get("key"), l["key"].as_str().unwrap(), "segment {id}: key");
        assert_eq!(id.to_string(), l["id"].as_str().unwrap());
        assert_eq!(
            format!(
                "{:04o}",
                u32::from_str_radix(&get("mode"), 8).unwrap() & 0o777
            ),
            l["perms"].as_str().unwrap(),
            "segment {id}: perms"
        );
        for (ours, theirs) in [
            ("user", "user"),
            ("group", "group"),
            ("cuser", "cuser"),
            ("cgroup", "cgroup"),
        ] {
            assert_eq!(seg["names"][ours], l[theirs], "segment {id}: {theirs}");
        }
        for field in [
            "uid", "gid", "cuid", "cgid", "cpid", "lpid", "nattch", "size",
        ] {
            assert_eq!(
                get(field),
                l[field].as_str().unwrap(),
                "segment {id}: {field}"
            );
        }
        assert_eq!(
            get("ctime_date"),
            iso_as_date(&l["ctime"]),
            "segment {id}: ctime"
        );
        assert_eq!(
            get("atime_date"),
            iso_as_date(&l["attach"]),
            "segment {id}: attach"
        );
        assert_eq!(
            get("dtime_date"),
            iso_as_date(&l["detach"]),
            "segment {id}: detach"
        );
        let mut status = Vec::new();
        if seg["dest"] == true {
            status.push("dest");
        }
        if seg["locked"] == true {
            status.push("locked");
        }
        let theirs = l["status"].as_str().unwrap_or_default();
        assert_eq!(status.join(","), theirs, "segment {id}: status");
    }
    // What only inspect says: who is attached now, and what the special bits are.
    let by_id = |id: ShmId| {
        doc["segments"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == id.raw())
            .unwrap()
            .clone()
    };
    let a = by_id(made.ids[0]);
    assert_eq!(a["attached"][0]["pid"], std::process::id());
    assert_eq!(a["perms"], "rw-r-----");
    let b = by_id(made.ids[1]);
    assert_eq!(
        (b["dest"].clone(), b["locked"].clone(), b["key"].clone()),
        (true.into(), true.into(), "0x00000000".into())
    );
    assert_eq!(by_id(made.ids[2])["atime_date"], "never");
}

#[test]
fn inspect_id_shows_the_segment_its_special_bits_and_its_bytes_like_xxd() {
    let made = make(2);
    let text = |id: ShmId| {
        let out = common::shmlab()
            .args(["inspect", &id.raw().to_string()])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let a = text(made.ids[0]);
    assert!(
        a.starts_with(&format!("segment {}, key 0x1e52", made.ids[0].raw())),
        "{a}"
    );
    assert!(
        a.contains(
            "mode 0640: rw-r-----: the owner reads and writes, the group reads, others nothing"
        ),
        "{a}"
    );
    assert!(
        a.contains(&format!("attached now by pid {}", std::process::id())),
        "{a}"
    );
    assert!(
        a.contains("00000000: 6865 6c6c 6f20 6672 6f6d 2074 6865 2074  hello from the t\n00000010: 6573 7400 0000 0000 0000 0000 0000 0000  est.............\n*\n"),
        "{a}"
    );
    let b = text(made.ids[1]);
    assert!(
        b.contains("status: marked for destruction (SHM_DEST)"),
        "{b}"
    );
    assert!(b.contains("status: locked in memory (SHM_LOCKED)"), "{b}");
}

#[test]
fn inspect_of_an_id_with_no_segment_says_so_in_one_sentence() {
    let out = common::shmlab()
        .args(["inspect", "2147483647"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        "error: no segment has id 2147483647 in this IPC namespace: `shmlab inspect` lists them\n"
    );
}

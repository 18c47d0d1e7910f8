//! A segment's metadata at one moment, and a snapshot of every segment of interest.

use serde::{Deserialize, Serialize};

/// The metadata of one segment at one moment, as the checker's IPC_STAT saw it.
///
/// The fields hold the kernel's values; in JSON the key is written as `ipcs` shows it
/// (`0x00001234`) and the mode in octal (`0644`, with `01000` for SHM_DEST).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentState {
    pub id: i32,
    #[serde(with = "hex_key")]
    pub key: i32,
    pub size: usize,
    /// The whole mode word: permission bits, SHM_DEST and SHM_LOCKED.
    #[serde(with = "octal_mode")]
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub cuid: u32,
    pub cgid: u32,
    pub cpid: i32,
    pub lpid: i32,
    pub nattch: u64,
    pub atime: i64,
    pub dtime: i64,
    pub ctime: i64,
}

impl SegmentState {
    /// From the checker's stat of `id`.
    pub fn new(id: shm::ShmId, st: &shm::SegmentStat) -> SegmentState {
        SegmentState {
            id: id.raw(),
            key: st.key().raw(),
            size: st.size(),
            mode: st.raw_mode() & 0o7777,
            uid: st.uid(),
            gid: st.gid(),
            cuid: st.cuid(),
            cgid: st.cgid(),
            cpid: st.cpid(),
            lpid: st.lpid(),
            nattch: st.nattch(),
            atime: st.atime(),
            dtime: st.dtime(),
            ctime: st.ctime(),
        }
    }

    /// The key as a [`shm::Key`] (it displays as `0x%08x`).
    pub fn key(&self) -> shm::Key {
        shm::Key::new(self.key)
    }

    /// The nine permission bits.
    pub fn perms(&self) -> u32 {
        self.mode & 0o777
    }

    /// The mode word as `ipcs` shows it: four octal digits.
    pub fn mode_text(&self) -> String {
        format!("{:04o}", self.mode)
    }

    /// Whether SHM_DEST is set.
    pub fn is_marked_for_destruction(&self) -> bool {
        self.mode & shm::consts::SHM_DEST != 0
    }
}

mod hex_key {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(key: &i32, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&shm::Key::new(*key).to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<i32, D::Error> {
        let text = String::deserialize(d)?;
        u32::from_str_radix(text.trim_start_matches("0x"), 16)
            .map(|k| k as i32)
            .map_err(serde::de::Error::custom)
    }
}

mod octal_mode {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(mode: &u32, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("{mode:04o}"))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
        let text = String::deserialize(d)?;
        u32::from_str_radix(&text, 8).map_err(serde::de::Error::custom)
    }
}

/// Every segment of interest at one moment.
#[derive(Debug, Clone, Serialize)]
pub struct Snapshot {
    /// When: `before`, `after run 1`, `after the checker detached`.
    pub label: String,
    /// The segments, by id.
    pub segments: Vec<SegmentState>,
}

impl Snapshot {
    /// The segment with this id.
    pub fn by_id(&self, id: i32) -> Option<&SegmentState> {
        self.segments.iter().find(|s| s.id == id)
    }
}

/// The fields a program can change, with before and after values, where they differ.
pub fn diff_fields(b: &SegmentState, a: &SegmentState) -> Vec<(&'static str, String, String)> {
    let mut out = Vec::new();
    macro_rules! cmp {
        ($($f:ident),*) => {$(
            if b.$f != a.$f {
                out.push((stringify!($f), b.$f.to_string(), a.$f.to_string()));
            }
        )*};
    }
    if b.key != a.key {
        out.push(("key", b.key().to_string(), a.key().to_string()));
    }
    cmp!(size);
    if b.mode != a.mode {
        out.push(("mode", b.mode_text(), a.mode_text()));
    }
    cmp!(uid, gid, cuid, cgid, cpid, lpid, nattch, atime, dtime, ctime);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    pub fn state(id: i32) -> SegmentState {
        SegmentState {
            id,
            key: 0x5eed_0001,
            size: 4096,
            mode: 0o1644,
            uid: 1000,
            gid: 1000,
            cuid: 1000,
            cgid: 1000,
            cpid: 10,
            lpid: 0,
            nattch: 0,
            atime: 0,
            dtime: 0,
            ctime: 1_700_000_000,
        }
    }

    #[test]
    fn json_shows_key_in_hex_and_mode_in_octal_and_reads_them_back() {
        let s = state(3);
        let v = serde_json::to_value(&s).unwrap();
        assert_eq!(v["key"], "0x5eed0001");
        assert_eq!(v["mode"], "1644");
        let back: SegmentState = serde_json::from_value(v).unwrap();
        assert_eq!(back, s);
        assert!(back.is_marked_for_destruction());
        assert_eq!(back.perms(), 0o644);
    }

    #[test]
    fn diff_names_only_the_fields_that_changed() {
        let b = state(1);
        let mut a = b.clone();
        a.nattch = 1;
        a.key = 0;
        let d = diff_fields(&b, &a);
        assert_eq!(
            d,
            vec![
                ("key", "0x5eed0001".into(), "0x00000000".into()),
                ("nattch", "0".into(), "1".into())
            ]
        );
    }
}

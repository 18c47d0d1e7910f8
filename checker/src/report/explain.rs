//! `shmlab explain TOPIC`: what an errno means for each of the four calls, and what a concept
//! (a key, `IPC_PRIVATE`, `SHM_DEST`, nattch...) is, with the guide section that teaches it.
//! Reports point here whenever they name an errno.

use std::io::{self, Write};

/// One topic: its name, what it is in a sentence, what it means per call, and where to read.
pub struct Topic {
    pub name: &'static str,
    pub summary: &'static str,
    /// (call, what the topic means for it); empty for a concept.
    pub per_call: &'static [(&'static str, &'static str)],
    pub guide: &'static str,
}

/// Every topic, errnos first.
pub const TOPICS: &[Topic] = &[
    Topic {
        name: "EACCES",
        summary: "Permission denied: the segment's mode does not grant the access the call asks for (the owner, group and other bits, as for files).",
        per_call: &[
            ("shmget", "the key's segment exists but the mode bits in shmget's flags ask for an access its mode refuses; look a segment up with flags 0"),
            ("shmat", "the segment's mode does not grant read (SHM_RDONLY) or read and write (flags 0) to this process"),
            ("shmdt", "never"),
            ("shmctl", "IPC_STAT without read permission"),
        ],
        guide: "docs/concepts.md#permissions-and-root",
    },
    Topic {
        name: "EEXIST",
        summary: "File exists: IPC_CREAT | IPC_EXCL was given a key that already has a segment.",
        per_call: &[
            ("shmget", "IPC_CREAT | IPC_EXCL on a key that has a segment; without IPC_EXCL, shmget returns the existing segment instead"),
            ("shmat", "never"),
            ("shmdt", "never"),
            ("shmctl", "never"),
        ],
        guide: "docs/labs/create.md",
    },
    Topic {
        name: "EINVAL",
        summary: "Invalid argument: a size, an id, an address or a buffer the kernel refuses.",
        per_call: &[
            ("shmget", "a size larger than the existing segment's, or outside SHMMIN..SHMMAX for a new one; or key 0 (IPC_PRIVATE) with size 0"),
            ("shmat", "the id is no segment's (a key passed as an id?), or an address that is not page-aligned without SHM_RND"),
            ("shmdt", "nothing is attached at that address: not the address shmat returned, or detached already"),
            ("shmctl", "the id is no segment's, an unknown command, or for IPC_SET a uid or gid that does not exist here"),
        ],
        guide: "docs/concepts.md#keys-and-ids",
    },
    Topic {
        name: "ENOENT",
        summary: "No such file or directory: the key has no segment, and IPC_CREAT was not given.",
        per_call: &[
            ("shmget", "no segment has this key, and the flags lack IPC_CREAT (only the create lab creates)"),
            ("shmat", "never (a wrong id gives EINVAL)"),
            ("shmdt", "never"),
            ("shmctl", "never"),
        ],
        guide: "docs/concepts.md#keys-and-ids",
    },
    Topic {
        name: "EPERM",
        summary: "Operation not permitted: only the segment's owner or creator (or a privileged process) may change or remove it.",
        per_call: &[
            ("shmget", "never"),
            ("shmat", "never"),
            ("shmdt", "never"),
            ("shmctl", "IPC_SET or IPC_RMID by a process that is neither the owner (uid) nor the creator (cuid)"),
        ],
        guide: "docs/labs/remove.md",
    },
    Topic {
        name: "ENOMEM",
        summary: "Cannot allocate memory: no room for the segment or for the mapping.",
        per_call: &[
            ("shmget", "no memory for the segment's record"),
            ("shmat", "no room left in the address space for the attachment (attaching in a loop without shmdt?)"),
            ("shmdt", "never"),
            ("shmctl", "SHM_LOCK beyond RLIMIT_MEMLOCK"),
        ],
        guide: "docs/concepts.md#limits",
    },
    Topic {
        name: "ENOSPC",
        summary: "No space left on device: the system's limit on segments (SHMMNI) or on shared memory in all (SHMALL) is reached.",
        per_call: &[
            ("shmget", "a new segment would pass SHMMNI or SHMALL: segments left behind by earlier runs? (ipcs -m)"),
            ("shmat", "never"),
            ("shmdt", "never"),
            ("shmctl", "never"),
        ],
        guide: "docs/concepts.md#persistence-after-exit",
    },
    Topic {
        name: "EIDRM",
        summary: "Identifier removed: the segment was removed while the call waited on it.",
        per_call: &[
            ("shmget", "the key's segment was being removed"),
            ("shmat", "the segment was removed (IPC_RMID and its last detach)"),
            ("shmdt", "never"),
            ("shmctl", "the segment was removed"),
        ],
        guide: "docs/concepts.md#the-lifecycle-of-a-segment",
    },
    Topic {
        name: "key",
        summary: "A segment's name (key_t, an int), agreed between programs: shmget(key, ...) finds the segment with that key. Shown as 0x%08x. Not the id: the kernel picks the id, and every other call takes the id.",
        per_call: &[],
        guide: "docs/concepts.md#keys-and-ids",
    },
    Topic {
        name: "shmid",
        summary: "The id shmget returns: the kernel's number for the segment, which shmat and shmctl take. Ids start at 0 in a fresh IPC namespace; a key is not an id.",
        per_call: &[],
        guide: "docs/concepts.md#keys-and-ids",
    },
    Topic {
        name: "IPC_PRIVATE",
        summary: "Key 0: always makes a new segment that no other process can find by key (only by its id, or through fork). A removed segment that is still attached also shows key 0.",
        per_call: &[],
        guide: "docs/concepts.md#keys-and-ids",
    },
    Topic {
        name: "IPC_CREAT",
        summary: "shmget's flag to create the segment when the key has none; the low nine bits of the flags are then its mode (IPC_CREAT alone gives mode 0000). On an existing key it returns that segment.",
        per_call: &[],
        guide: "docs/labs/create.md",
    },
    Topic {
        name: "IPC_EXCL",
        summary: "With IPC_CREAT: fail with EEXIST rather than return an existing segment.",
        per_call: &[],
        guide: "docs/labs/create.md",
    },
    Topic {
        name: "SHM_RDONLY",
        summary: "shmat's flag for a read-only attachment: needs only read permission; a write through it is a SIGSEGV.",
        per_call: &[],
        guide: "docs/labs/attach.md",
    },
    Topic {
        name: "SHM_DEST",
        summary: "Mode bit 01000: IPC_RMID was called while the segment was attached; it is destroyed at its last detach. Its key is then 0 (IPC_PRIVATE), so no one can find it by key.",
        per_call: &[],
        guide: "docs/labs/remove.md",
    },
    Topic {
        name: "SHM_LOCKED",
        summary: "Mode bit 02000: shmctl(SHM_LOCK) keeps the segment's pages in memory. Not a permission bit: print mode & 0777.",
        per_call: &[],
        guide: "docs/labs/stat.md",
    },
    Topic {
        name: "nattch",
        summary: "shm_nattch: how many attachments the segment has. shmat adds one, shmdt and exit (or exec) take one away, fork copies them.",
        per_call: &[],
        guide: "docs/concepts.md#the-lifecycle-of-a-segment",
    },
    Topic {
        name: "lpid",
        summary: "shm_lpid: the pid of the last process to attach or detach (an exit that detaches counts). shm_cpid is the creator's pid.",
        per_call: &[],
        guide: "docs/labs/stat.md",
    },
    Topic {
        name: "IPC_RMID",
        summary: "shmctl's command to remove the segment: at once if nothing is attached, else marked SHM_DEST and destroyed at its last detach.",
        per_call: &[],
        guide: "docs/labs/remove.md",
    },
    Topic {
        name: "IPC_STAT",
        summary: "shmctl's command to read the segment's record (struct shmid_ds) into a buffer: needs read permission.",
        per_call: &[],
        guide: "docs/labs/stat.md",
    },
    Topic {
        name: "IPC_SET",
        summary: "shmctl's command to apply uid, gid and the nine mode bits from a buffer, as they are: fill the buffer with IPC_STAT first. Sets ctime.",
        per_call: &[],
        guide: "docs/labs/set.md",
    },
    Topic {
        name: "persistence",
        summary: "A segment outlives the process that made it: it stays until IPC_RMID (and its last detach) or a reboot. ipcs -m lists them, ipcrm -m ID removes one.",
        per_call: &[],
        guide: "docs/concepts.md#persistence-after-exit",
    },
];

/// The topic called `name` (case does not matter), or the nearest one's name.
pub fn find(name: &str) -> Result<&'static Topic, &'static str> {
    let wanted = name.trim();
    TOPICS
        .iter()
        .find(|t| t.name.eq_ignore_ascii_case(wanted))
        .ok_or_else(|| {
            TOPICS
                .iter()
                .min_by_key(|t| {
                    strsim::damerau_levenshtein(&t.name.to_lowercase(), &wanted.to_lowercase())
                })
                .map_or("EACCES", |t| t.name)
        })
}

/// Writes `topic`.
pub fn render(topic: &Topic, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "{}: {}", topic.name, topic.summary)?;
    for (call, meaning) in topic.per_call {
        writeln!(out, "  {call:<7} {meaning}")?;
    }
    writeln!(out, "More: {}", topic.guide)
}

/// The topic names, for the usage line of `explain` and for suggestions.
pub fn names() -> Vec<&'static str> {
    TOPICS.iter().map(|t| t.name).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errnos_and_concepts_are_found_in_any_case_and_a_typo_gets_the_nearest() {
        assert_eq!(find("eacces").unwrap().name, "EACCES");
        assert_eq!(find("SHM_DEST").unwrap().name, "SHM_DEST");
        assert_eq!(find("EACESS").err(), Some("EACCES"));
        assert_eq!(find("nattach").err(), Some("nattch"));
        let mut out = Vec::new();
        render(find("EACCES").unwrap(), &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        for call in ["shmget", "shmat", "shmdt", "shmctl"] {
            assert!(text.contains(&format!("  {call}")), "{text}");
        }
    }

    #[test]
    fn every_guide_a_topic_points_to_exists() {
        let ws = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        for t in TOPICS {
            let (file, anchor) = t.guide.split_once('#').unwrap_or((t.guide, ""));
            let text = std::fs::read_to_string(ws.join(file))
                .unwrap_or_else(|e| panic!("{}: {file}: {e}", t.name));
            if anchor.is_empty() {
                continue;
            }
            // GitHub's anchor of a heading: lower case, spaces as dashes, punctuation dropped.
            let slugs: Vec<String> = text
                .lines()
                .filter_map(|l| l.strip_prefix("## "))
                .map(|h| {
                    h.to_lowercase()
                        .chars()
                        .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-')
                        .map(|c| if c == ' ' { '-' } else { c })
                        .collect()
                })
                .collect();
            assert!(
                slugs.iter().any(|s| s == anchor),
                "{}: {file} has no #{anchor}: {slugs:?}",
                t.name
            );
        }
    }
}

use super::*;
use shm::{IpcFlags, Key, Mode as ShmMode};
use std::os::unix::fs::{MetadataExt, PermissionsExt};

/// Removes the segment when dropped, whatever the test did.
struct Segment(ShmId);

impl Drop for Segment {
    fn drop(&mut self) {
        let _ = shm::shmctl(self.0, ShmctlCmd::IpcRmid);
    }
}

fn exists(id: ShmId) -> bool {
    shm::ipc_stat(id).is_ok()
}

/// A key base of the keys-mode kind nobody uses, and a segment made at `base + offset`.
fn segment_under_fresh_base(offset: i32) -> (u32, Segment) {
    for _ in 0..64 {
        let base = 0x5c00_0000 | (super::super::random_u32() & 0x00ff_ff00);
        let key = Key::new(base as i32 + offset);
        if let Ok(id) = shm::shmget(
            key,
            4096,
            IpcFlags::IPC_CREAT | IpcFlags::IPC_EXCL | ShmMode::new(0o600),
        ) {
            return (base, Segment(id));
        }
    }
    panic!("no free key base");
}

/// A registry in a fresh temporary directory (kept alive by the returned guard).
fn registry() -> (tempfile::TempDir, Registry) {
    let top = tempfile::tempdir().unwrap();
    let reg = Registry::open_at(&top.path().join("reg")).unwrap();
    (top, reg)
}

fn stale_claim(reg: &Registry, base: u32, lines: &str) {
    let path = reg.path().join(format!("{base:08x}"));
    std::fs::write(&path, lines).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

fn record_of(id: ShmId) -> String {
    let st = shm::ipc_stat(id).unwrap();
    format!("{} {} {}\n", id.raw(), st.cpid(), st.ctime())
}

fn is_empty(dir: &Path) -> bool {
    std::fs::read_dir(dir).unwrap().next().is_none()
}

#[test]
fn the_registry_is_made_private() {
    let (_top, reg) = registry();
    let meta = std::fs::symlink_metadata(reg.path()).unwrap();
    assert!(meta.is_dir());
    assert_eq!(meta.mode() & 0o777, 0o700);
    assert_eq!(meta.uid(), nix::unistd::geteuid().as_raw());
}

#[test]
fn sweep_leaves_a_segment_it_never_recorded_under_a_claimed_base() {
    let (_top, reg) = registry();
    let (base, foreign) = segment_under_fresh_base(1);
    // The killed checker's own segment under the same base, recorded in its claim.
    let ours = Segment(
        shm::shmget(
            Key::new(base as i32 + 2),
            4096,
            IpcFlags::IPC_CREAT | IpcFlags::IPC_EXCL | ShmMode::new(0o600),
        )
        .unwrap(),
    );
    stale_claim(&reg, base, &record_of(ours.0));
    assert_eq!(reg.sweep_stale().segments, 1);
    assert!(
        exists(foreign.0),
        "a segment the checker never recorded was removed"
    );
    assert!(!exists(ours.0), "the recorded segment is still there");
    assert!(is_empty(reg.path()), "the stale claim file is gone");
}

#[test]
fn sweep_with_an_empty_claim_removes_nothing() {
    let (_top, reg) = registry();
    let (base, foreign) = segment_under_fresh_base(0xff);
    stale_claim(&reg, base, "");
    assert_eq!(reg.sweep_stale().segments, 0);
    assert!(exists(foreign.0));
}

#[test]
fn sweep_removes_a_recorded_segment_that_still_matches() {
    let (_top, reg) = registry();
    let (base, ours) = segment_under_fresh_base(1);
    stale_claim(&reg, base, &record_of(ours.0));
    assert_eq!(reg.sweep_stale().segments, 1);
    assert!(!exists(ours.0), "the recorded segment is still there");
}

#[test]
fn sweep_leaves_a_segment_whose_record_no_longer_matches() {
    let (_top, reg) = registry();
    let (base, later) = segment_under_fresh_base(2);
    let st = shm::ipc_stat(later.0).unwrap();
    // Same id, another creation time: the recorded segment is gone and the id reused.
    stale_claim(
        &reg,
        base,
        &format!("{} {} {}\n", later.0.raw(), st.cpid(), st.ctime() - 10),
    );
    assert_eq!(reg.sweep_stale().segments, 0);
    assert!(exists(later.0));
}

#[test]
fn sweep_leaves_the_claims_of_a_live_checker() {
    let (_top, reg) = registry();
    let (_, ours) = segment_under_fresh_base(1);
    let base = 0x5cfe_ff00_u32 as i32;
    let mut claim = reg.claim_base(base).unwrap();
    let st = shm::ipc_stat(ours.0).unwrap();
    claim.record(ours.0.raw(), st.cpid(), st.ctime());
    assert_eq!(reg.sweep_stale(), Swept::default());
    assert!(exists(ours.0));
    assert!(!is_empty(reg.path()));
    drop(claim);
    assert!(is_empty(reg.path()), "a dropped claim removes its file");
}

#[test]
fn a_claimed_base_cannot_be_claimed_twice() {
    let (_top, reg) = registry();
    let claim = reg.claim_base(0x5c12_3400);
    assert!(claim.is_some());
    assert!(reg.claim_base(0x5c12_3400).is_none());
}

#[test]
fn a_world_writable_registry_is_refused() {
    let top = tempfile::tempdir().unwrap();
    let path = top.path().join("reg");
    std::fs::create_dir(&path).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o777)).unwrap();
    let err = Registry::open_at(&path).err().expect("refused");
    assert!(
        matches!(
            err,
            RegistryError::Untrusted {
                why: Untrusted::Mode(0o777),
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("remove it"), "{err}");
}

#[test]
fn a_registry_that_is_a_link_is_refused_and_its_target_untouched() {
    let top = tempfile::tempdir().unwrap();
    let target = top.path().join("elsewhere");
    std::fs::create_dir(&target).unwrap();
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o700)).unwrap();
    // A hex-named file the old sweep would have deleted.
    std::fs::write(target.join("5c000100"), "").unwrap();
    let path = top.path().join("reg");
    std::os::unix::fs::symlink(&target, &path).unwrap();
    let err = Registry::open_at(&path).err().expect("refused");
    assert!(
        matches!(
            err,
            RegistryError::Untrusted {
                why: Untrusted::Link,
                ..
            }
        ),
        "{err}"
    );
    assert!(target.join("5c000100").exists());
}

#[test]
fn a_planted_link_is_never_followed_by_a_claim_or_a_sweep() {
    let (top, reg) = registry();
    let victim = top.path().join("victim");
    // A dangling link where a claim would go: the claim must not create its target.
    std::os::unix::fs::symlink(&victim, reg.path().join("5c00aa00")).unwrap();
    assert!(reg.claim_base(0x5c00_aa00_u32 as i32).is_none());
    assert!(!victim.exists(), "a claim followed a planted link");
    // A link to a real file: the sweep leaves both alone and names it.
    std::fs::write(&victim, "0 0 0\n").unwrap();
    let swept = reg.sweep_stale();
    assert_eq!(swept.refused, vec!["5c00aa00".to_string()]);
    assert!(victim.exists());
    assert!(reg.path().join("5c00aa00").symlink_metadata().is_ok());
}

#[test]
#[cfg_attr(
    not(shmlab_root),
    ignore = "needs root: makes the registry belong to another user"
)]
fn a_registry_owned_by_another_user_is_refused() {
    let top = tempfile::tempdir().unwrap();
    let path = top.path().join("reg");
    std::fs::create_dir(&path).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o700)).unwrap();
    std::os::unix::fs::chown(&path, Some(65534), Some(65534)).unwrap();
    let err = Registry::open_at(&path).err().expect("refused");
    assert!(
        matches!(
            err,
            RegistryError::Untrusted {
                why: Untrusted::Owner(65534),
                ..
            }
        ),
        "{err}"
    );
}

#[test]
#[cfg_attr(
    not(shmlab_root),
    ignore = "needs root: plants a claim file owned by another user"
)]
fn a_claim_file_of_another_user_is_refused() {
    let (_top, reg) = registry();
    let (base, foreign) = segment_under_fresh_base(1);
    stale_claim(&reg, base, &record_of(foreign.0));
    let planted = reg.path().join(format!("{base:08x}"));
    std::os::unix::fs::chown(&planted, Some(65534), Some(65534)).unwrap();
    let swept = reg.sweep_stale();
    assert_eq!(swept.segments, 0);
    assert_eq!(swept.refused, vec![format!("{base:08x}")]);
    assert!(exists(foreign.0));
}

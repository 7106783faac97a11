//! One rule for every cache: an answer is used only while everything it was
//! derived from is as it was.
//!
//! - **Workspace metadata** (in memory for the life of the process, and on
//!   disk between processes) was derived from files cargo read and from the
//!   environment: `metadata_inputs` names the files, `Snapshot` records their
//!   (mtime, size) and compares them with the disk, `environment_digest`
//!   covers the build environment and the process's `CARGO*`/`RUSTUP*`/
//!   `RUSTC`/`PATH` variables. Both caches use exactly these, so an edit that
//!   one cache would notice, the other notices too.
//! - **Built binaries** were derived from source contents: a build is current
//!   while the digest of its package's sources equals the digest taken when it
//!   was built, and its binary is still there (`build_is_current`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::metadata::WorkspaceInfo;

/// What a file looked like: its modification time and size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileStamp {
    pub mtime_ns: Option<u64>,
    pub size: u64,
}

impl FileStamp {
    /// The file's stamp now, or `None` when it does not exist.
    pub fn of(path: &Path) -> Option<FileStamp> {
        let meta = std::fs::metadata(path).ok()?;
        let mtime_ns =
            meta.modified().ok().and_then(|t| t.duration_since(UNIX_EPOCH).ok()).map(|d| d.as_nanos() as u64);
        Some(FileStamp { mtime_ns, size: meta.len() })
    }
}

/// The stamps of a set of files at one moment (a missing file counts too:
/// creating it later makes the snapshot stale).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot(BTreeMap<PathBuf, Option<FileStamp>>);

impl Snapshot {
    pub fn take(paths: &[PathBuf]) -> Snapshot {
        Snapshot(paths.iter().map(|p| (p.clone(), FileStamp::of(p))).collect())
    }

    /// Whether every one of `paths` is recorded and looks as recorded. The
    /// list comes from the caller, never from the snapshot, so a snapshot
    /// that leaves a file out is stale, not trusted.
    pub fn matches_now(&self, paths: &[PathBuf]) -> bool {
        paths.iter().all(|p| self.0.get(p).is_some_and(|then| *then == FileStamp::of(p)))
    }
}

/// The files whose change can change what `cargo metadata` says for
/// `manifest`: every manifest of the workspace, the manifest asked about, a
/// `Cargo.toml` in any folder above it (a new `[workspace]` there changes
/// which workspace cargo finds, or breaks it), and every `.cargo/config[.toml]`
/// cargo would read (from the workspace root up, and in `CARGO_HOME`).
pub fn metadata_inputs(manifest: &Path, info: &WorkspaceInfo) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = info.members.iter().map(|p| p.manifest_path.clone()).collect();
    files.push(info.root_manifest());
    files.push(manifest.to_path_buf());
    let mut above = manifest.parent().and_then(Path::parent);
    while let Some(d) = above {
        files.push(d.join("Cargo.toml"));
        above = d.parent();
    }
    let mut dir = Some(info.workspace_root.as_path());
    while let Some(d) = dir {
        files.push(d.join(".cargo").join("config.toml"));
        files.push(d.join(".cargo").join("config"));
        dir = d.parent();
    }
    if let Some(home) = cargo_home() {
        files.push(home.join("config.toml"));
        files.push(home.join("config"));
    }
    files.sort();
    files.dedup();
    files
}

fn cargo_home() -> Option<PathBuf> {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
}

/// A digest of the build environment and of the process variables cargo
/// reads (`CARGO*`, `RUSTUP*`, `RUSTC`, `PATH`): an answer given under one
/// environment is never reused under another.
pub fn environment_digest(build_env: &[(String, String)]) -> String {
    let mut process: Vec<(String, String)> = std::env::vars()
        .filter(|(k, _)| k.starts_with("CARGO") || k.starts_with("RUSTUP") || k == "RUSTC" || k == "PATH")
        .collect();
    process.sort();
    let mut h = Sha256::new();
    for (k, v) in build_env.iter().chain([("--".to_string(), "--".to_string())].iter()).chain(process.iter()) {
        h.update((k.len() as u64).to_le_bytes());
        h.update(k.as_bytes());
        h.update((v.len() as u64).to_le_bytes());
        h.update(v.as_bytes());
    }
    hex(&h.finalize()[..16])
}

/// Whether a binary built earlier can stand for a build now: its package's
/// sources digest as they did then, and the binary is still there.
pub fn build_is_current(digest_then: &str, digest_now: &str, binary: &Path) -> bool {
    digest_then == digest_now && binary.is_file()
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_snapshot_goes_stale_when_a_file_changes_appears_or_is_left_out() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        std::fs::write(&a, "1").unwrap();
        let paths = vec![a.clone(), b.clone()];
        let snap = Snapshot::take(&paths);
        assert!(snap.matches_now(&paths));
        std::fs::write(&b, "new").unwrap();
        assert!(!snap.matches_now(&paths), "a file that appeared");
        let snap = Snapshot::take(&paths);
        std::fs::write(&a, "22").unwrap();
        assert!(!snap.matches_now(&paths), "a file that changed size");
        let snap = Snapshot::take(std::slice::from_ref(&a));
        assert!(!snap.matches_now(&paths), "a file the snapshot does not record");
    }

    #[test]
    fn the_build_environment_changes_the_digest() {
        let a = environment_digest(&[("K".into(), "1".into())]);
        assert_eq!(a, environment_digest(&[("K".into(), "1".into())]));
        assert_ne!(a, environment_digest(&[("K".into(), "2".into())]));
        assert_ne!(a, environment_digest(&[]));
    }
}

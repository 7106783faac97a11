//! A disk cache of what `cargo metadata --no-deps` said about a workspace, so
//! a synth with nothing changed starts no cargo process at all.
//!
//! The folder must be private (see `cache_dir`). An entry is used only while
//! `freshness`'s rule holds: every file cargo read (recomputed from the
//! manifest and the entry's workspace, never read from the entry) looks as it
//! did, and the environment is the same. An entry that does not describe the
//! manifest it is filed under, or describes a workspace cargo could not have
//! answered (the manifest outside it or not one of its manifests, a target
//! directory holding its sources), is ignored. Anything else is a miss, and
//! cargo is asked again.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::atomic;
use crate::cache_dir::ensure_private;
use crate::errors::Result;
use crate::freshness::{hex, metadata_inputs, Snapshot};
use crate::metadata::WorkspaceInfo;

const FORMAT: u32 = 2;

/// Keeps the cache small: past `MAX_ENTRIES`, the least recently written
/// half goes (temporary workspaces, such as test runs', leave entries behind).
const MAX_ENTRIES: usize = 1000;

#[derive(Debug, Serialize, Deserialize)]
struct Entry {
    format: u32,
    manifest: PathBuf,
    environment: String,
    snapshot: Snapshot,
    workspace: WorkspaceInfo,
}

/// A folder of entries, one per (manifest, environment).
#[derive(Debug)]
pub struct DiskCache {
    /// The package's cache folder, checked down to `dir`.
    base: PathBuf,
    dir: PathBuf,
    checked: OnceLock<Result<()>>,
}

impl DiskCache {
    /// Entries in `base/metadata`.
    pub fn at(base: PathBuf) -> DiskCache {
        DiskCache { dir: base.join("metadata"), base, checked: OnceLock::new() }
    }

    /// In the package's cache folder, from this process's environment.
    pub fn default_location() -> Option<DiskCache> {
        crate::cache_dir::process_cache_base().map(DiskCache::at)
    }

    /// Creates the folder private, or refuses it when it is not (once per process).
    pub fn ensure_private(&self) -> Result<()> {
        self.checked.get_or_init(|| ensure_private(&self.base, &self.dir)).clone()
    }

    fn entry_path(&self, manifest: &Path, environment: &str) -> PathBuf {
        let mut h = Sha256::new();
        h.update(manifest.as_os_str().as_encoded_bytes());
        h.update([0]);
        h.update(environment.as_bytes());
        self.dir.join(format!("{}.json", hex(&h.finalize()[..16])))
    }

    /// The cached answer for `manifest`, when it still holds.
    pub fn load(&self, manifest: &Path, environment: &str) -> Option<WorkspaceInfo> {
        let bytes = atomic::read_regular_file(&self.entry_path(manifest, environment)).ok()?;
        let entry: Entry = serde_json::from_slice(&bytes).ok()?;
        let describes_it = entry.format == FORMAT && entry.manifest == manifest && entry.environment == environment;
        if !describes_it || !plausible(manifest, &entry.workspace) {
            return None;
        }
        if !entry.snapshot.matches_now(&metadata_inputs(manifest, &entry.workspace)) {
            return None;
        }
        Some(entry.workspace)
    }

    /// Files `info` as the answer for `manifest`. Best effort: a cache that
    /// cannot be written (read-only home, non-UTF-8 paths) only costs a cargo
    /// call later.
    pub fn store(&self, manifest: &Path, environment: &str, info: &WorkspaceInfo) {
        let entry = Entry {
            format: FORMAT,
            manifest: manifest.to_path_buf(),
            environment: environment.to_string(),
            snapshot: Snapshot::take(&metadata_inputs(manifest, info)),
            workspace: info.clone(),
        };
        let Ok(text) = serde_json::to_vec(&entry) else { return };
        self.prune();
        let target = self.entry_path(manifest, environment);
        let _ = atomic::write_atomically::<std::io::Error>(&target, 0o600, |mut file| file.write_all(&text));
    }

    fn prune(&self) {
        let Ok(read) = std::fs::read_dir(&self.dir) else { return };
        let mut entries: Vec<(std::time::SystemTime, PathBuf)> =
            read.filter_map(|e| e.ok()).filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path()))).collect();
        if entries.len() <= MAX_ENTRIES {
            return;
        }
        entries.sort();
        for (_, path) in entries.iter().take(entries.len() / 2) {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Whether cargo could have given `info` as the answer for `manifest`: the
/// manifest is the workspace root's or a member's and lies inside the root,
/// and the target directory holds neither the root nor a member's sources
/// (which would hide them from the fingerprint).
fn plausible(manifest: &Path, info: &WorkspaceInfo) -> bool {
    let root = &info.workspace_root;
    let is_workspace_manifest =
        manifest == info.root_manifest() || info.members.iter().any(|m| m.manifest_path == manifest);
    let dirs = || std::iter::once(root.as_path()).chain(info.members.iter().map(|m| m.dir()));
    is_workspace_manifest
        && manifest.starts_with(root)
        && info.members.iter().all(|m| m.manifest_path.starts_with(root))
        && !dirs().any(|d| d.starts_with(&info.target_directory))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metadata::PackageInfo;

    fn workspace(root: &str, target: &str) -> WorkspaceInfo {
        WorkspaceInfo {
            workspace_root: root.into(),
            target_directory: target.into(),
            members: vec![PackageInfo {
                name: "app".into(),
                manifest_path: PathBuf::from(root).join("app/Cargo.toml"),
                bins: vec!["app".into()],
                has_lib: false,
                path_deps: vec![],
                is_lambda: true,
            }],
        }
    }

    #[test]
    fn only_answers_cargo_could_give_are_plausible() {
        let ws = workspace("/ws", "/ws/target");
        assert!(plausible(Path::new("/ws/Cargo.toml"), &ws));
        assert!(plausible(Path::new("/ws/app/Cargo.toml"), &ws));
        assert!(!plausible(Path::new("/mine/Cargo.toml"), &ws), "another workspace's answer");
        assert!(!plausible(Path::new("/ws/Cargo.toml"), &workspace("/ws", "/ws")), "target dir = root");
        assert!(!plausible(Path::new("/ws/Cargo.toml"), &workspace("/ws", "/")), "target dir above the root");
        assert!(!plausible(Path::new("/ws/Cargo.toml"), &workspace("/ws", "/ws/app")), "target dir = a member");
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_planted_where_a_temp_file_could_go_is_never_followed() {
        let tmp = tempfile::tempdir().unwrap();
        let cache = DiskCache::at(tmp.path().join("cache"));
        cache.ensure_private().unwrap();
        let manifest = Path::new("/ws/app/Cargo.toml");
        let victim = tmp.path().join("victim");
        std::fs::write(&victim, "keep").unwrap();
        // Where a `<entry>.tmp-<pid>` scheme would write, and a spray of guesses.
        let entry = cache.entry_path(manifest, "env");
        let mut planted = vec![entry.with_extension(format!("tmp-{}", std::process::id()))];
        planted.extend(
            (0..64).map(|i| {
                entry.with_file_name(format!(".{}.tmp-{i:016x}", entry.file_name().unwrap().to_string_lossy()))
            }),
        );
        for p in &planted {
            std::os::unix::fs::symlink(&victim, p).unwrap();
        }
        cache.store(manifest, "env", &workspace("/ws", "/ws/target"));
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep");
        let written: serde_json::Value = serde_json::from_slice(&std::fs::read(&entry).unwrap()).unwrap();
        assert_eq!(written["manifest"], "/ws/app/Cargo.toml");
    }
}

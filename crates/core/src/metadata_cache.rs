//! A disk cache of what `cargo metadata --no-deps` said about a workspace, so
//! a synth with nothing changed starts no cargo process at all.
//!
//! An entry is used only while `freshness`'s rule holds: every file cargo read
//! (recomputed from the manifest and the entry's workspace, never read from
//! the entry) looks as it did, and the environment is the same. An entry that
//! does not describe the manifest it is filed under is ignored. Anything else
//! is a miss, and cargo is asked again.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

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
#[derive(Debug, Clone)]
pub struct DiskCache {
    dir: PathBuf,
}

impl DiskCache {
    pub fn at(dir: PathBuf) -> DiskCache {
        DiskCache { dir }
    }

    /// `metadata` in the package's cache folder, from this process's environment.
    pub fn default_location() -> Option<DiskCache> {
        crate::cache_dir::process_cache_base().map(|base| DiskCache::at(base.join("metadata")))
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
        let text = std::fs::read_to_string(self.entry_path(manifest, environment)).ok()?;
        let entry: Entry = serde_json::from_str(&text).ok()?;
        let describes_it = entry.format == FORMAT && entry.manifest == manifest && entry.environment == environment;
        if !describes_it || !entry.snapshot.matches_now(&metadata_inputs(manifest, &entry.workspace)) {
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
        let Ok(text) = serde_json::to_string(&entry) else { return };
        if std::fs::create_dir_all(&self.dir).is_err() {
            return;
        }
        self.prune();
        let target = self.entry_path(manifest, environment);
        let temp = target.with_extension(format!("tmp-{}", std::process::id()));
        if std::fs::write(&temp, text).is_ok() && std::fs::rename(&temp, &target).is_ok() {
            return;
        }
        let _ = std::fs::remove_file(&temp);
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

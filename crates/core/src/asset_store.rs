//! A content-addressed store of staged assets, so a synth into a fresh
//! output folder (every jest test file, every CI job, `cdk synth -o <new>`)
//! takes a function's `bootstrap.zip` from it instead of running cargo.
//!
//! An entry is filed under a key that covers everything the zip depends on:
//! the function's fingerprint (sources, build configuration, target), its
//! runtime (the check the binary passed), and the toolchain that built it
//! (`rustc -vV` for local builds, the image for Docker builds; see
//! `toolchain_identity`). Each entry is two files in the store folder
//! (private, see `cache_dir`): `<key>.zip`, then `<key>.json` recording the
//! zip's size and SHA-256. Both are written through unpredictable temp
//! files and renamed into place, the record last, so a reader never sees a
//! partial entry; every read checks the zip against its record, and an entry
//! that does not match is removed, never staged. Past its size limit the
//! store drops the least recently used entries.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::atomic;
use crate::cache_dir::ensure_private;
use crate::errors::Result;
use crate::freshness::hex;

const FORMAT: u32 = 1;

/// The default size limit: a few GB of zips (a Lambda zip is a few MB).
pub const DEFAULT_MAX_BYTES: u64 = 4 << 30;

#[derive(Debug, Serialize, Deserialize)]
struct Record {
    format: u32,
    key: String,
    size: u64,
    sha256: String,
}

/// What an entry is keyed on, besides its fingerprint.
#[derive(Debug, Clone)]
pub struct StoreKey {
    /// The function's asset fingerprint (`asset_hash::function_asset_hash`).
    pub fingerprint: String,
    /// `lambda.Runtime.name`: the binary passed this runtime's check.
    pub runtime: String,
    /// What built it: `rustc -vV` output, or `image:<name>` for Docker.
    pub toolchain: String,
}

impl StoreKey {
    pub fn digest(&self) -> String {
        let mut h = Sha256::new();
        for part in ["cdk-lambda-rust-asset-store-v1", &self.fingerprint, &self.runtime, &self.toolchain] {
            h.update((part.len() as u64).to_le_bytes());
            h.update(part.as_bytes());
        }
        hex(&h.finalize())
    }
}

/// The store folder and its size limit.
#[derive(Debug, Clone)]
pub struct AssetStore {
    base: PathBuf,
    dir: PathBuf,
    max_bytes: u64,
}

impl AssetStore {
    /// `assets` below the package's cache folder `base`.
    pub fn at(base: PathBuf, max_bytes: u64) -> AssetStore {
        AssetStore { dir: base.join("assets"), base, max_bytes }
    }

    /// From this process's environment: `None` when switched off
    /// (`CDK_LAMBDA_RUST_ASSET_STORE=off`) or when there is no cache folder;
    /// `CDK_LAMBDA_RUST_ASSET_STORE_MAX_MB` sets the size limit.
    pub fn from_env() -> Option<AssetStore> {
        let setting = std::env::var("CDK_LAMBDA_RUST_ASSET_STORE").unwrap_or_default();
        if matches!(setting.to_ascii_lowercase().as_str(), "off" | "0" | "false" | "no") {
            return None;
        }
        let max_bytes = std::env::var("CDK_LAMBDA_RUST_ASSET_STORE_MAX_MB")
            .ok()
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map_or(DEFAULT_MAX_BYTES, |mb| mb << 20);
        crate::cache_dir::process_cache_base().map(|base| AssetStore::at(base, max_bytes))
    }

    fn paths(&self, key: &str) -> (PathBuf, PathBuf) {
        (self.dir.join(format!("{key}.zip")), self.dir.join(format!("{key}.json")))
    }

    /// Copies the entry `key` to `dest` (through a temp file and a rename)
    /// when there is one and its zip matches its record. A mismatching entry
    /// is removed. Returns whether `dest` was written.
    pub fn fetch(&self, key: &str, dest: &Path) -> Result<bool> {
        ensure_private(&self.base, &self.dir)?;
        let (zip, record_path) = self.paths(key);
        let Ok(record_bytes) = atomic::read_regular_file(&record_path) else { return Ok(false) };
        let valid = serde_json::from_slice::<Record>(&record_bytes).ok().filter(|r| r.format == FORMAT && r.key == key);
        let Some(record) = valid else {
            self.remove(key);
            return Ok(false);
        };
        let bytes = match atomic::read_regular_file(&zip) {
            Ok(bytes) if bytes.len() as u64 == record.size && hex(&Sha256::digest(&bytes)) == record.sha256 => bytes,
            // Missing, truncated or altered: never staged, and dropped.
            _ => {
                self.remove(key);
                return Ok(false);
            }
        };
        atomic::write_atomically::<std::io::Error>(dest, 0o644, |mut f| f.write_all(&bytes)).map_err(|e| {
            crate::errors::Error::Staging {
                action: e.step.to_string(),
                path: e.path,
                detail: e.cause.map_or_else(|io| io.to_string(), |io| io.to_string()),
            }
        })?;
        // Used now: the least recently used entries go first.
        let _ = fs::File::options()
            .append(true)
            .open(&record_path)
            .and_then(|f| f.set_modified(std::time::SystemTime::now()));
        Ok(true)
    }

    /// Files the zip at `zip` as the entry `key`. Best effort: a store that
    /// cannot be written only costs a build later. Prunes past the limit.
    pub fn put(&self, key: &str, zip: &Path) -> Result<()> {
        ensure_private(&self.base, &self.dir)?;
        let Ok(bytes) = atomic::read_regular_file(zip) else { return Ok(()) };
        let record = Record {
            format: FORMAT,
            key: key.to_string(),
            size: bytes.len() as u64,
            sha256: hex(&Sha256::digest(&bytes)),
        };
        let (zip_path, record_path) = self.paths(key);
        let write = |path: &Path, data: &[u8]| {
            atomic::write_atomically::<std::io::Error>(path, 0o600, |mut f| f.write_all(data))
        };
        if write(&zip_path, &bytes).is_err() {
            return Ok(());
        }
        let Ok(text) = serde_json::to_vec(&record) else { return Ok(()) };
        if write(&record_path, &text).is_err() {
            let _ = fs::remove_file(&zip_path);
            return Ok(());
        }
        self.prune();
        Ok(())
    }

    fn remove(&self, key: &str) {
        let (zip, record) = self.paths(key);
        let _ = fs::remove_file(record);
        let _ = fs::remove_file(zip);
    }

    /// Drops least recently used entries (by their record's mtime) until the
    /// store is under 80% of its limit.
    fn prune(&self) {
        let Ok(read) = fs::read_dir(&self.dir) else { return };
        let mut entries: Vec<(std::time::SystemTime, String, u64)> = Vec::new();
        let mut total = 0u64;
        for entry in read.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Ok(meta) = entry.metadata() else { continue };
            total += meta.len();
            if let Some(key) = name.strip_suffix(".json") {
                let zip_size = fs::metadata(self.dir.join(format!("{key}.zip"))).map(|m| m.len()).unwrap_or(0);
                entries.push((
                    meta.modified().unwrap_or(std::time::UNIX_EPOCH),
                    key.to_string(),
                    zip_size + meta.len(),
                ));
            }
        }
        if total <= self.max_bytes {
            return;
        }
        entries.sort();
        let target = self.max_bytes / 5 * 4;
        for (_, key, size) in entries {
            if total <= target {
                break;
            }
            self.remove(&key);
            total = total.saturating_sub(size);
        }
    }
}

/// The toolchain that builds in `cwd` with `env`: `rustc -vV` (as cargo
/// would run it: `RUSTC` honoured, rust-toolchain files seen from `cwd`),
/// remembered per (folder, environment) for the life of the process. `None`
/// when rustc cannot be run.
pub fn toolchain_identity(cwd: &Path, env: &[(String, String)]) -> Option<String> {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    type Known = Mutex<HashMap<(PathBuf, Vec<(String, String)>), Option<String>>>;
    static KNOWN: OnceLock<Known> = OnceLock::new();
    let key = (cwd.to_path_buf(), env.to_vec());
    let known = KNOWN.get_or_init(Default::default);
    if let Some(found) = known.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
        return found.clone();
    }
    let rustc = env
        .iter()
        .find(|(k, _)| k == "RUSTC")
        .map(|(_, v)| v.clone())
        .or_else(|| std::env::var("RUSTC").ok())
        .unwrap_or_else(|| "rustc".into());
    let found = std::process::Command::new(rustc)
        .arg("-vV")
        .current_dir(cwd)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(std::process::Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned());
    known.lock().unwrap_or_else(|e| e.into_inner()).insert(key, found.clone());
    found
}

/// Files a binary staged by Docker bundling: zipped as local bundling zips
/// it (`entry` in a deterministic zip), then stored as `key`.
pub fn put_binary(store: &AssetStore, key: &str, binary: &Path, entry: &str) -> Result<()> {
    ensure_private(&store.base, &store.dir)?;
    let zip = store.dir.join(format!(".{key}.staging.zip"));
    crate::artifact::write_asset_zip(binary, entry, None, &zip)?;
    let result = store.put(key, &zip);
    let _ = fs::remove_file(&zip);
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(dir: &Path, max_bytes: u64) -> AssetStore {
        AssetStore::at(dir.join("cache"), max_bytes)
    }

    fn zip_file(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
        let path = dir.join(name);
        fs::write(&path, bytes).unwrap();
        path
    }

    #[test]
    fn an_entry_comes_back_byte_for_byte() {
        let t = tempfile::tempdir().unwrap();
        let s = store(t.path(), DEFAULT_MAX_BYTES);
        let out = t.path().join("out.zip");
        assert!(!s.fetch("k1", &out).unwrap());
        s.put("k1", &zip_file(t.path(), "a.zip", b"zip bytes")).unwrap();
        assert!(s.fetch("k1", &out).unwrap());
        assert_eq!(fs::read(&out).unwrap(), b"zip bytes");
    }

    #[test]
    fn altered_or_truncated_entries_are_dropped_not_staged() {
        let t = tempfile::tempdir().unwrap();
        let s = store(t.path(), DEFAULT_MAX_BYTES);
        let out = t.path().join("out.zip");
        for damage in [b"zip bytEs".as_slice(), b"zip".as_slice()] {
            s.put("k", &zip_file(t.path(), "a.zip", b"zip bytes")).unwrap();
            fs::write(t.path().join("cache/assets/k.zip"), damage).unwrap();
            assert!(!s.fetch("k", &out).unwrap());
            assert!(!out.exists());
            assert!(!t.path().join("cache/assets/k.json").exists(), "the damaged entry is gone");
        }
        // A record without its zip, or a record for another key, is no entry either.
        s.put("k", &zip_file(t.path(), "a.zip", b"zip bytes")).unwrap();
        fs::remove_file(t.path().join("cache/assets/k.zip")).unwrap();
        assert!(!s.fetch("k", &out).unwrap());
        s.put("other", &zip_file(t.path(), "a.zip", b"zip bytes")).unwrap();
        fs::copy(t.path().join("cache/assets/other.json"), t.path().join("cache/assets/k.json")).unwrap();
        fs::copy(t.path().join("cache/assets/other.zip"), t.path().join("cache/assets/k.zip")).unwrap();
        assert!(!s.fetch("k", &out).unwrap());
    }

    #[test]
    fn past_the_limit_the_least_recently_used_go() {
        let t = tempfile::tempdir().unwrap();
        let s = store(t.path(), 4000);
        let big = vec![7u8; 1000];
        for key in ["old", "used", "new"] {
            s.put(key, &zip_file(t.path(), "a.zip", &big)).unwrap();
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        assert!(s.fetch("old", &t.path().join("o.zip")).unwrap(), "touches `old`: now the most recently used");
        std::thread::sleep(std::time::Duration::from_millis(20));
        s.put("newest", &zip_file(t.path(), "a.zip", &big)).unwrap();
        let left: Vec<bool> = ["old", "used", "new", "newest"]
            .iter()
            .map(|k| t.path().join(format!("cache/assets/{k}.json")).exists())
            .collect();
        assert_eq!(left, [true, false, false, true], "under 80% of 4000 bytes: the two least recently used went");
    }

    #[test]
    fn keys_change_with_each_part() {
        let k = |f: &str, r: &str, t: &str| {
            StoreKey { fingerprint: f.into(), runtime: r.into(), toolchain: t.into() }.digest()
        };
        let base = k("f", "provided.al2023", "rustc 1.95");
        assert_ne!(base, k("g", "provided.al2023", "rustc 1.95"));
        assert_ne!(base, k("f", "provided.al2", "rustc 1.95"));
        assert_ne!(base, k("f", "provided.al2023", "rustc 1.96"));
        assert_ne!(k("ab", "c", "d"), k("a", "bc", "d"), "length-prefixed");
    }
}

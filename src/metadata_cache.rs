//! A disk cache of what `cargo metadata --no-deps` said about a workspace, so
//! a synth with nothing changed starts no cargo process at all.
//!
//! An entry is used only while everything that can change cargo's answer is
//! as it was: every manifest of the workspace (mtime and size), every
//! `.cargo/config[.toml]` cargo would read (from the workspace root up, and in
//! CARGO_HOME; a new one counts too), the build environment and the
//! process's `CARGO_*` / `RUSTUP_*` variables (part of the entry's name).
//! Anything else is a miss, and cargo is asked again.

use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::metadata::{PackageInfo, WorkspaceInfo};

const FORMAT: u64 = 1;

/// The package's cache folder: `explicit` (`$CDK_LAMBDA_RUST_CACHE_DIR`),
/// else `<xdg>/cdk-lambda-rust` for an absolute `$XDG_CACHE_HOME`, else
/// `<home>/.cache/cdk-lambda-rust`. The metadata cache and the Docker cargo
/// cache both live below it. Values come in as arguments so the construct can
/// pass the environment its JavaScript sees.
pub fn cache_base(explicit: Option<&str>, xdg: Option<&str>, home: Option<&str>) -> Option<PathBuf> {
    let given = |v: Option<&str>| v.filter(|v| !v.is_empty()).map(PathBuf::from);
    given(explicit)
        .or_else(|| given(xdg).filter(|p| p.is_absolute()).map(|p| p.join("cdk-lambda-rust")))
        .or_else(|| given(home).map(|h| h.join(".cache").join("cdk-lambda-rust")))
}

/// Where metadata entries go, from this process's environment.
pub fn default_dir() -> Option<PathBuf> {
    let var = |k: &str| std::env::var(k).ok();
    cache_base(var("CDK_LAMBDA_RUST_CACHE_DIR").as_deref(), var("XDG_CACHE_HOME").as_deref(), var("HOME").as_deref())
        .map(|base| base.join("metadata"))
}

/// The entry's file: a digest of the manifest, the build environment and the
/// process variables cargo reads.
fn entry_path(dir: &Path, manifest: &Path, env: &[(String, String)]) -> PathBuf {
    let mut h = Sha256::new();
    h.update(manifest.as_os_str().as_encoded_bytes());
    let mut process: Vec<(String, String)> = std::env::vars()
        .filter(|(k, _)| k.starts_with("CARGO") || k.starts_with("RUSTUP") || k == "RUSTC" || k == "PATH")
        .collect();
    process.sort();
    for (k, v) in env.iter().chain([("--".to_string(), "--".to_string())].iter()).chain(process.iter()) {
        h.update((k.len() as u64).to_le_bytes());
        h.update(k.as_bytes());
        h.update((v.len() as u64).to_le_bytes());
        h.update(v.as_bytes());
    }
    let name: String = h.finalize().iter().take(16).map(|b| format!("{b:02x}")).collect();
    dir.join(format!("{name}.json"))
}

/// The files whose change invalidates an entry for `info`.
fn watched_files(manifest: &Path, info: &WorkspaceInfo) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = info.members.iter().map(|p| p.manifest_path.clone()).collect();
    files.push(info.root_manifest());
    files.push(manifest.to_path_buf());
    let mut dir = Some(info.workspace_root.as_path());
    while let Some(d) = dir {
        files.push(d.join(".cargo").join("config.toml"));
        files.push(d.join(".cargo").join("config"));
        dir = d.parent();
    }
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")));
    if let Some(home) = cargo_home {
        files.push(home.join("config.toml"));
        files.push(home.join("config"));
    }
    files.sort();
    files.dedup();
    files
}

/// (mtime in ns, size), or null for a missing file.
fn stamp(path: &Path) -> Value {
    match std::fs::metadata(path) {
        Ok(m) => {
            let ns = m.modified().ok().and_then(|t| t.duration_since(UNIX_EPOCH).ok()).map(|d| d.as_nanos() as u64);
            json!([ns, m.len()])
        }
        Err(_) => Value::Null,
    }
}

fn path_text(p: &Path) -> Option<&str> {
    p.to_str()
}

/// The cached answer for `manifest`, when every watched file is as it was.
pub fn load(dir: &Path, manifest: &Path, env: &[(String, String)]) -> Option<WorkspaceInfo> {
    let text = std::fs::read_to_string(entry_path(dir, manifest, env)).ok()?;
    let entry: Value = serde_json::from_str(&text).ok()?;
    if entry["format"].as_u64() != Some(FORMAT) {
        return None;
    }
    for watched in entry["watched"].as_array()? {
        let path = Path::new(watched[0].as_str()?);
        if stamp(path) != watched[1] {
            return None;
        }
    }
    let ws = &entry["workspace"];
    let strings = |v: &Value| -> Option<Vec<String>> { v.as_array()?.iter().map(|s| s.as_str().map(String::from)).collect() };
    let members = ws["members"]
        .as_array()?
        .iter()
        .map(|m| {
            Some(PackageInfo {
                name: m["name"].as_str()?.to_string(),
                manifest_path: PathBuf::from(m["manifest_path"].as_str()?),
                bins: strings(&m["bins"])?,
                has_lib: m["has_lib"].as_bool()?,
                path_deps: strings(&m["path_deps"])?.into_iter().map(PathBuf::from).collect(),
                is_lambda: m["is_lambda"].as_bool()?,
            })
        })
        .collect::<Option<Vec<_>>>()?;
    Some(WorkspaceInfo {
        workspace_root: PathBuf::from(ws["workspace_root"].as_str()?),
        target_directory: PathBuf::from(ws["target_directory"].as_str()?),
        members,
    })
}

/// Files `info` as the answer for `manifest`. Best effort: a cache that cannot
/// be written (read-only home, non-UTF-8 paths) only costs a cargo call later.
pub fn store(dir: &Path, manifest: &Path, env: &[(String, String)], info: &WorkspaceInfo) {
    let Some(entry) = encode(manifest, info) else { return };
    if std::fs::create_dir_all(dir).is_err() {
        return;
    }
    prune(dir);
    let target = entry_path(dir, manifest, env);
    let temp = target.with_extension(format!("tmp-{}", std::process::id()));
    if std::fs::write(&temp, entry.to_string()).is_ok() && std::fs::rename(&temp, &target).is_ok() {
        return;
    }
    let _ = std::fs::remove_file(&temp);
}

fn encode(manifest: &Path, info: &WorkspaceInfo) -> Option<Value> {
    let watched = watched_files(manifest, info)
        .iter()
        .map(|p| Some(json!([path_text(p)?, stamp(p)])))
        .collect::<Option<Vec<_>>>()?;
    let members = info
        .members
        .iter()
        .map(|m| {
            Some(json!({
                "name": m.name,
                "manifest_path": path_text(&m.manifest_path)?,
                "bins": m.bins,
                "has_lib": m.has_lib,
                "path_deps": m.path_deps.iter().map(|p| path_text(p)).collect::<Option<Vec<_>>>()?,
                "is_lambda": m.is_lambda,
            }))
        })
        .collect::<Option<Vec<_>>>()?;
    Some(json!({
        "format": FORMAT,
        "watched": watched,
        "workspace": {
            "workspace_root": path_text(&info.workspace_root)?,
            "target_directory": path_text(&info.target_directory)?,
            "members": members,
        },
    }))
}

/// Keeps the cache small: past `MAX_ENTRIES`, the least recently written
/// half goes (temporary workspaces, such as test runs', leave entries behind).
const MAX_ENTRIES: usize = 1000;

fn prune(dir: &Path) {
    let Ok(read) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<(std::time::SystemTime, PathBuf)> = read
        .filter_map(|e| e.ok())
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .collect();
    if entries.len() <= MAX_ENTRIES {
        return;
    }
    entries.sort();
    for (_, path) in entries.iter().take(entries.len() / 2) {
        let _ = std::fs::remove_file(path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_base_prefers_the_explicit_folder_then_xdg_then_home() {
        let base = |e, x, h| cache_base(e, x, h).map(|p| p.to_string_lossy().into_owned());
        assert_eq!(base(Some("/c"), Some("/x"), Some("/h")).as_deref(), Some("/c"));
        assert_eq!(base(None, Some("/x"), Some("/h")).as_deref(), Some("/x/cdk-lambda-rust"));
        assert_eq!(base(Some(""), Some("relative"), Some("/h")).as_deref(), Some("/h/.cache/cdk-lambda-rust"));
        assert_eq!(base(None, None, None), None);
    }
}

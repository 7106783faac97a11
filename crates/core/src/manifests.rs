//! Reading a workspace from its manifests, for machines without cargo (a
//! Node-only CI job running snapshot tests, a Docker-only machine). It gives
//! what `cargo metadata --no-deps` gives for the same files, field for field
//! (a test compares both on every fixture), so hashes agree; where cargo is
//! installed, cargo stays the source of truth.
//!
//! Covered, as cargo does it: the workspace root (a `[workspace]` above the
//! package that lists it, `package.workspace`, `exclude`), members (globs in
//! `members`, the root package, path dependencies inside the root), binary
//! targets (`[[bin]]`, `src/main.rs`, `src/bin/*.rs`, `src/bin/*/main.rs`,
//! `autobins`), libraries, path dependencies (also through
//! `workspace = true` and `[target.*]` tables), Lambda detection, and the
//! target directory (`CARGO_TARGET_DIR`, `CARGO_BUILD_TARGET_DIR`,
//! `build.target-dir` in `.cargo/config.toml` from the root up and in
//! `CARGO_HOME`).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use toml::{Table, Value};

use crate::entry::absolute;
use crate::errors::{Error, Result};
use crate::metadata::{MetadataReader, PackageInfo, WorkspaceInfo, LAMBDA_RUNTIME_CRATES};

/// Reads manifests with a TOML parser instead of running cargo.
pub struct ManifestReader;

impl MetadataReader for ManifestReader {
    fn read(&self, manifest: &Path, cwd: &Path, env: &[(String, String)]) -> Result<WorkspaceInfo> {
        read_workspace(manifest, cwd, env)
    }

    fn create_lockfile(&self, _workspace_root: &Path, _env: &[(String, String)]) -> Result<()> {
        Err(Error::CargoMissing)
    }
}

fn parse(manifest: &Path) -> Result<Table> {
    let text = std::fs::read_to_string(manifest).map_err(|e| Error::ManifestInvalid {
        manifest: manifest.to_path_buf(),
        cargo_says: format!("failed to read `{}`: {e}", manifest.display()),
        outside_workspace: None,
    })?;
    text.parse::<Table>().map_err(|e| Error::ManifestInvalid {
        manifest: manifest.to_path_buf(),
        cargo_says: format!("failed to parse manifest at `{}`: {e}", manifest.display()),
        outside_workspace: None,
    })
}

fn table<'a>(t: &'a Table, key: &str) -> Option<&'a Table> {
    t.get(key).and_then(Value::as_table)
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|s| s.as_str().map(String::from)).collect())
        .unwrap_or_default()
}

fn dir_of(manifest: &Path) -> PathBuf {
    manifest.parent().map(Path::to_path_buf).unwrap_or_default()
}

pub fn read_workspace(manifest: &Path, cwd: &Path, env: &[(String, String)]) -> Result<WorkspaceInfo> {
    let manifest = absolute(cwd, manifest);
    let own = parse(&manifest)?;
    let root_manifest = find_root(&manifest, &own)?;
    let root_toml = if root_manifest == manifest { own } else { parse(&root_manifest)? };
    let mut members = collect_members(&root_manifest, &root_toml, &manifest)?;
    // cargo orders packages by name (then version and source).
    members.sort_by(|a, b| a.name.cmp(&b.name).then(a.manifest_path.cmp(&b.manifest_path)));
    let root = dir_of(&root_manifest);
    Ok(WorkspaceInfo { target_directory: target_directory(&root, cwd, env), workspace_root: root, members })
}

/// The members of the workspace rooted at `root_manifest`: the root package,
/// the folders `members` matches (less `exclude`), and path dependencies
/// inside the root, transitively. Without a `[workspace]` table, `manifest`
/// alone.
fn collect_members(root_manifest: &Path, root_toml: &Table, manifest: &Path) -> Result<Vec<PackageInfo>> {
    let root = dir_of(root_manifest);
    let workspace = table(root_toml, "workspace").cloned().unwrap_or_default();
    let is_workspace = root_toml.contains_key("workspace");
    let excluded: Vec<PathBuf> =
        strings(workspace.get("exclude")).iter().map(|e| absolute(&root, Path::new(e))).collect();
    let is_excluded = |dir: &Path| excluded.iter().any(|x| dir.starts_with(x));
    let mut queue: Vec<PathBuf> = Vec::new();
    if root_toml.contains_key("package") {
        queue.push(root_manifest.to_path_buf());
    }
    if is_workspace {
        for pattern in strings(workspace.get("members")) {
            let globbed = pattern.contains(['*', '?']);
            for dir in expand_glob(&root, &pattern) {
                if globbed && is_excluded(&dir) {
                    continue;
                }
                let m = dir.join("Cargo.toml");
                if !m.is_file() {
                    return Err(Error::ManifestInvalid {
                        manifest: manifest.to_path_buf(),
                        cargo_says: format!(
                            "failed to load manifest for workspace member `{}`\nreferenced by workspace at `{}`",
                            dir.display(),
                            root_manifest.display()
                        ),
                        outside_workspace: None,
                    });
                }
                queue.push(m);
            }
        }
    } else {
        queue.push(manifest.to_path_buf());
    }
    let mut members: Vec<PackageInfo> = Vec::new();
    let mut seen: BTreeSet<PathBuf> = BTreeSet::new();
    while let Some(m) = queue.pop() {
        if !seen.insert(m.clone()) {
            continue;
        }
        let toml = if m == root_manifest { root_toml.clone() } else { parse(&m)? };
        if !toml.contains_key("package") {
            continue;
        }
        let info = package_info(&m, &toml, root_toml, &root)?;
        if is_workspace {
            for dep in &info.path_deps {
                if dep.starts_with(&root) && !is_excluded(dep) {
                    queue.push(dep.join("Cargo.toml"));
                }
            }
        }
        members.push(info);
    }
    Ok(members)
}

/// The workspace root manifest for `manifest`, as cargo finds it.
fn find_root(manifest: &Path, own: &Table) -> Result<PathBuf> {
    if own.contains_key("workspace") {
        return Ok(manifest.to_path_buf());
    }
    let package_dir = dir_of(manifest);
    if let Some(explicit) = table(own, "package").and_then(|p| p.get("workspace")).and_then(Value::as_str) {
        return Ok(absolute(&package_dir, Path::new(explicit)).join("Cargo.toml"));
    }
    let mut dir = package_dir.parent();
    while let Some(d) = dir {
        let candidate = d.join("Cargo.toml");
        if candidate.is_file() {
            let toml = parse(&candidate)?;
            if let Some(ws) = table(&toml, "workspace") {
                let excluded =
                    strings(ws.get("exclude")).iter().any(|e| package_dir.starts_with(absolute(d, Path::new(e))));
                if excluded {
                    return Ok(manifest.to_path_buf());
                }
                let listed = collect_members(&candidate, &toml, manifest)
                    .map(|members| members.iter().any(|m| m.manifest_path == manifest))
                    .unwrap_or(false);
                if listed {
                    return Ok(candidate);
                }
                let cargo_says = format!(
                    "current package believes it's in a workspace when it's not:\ncurrent:   {}\nworkspace: {}",
                    manifest.display(),
                    candidate.display()
                );
                let relative = crate::metadata::relative_inside(d, &package_dir);
                return Err(Error::ManifestInvalid {
                    manifest: manifest.to_path_buf(),
                    cargo_says,
                    outside_workspace: Some((candidate, relative)),
                });
            }
        }
        dir = d.parent();
    }
    Ok(manifest.to_path_buf())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum DepKind {
    Normal,
    Build,
    Dev,
}

/// `[dependencies]`, `[build-dependencies]` and `[dev-dependencies]` (also
/// under `[target.<cfg>]`), each with its kind.
fn dependency_tables(toml: &Table) -> impl Iterator<Item = (DepKind, &Table)> {
    let kinds = [
        ("dependencies", DepKind::Normal),
        ("build-dependencies", DepKind::Build),
        ("build_dependencies", DepKind::Build),
        ("dev-dependencies", DepKind::Dev),
        ("dev_dependencies", DepKind::Dev),
    ];
    let top = kinds.into_iter().filter_map(move |(k, kind)| table(toml, k).map(|t| (kind, t)));
    let targets = table(toml, "target").into_iter().flat_map(|t| t.values()).filter_map(Value::as_table);
    let nested =
        targets.flat_map(move |t| kinds.into_iter().filter_map(move |(k, kind)| table(t, k).map(|d| (kind, d))));
    top.chain(nested)
}

fn package_info(manifest: &Path, toml: &Table, root_toml: &Table, root: &Path) -> Result<PackageInfo> {
    let dir = dir_of(manifest);
    let package = table(toml, "package").cloned().unwrap_or_default();
    let name = package.get("name").and_then(Value::as_str).ok_or_else(|| Error::ManifestInvalid {
        manifest: manifest.to_path_buf(),
        cargo_says: "missing field `name`".into(),
        outside_workspace: None,
    })?;
    let workspace_deps = table(root_toml, "workspace").and_then(|w| table(w, "dependencies"));
    let mut path_deps = Vec::new();
    let mut is_lambda = table(&package, "metadata").is_some_and(|m| m.contains_key("lambda"));
    for (kind, deps) in dependency_tables(toml) {
        for (key, spec) in deps {
            let spec_table = spec.as_table();
            let inherited = spec_table.and_then(|t| t.get("workspace")).and_then(Value::as_bool) == Some(true);
            let from_workspace =
                if inherited { workspace_deps.and_then(|w| w.get(key)).and_then(Value::as_table) } else { None };
            let package_name = spec_table
                .and_then(|t| t.get("package"))
                .or_else(|| from_workspace.and_then(|t| t.get("package")))
                .and_then(Value::as_str)
                .unwrap_or(key);
            if kind == DepKind::Dev {
                continue;
            }
            if kind == DepKind::Normal && LAMBDA_RUNTIME_CRATES.contains(&package_name) {
                is_lambda = true;
            }
            let path = match (spec_table.and_then(|t| t.get("path")).and_then(Value::as_str), from_workspace) {
                (Some(p), _) => Some(absolute(&dir, Path::new(p))),
                (None, Some(w)) => w.get("path").and_then(Value::as_str).map(|p| absolute(root, Path::new(p))),
                _ => None,
            };
            if let Some(p) = path {
                path_deps.push(p);
            }
        }
    }
    Ok(PackageInfo {
        name: name.to_string(),
        manifest_path: manifest.to_path_buf(),
        bins: binaries(&dir, name, toml),
        has_lib: toml.contains_key("lib") || dir.join("src/lib.rs").is_file(),
        path_deps,
        is_lambda,
    })
}

/// Binary target names: `[[bin]]` entries, then those cargo discovers.
fn binaries(dir: &Path, package: &str, toml: &Table) -> Vec<String> {
    let mut names: Vec<String> = toml
        .get("bin")
        .and_then(Value::as_array)
        .map(|bins| bins.iter().filter_map(|b| b.get("name").and_then(Value::as_str).map(String::from)).collect())
        .unwrap_or_default();
    let autobins = table(toml, "package").and_then(|p| p.get("autobins")).and_then(Value::as_bool) != Some(false);
    if autobins {
        let mut found = Vec::new();
        if dir.join("src/main.rs").is_file() {
            found.push(package.to_string());
        }
        if let Ok(entries) = std::fs::read_dir(dir.join("src/bin")) {
            let mut discovered: Vec<String> = entries
                .filter_map(|e| e.ok())
                .filter_map(|e| {
                    let path = e.path();
                    let stem = path.file_stem()?.to_string_lossy().into_owned();
                    if path.is_file() && path.extension().is_some_and(|x| x == "rs") {
                        Some(stem)
                    } else if path.join("main.rs").is_file() {
                        Some(e.file_name().to_string_lossy().into_owned())
                    } else {
                        None
                    }
                })
                .collect();
            discovered.sort();
            found.extend(discovered);
        }
        for name in found {
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    names
}

/// Folders under `root` matching a `members` pattern (`*`, `?` within one
/// path component), sorted.
fn expand_glob(root: &Path, pattern: &str) -> Vec<PathBuf> {
    let mut current = vec![root.to_path_buf()];
    for part in pattern.split('/').filter(|p| !p.is_empty() && *p != ".") {
        let mut next = Vec::new();
        for dir in &current {
            if part == ".." {
                next.push(dir.parent().map(Path::to_path_buf).unwrap_or_default());
            } else if part.contains(['*', '?', '[']) {
                if let Ok(entries) = std::fs::read_dir(dir) {
                    let mut matched: Vec<PathBuf> = entries
                        .filter_map(|e| e.ok())
                        .filter(|e| e.path().is_dir() && wildcard(part, &e.file_name().to_string_lossy()))
                        .map(|e| e.path())
                        .collect();
                    matched.sort();
                    next.extend(matched);
                }
            } else {
                next.push(dir.join(part));
            }
        }
        current = next;
    }
    current.into_iter().map(|p| absolute(Path::new("/"), &p)).collect()
}

/// `*` and `?` wildcards (a `[` class is taken literally: rare in members).
fn wildcard(pattern: &str, name: &str) -> bool {
    fn go(p: &[char], n: &[char]) -> bool {
        match (p.first(), n.first()) {
            (None, None) => true,
            (Some('*'), _) => go(&p[1..], n) || (!n.is_empty() && go(p, &n[1..])),
            (Some('?'), Some(_)) => go(&p[1..], &n[1..]),
            (Some(a), Some(b)) if a == b => go(&p[1..], &n[1..]),
            _ => false,
        }
    }
    let (p, n): (Vec<char>, Vec<char>) = (pattern.chars().collect(), name.chars().collect());
    go(&p, &n)
}

/// cargo's target directory for a build run from `cwd` (the workspace root).
fn target_directory(root: &Path, cwd: &Path, env: &[(String, String)]) -> PathBuf {
    let var = |k: &str| {
        env.iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
            .or_else(|| std::env::var(k).ok())
            .filter(|v| !v.is_empty())
    };
    if let Some(dir) = var("CARGO_TARGET_DIR").or_else(|| var("CARGO_BUILD_TARGET_DIR")) {
        return absolute(cwd, Path::new(&dir));
    }
    let mut configs: Vec<PathBuf> = Vec::new();
    let mut dir = Some(cwd);
    while let Some(d) = dir {
        configs.push(d.join(".cargo"));
        dir = d.parent();
    }
    let home = var("CARGO_HOME").map(PathBuf::from).or_else(|| var("HOME").map(|h| PathBuf::from(h).join(".cargo")));
    configs.extend(home);
    for cargo_dir in configs {
        for name in ["config.toml", "config"] {
            let file = cargo_dir.join(name);
            let Ok(text) = std::fs::read_to_string(&file) else { continue };
            let Ok(toml) = text.parse::<Table>() else { continue };
            if let Some(dir) = table(&toml, "build").and_then(|b| b.get("target-dir")).and_then(Value::as_str) {
                // Relative to the folder holding `.cargo`.
                let base = cargo_dir.parent().unwrap_or(Path::new("/"));
                return absolute(base, Path::new(dir));
            }
            break;
        }
    }
    root.join("target")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_globs_match_one_component() {
        assert!(wildcard("*", "alpha"));
        assert!(wildcard("a?pha", "alpha"));
        assert!(wildcard("*-fn", "my-fn"));
        assert!(!wildcard("*-fn", "my-fn2"));
    }
}

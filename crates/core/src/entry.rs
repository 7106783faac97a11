//! Entry resolution: which Cargo.toml a function comes from, and which binary
//! target of its workspace it runs.
//!
//! Manifest search order, first hit wins:
//! 1. `entry`, when given: a `Cargo.toml` file, or a folder holding one
//!    (relative paths are taken from the working directory);
//! 2. `<defining file without extension>.<construct id>/Cargo.toml`;
//! 3. the nearest `Cargo.toml` walking up from the defining file's folder;
//! 4. `Cargo.toml` in the working directory.
//!
//! When no defining file is known (Python, Java, .NET and Go apps through
//! jsii, where the caller's file is invisible to JavaScript), rules 2 and 3
//! give way to `<working directory>/<construct id>/Cargo.toml`.

use std::path::{Path, PathBuf};

use crate::errors::{Error, Result};
use crate::metadata::{PackageInfo, WorkspaceInfo};

#[derive(Debug, Clone, Default)]
pub struct EntryRequest {
    pub defining_file: Option<PathBuf>,
    pub id: Option<String>,
    pub entry: Option<PathBuf>,
    pub cwd: PathBuf,
}

/// Finds the manifest for a function, or says every place it looked.
pub fn find_manifest(req: &EntryRequest) -> Result<PathBuf> {
    if let Some(entry) = &req.entry {
        return manifest_from_entry(&absolute(&req.cwd, entry));
    }
    let mut looked_at = Vec::new();
    if let Some(defining_file) = &req.defining_file {
        let defining_file = absolute(&req.cwd, defining_file);
        if let (Some(id), Some(dir), Some(stem)) = (&req.id, defining_file.parent(), defining_file.file_stem()) {
            let conventional = dir.join(format!("{}.{id}", stem.to_string_lossy())).join("Cargo.toml");
            if conventional.is_file() {
                return Ok(conventional);
            }
            looked_at.push(conventional);
        }
        let mut dir = defining_file.parent();
        while let Some(d) = dir {
            let candidate = d.join("Cargo.toml");
            if candidate.is_file() {
                return Ok(candidate);
            }
            dir = d.parent();
        }
        if let Some(d) = defining_file.parent() {
            looked_at.push(d.join("Cargo.toml (and every parent folder)"));
        }
    } else if let Some(id) = &req.id {
        let by_id = req.cwd.join(id).join("Cargo.toml");
        if by_id.is_file() {
            return Ok(by_id);
        }
        looked_at.push(by_id);
    }
    let in_cwd = req.cwd.join("Cargo.toml");
    if in_cwd.is_file() {
        return Ok(in_cwd);
    }
    looked_at.push(in_cwd);
    Err(Error::EntryNotFound { looked_at: looked_at.iter().map(|p| p.display().to_string()).collect() })
}

fn manifest_from_entry(entry: &Path) -> Result<PathBuf> {
    if entry.is_dir() {
        let manifest = entry.join("Cargo.toml");
        if manifest.is_file() {
            return Ok(manifest);
        }
        return Err(Error::EntryFolderWithoutManifest { folder: entry.to_path_buf() });
    }
    if entry.is_file() {
        if entry.file_name().is_some_and(|n| n == "Cargo.toml") {
            return Ok(entry.to_path_buf());
        }
        return Err(Error::EntryNotAManifest { file: entry.to_path_buf() });
    }
    Err(Error::EntryMissing { entry: entry.to_path_buf() })
}

/// Joins `path` onto `cwd` when relative, and removes `.` and `..` lexically
/// so messages and cache keys show one spelling per path.
pub fn absolute(cwd: &Path, path: &Path) -> PathBuf {
    let joined = if path.is_absolute() { path.to_path_buf() } else { cwd.join(path) };
    let mut out = PathBuf::new();
    for part in joined.components() {
        match part {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// Cargo accepts target names made of letters, digits, `-` and `_`. Anything
/// else cannot name a binary, and refusing it early keeps odd values (spaces,
/// quotes, `$(...)`) out of every command line.
pub fn validate_binary_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && !name.starts_with('-')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !ok {
        return Err(Error::InvalidBinaryName { name: name.to_string() });
    }
    if RESERVED_BINARY_NAMES.contains(&name) {
        return Err(Error::ReservedBinaryName { name: name.to_string() });
    }
    Ok(())
}

/// Names cargo refuses for a binary target: they are folders of its target
/// directory.
pub const RESERVED_BINARY_NAMES: [&str; 4] = ["build", "deps", "examples", "incremental"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    pub package: PackageInfo,
    pub binary: String,
}

/// Picks the binary target to build. With `binary_name`, it is searched in
/// the entry's own package first, then in every member of the workspace.
/// Without it, the entry package's binary named like the package wins, else
/// its only binary.
pub fn select_binary(ws: &WorkspaceInfo, manifest: &Path, binary_name: Option<&str>) -> Result<Selection> {
    let entry_package = ws.member_by_manifest(manifest);
    match binary_name {
        Some(name) => {
            validate_binary_name(name)?;
            if let Some(pkg) = entry_package.filter(|p| p.bins.iter().any(|b| b == name)) {
                return Ok(Selection { package: pkg.clone(), binary: name.to_string() });
            }
            let owners: Vec<&PackageInfo> = ws.members.iter().filter(|p| p.bins.iter().any(|b| b == name)).collect();
            match owners.as_slice() {
                [only] => Ok(Selection { package: (*only).clone(), binary: name.to_string() }),
                [] => Err(Error::UnknownBinary {
                    name: name.to_string(),
                    workspace_root: ws.workspace_root.clone(),
                    binaries: list_binaries(ws),
                }),
                many => Err(Error::BinaryInSeveralPackages {
                    name: name.to_string(),
                    packages: many.iter().map(|p| p.name.clone()).collect(),
                }),
            }
        }
        None => {
            let Some(pkg) = entry_package else {
                return Err(Error::VirtualWorkspace { manifest: manifest.to_path_buf(), binaries: list_binaries(ws) });
            };
            if let Some(bin) = pkg.bins.iter().find(|b| **b == pkg.name) {
                return Ok(Selection { package: pkg.clone(), binary: bin.clone() });
            }
            match pkg.bins.as_slice() {
                [only] => Ok(Selection { package: pkg.clone(), binary: only.clone() }),
                [] => Err(Error::LibraryOnly { package: pkg.name.clone(), manifest: pkg.manifest_path.clone() }),
                bins => Err(Error::SeveralBinaries { package: pkg.name.clone(), binaries: bins.to_vec() }),
            }
        }
    }
}

fn list_binaries(ws: &WorkspaceInfo) -> String {
    let lines: Vec<String> = ws
        .members
        .iter()
        .filter(|p| !p.bins.is_empty())
        .map(|p| format!("  - {}: {}", p.name, p.bins.join(", ")))
        .collect();
    if lines.is_empty() {
        "  (none: no member of this workspace has a binary target)".to_string()
    } else {
        lines.join("\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::errors::ErrorCode;

    fn touch(path: &Path) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, "").unwrap();
    }

    fn request(defining_file: &Path, id: &str, cwd: &Path) -> EntryRequest {
        EntryRequest { defining_file: Some(defining_file.into()), id: Some(id.into()), entry: None, cwd: cwd.into() }
    }

    #[test]
    fn convention_then_walk_up_then_cwd() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        let defining = root.join("app/lib/stack.ts");
        touch(&defining);
        let cwd = root.join("cwd");
        touch(&cwd.join("Cargo.toml"));
        // Nothing near the defining file: the working directory's manifest.
        assert_eq!(find_manifest(&request(&defining, "fn", &cwd)).unwrap(), cwd.join("Cargo.toml"));
        // A manifest above the defining file wins over the working directory.
        touch(&root.join("app/Cargo.toml"));
        assert_eq!(find_manifest(&request(&defining, "fn", &cwd)).unwrap(), root.join("app/Cargo.toml"));
        // The `<file>.<id>` convention wins over both.
        let conventional = root.join("app/lib/stack.fn/Cargo.toml");
        touch(&conventional);
        assert_eq!(find_manifest(&request(&defining, "fn", &cwd)).unwrap(), conventional);
    }

    #[test]
    fn without_a_defining_file_the_id_names_a_folder_of_the_working_directory() {
        let tmp = tempfile::tempdir().unwrap();
        let req = EntryRequest { id: Some("orders".into()), cwd: tmp.path().into(), ..Default::default() };
        let err = find_manifest(&req).unwrap_err();
        assert!(err.message().contains("orders/Cargo.toml"), "{err}");
        touch(&tmp.path().join("Cargo.toml"));
        assert_eq!(find_manifest(&req).unwrap(), tmp.path().join("Cargo.toml"));
        touch(&tmp.path().join("orders/Cargo.toml"));
        assert_eq!(find_manifest(&req).unwrap(), tmp.path().join("orders/Cargo.toml"));
    }

    #[test]
    fn not_found_lists_every_place_looked() {
        let tmp = tempfile::tempdir().unwrap();
        let defining = tmp.path().join("lib/stack.js");
        touch(&defining);
        let err = find_manifest(&request(&defining, "my_function", &tmp.path().join("cwd"))).unwrap_err();
        assert_eq!(err.code(), ErrorCode::EntryNotFound);
        assert!(err.message().contains("lib/stack.my_function/Cargo.toml"), "{}", err.message());
        assert!(err.message().contains("cwd/Cargo.toml"), "{}", err.message());
    }

    #[test]
    fn entry_may_be_a_manifest_or_its_folder() {
        let tmp = tempfile::tempdir().unwrap();
        let manifest = tmp.path().join("crate/Cargo.toml");
        touch(&manifest);
        let req =
            |entry: &str| EntryRequest { entry: Some(entry.into()), cwd: tmp.path().into(), ..Default::default() };
        assert_eq!(find_manifest(&req("crate")).unwrap(), manifest);
        assert_eq!(find_manifest(&req("./crate/../crate/Cargo.toml")).unwrap(), manifest);
        touch(&tmp.path().join("empty/README"));
        assert_eq!(find_manifest(&req("empty")).unwrap_err().code(), ErrorCode::EntryNotFound);
        assert_eq!(find_manifest(&req("empty/README")).unwrap_err().code(), ErrorCode::InvalidEntry);
        assert_eq!(find_manifest(&req("missing")).unwrap_err().code(), ErrorCode::EntryNotFound);
    }

    #[test]
    fn binary_names_cargo_would_refuse_are_refused() {
        for ok in ["my_fn", "my-fn", "Fn2"] {
            validate_binary_name(ok).unwrap();
        }
        for bad in ["", "-x", "a b", "$(touch x)", "a;b", "a\nb", "../x", "caf\u{e9}"] {
            assert_eq!(validate_binary_name(bad).unwrap_err().code(), ErrorCode::InvalidOption, "{bad:?}");
        }
    }

    fn package(name: &str, bins: &[&str]) -> PackageInfo {
        PackageInfo {
            name: name.into(),
            manifest_path: PathBuf::from(format!("/ws/{name}/Cargo.toml")),
            bins: bins.iter().map(|b| b.to_string()).collect(),
            has_lib: bins.is_empty(),
            path_deps: vec![],
            is_lambda: true,
        }
    }

    fn workspace(members: Vec<PackageInfo>) -> WorkspaceInfo {
        WorkspaceInfo { workspace_root: "/ws".into(), target_directory: "/ws/target".into(), members }
    }

    #[test]
    fn default_binary_is_the_one_named_like_the_package_else_the_only_one() {
        let ws = workspace(vec![package("api", &["api", "migrate"]), package("worker", &["run"])]);
        let pick = |m: &str| select_binary(&ws, Path::new(m), None).map(|s| s.binary);
        assert_eq!(pick("/ws/api/Cargo.toml").unwrap(), "api");
        assert_eq!(pick("/ws/worker/Cargo.toml").unwrap(), "run");
    }

    #[test]
    fn binary_name_prefers_the_entry_package_when_several_define_it() {
        let ws = workspace(vec![package("a", &["tool"]), package("b", &["tool"])]);
        let sel = select_binary(&ws, Path::new("/ws/b/Cargo.toml"), Some("tool")).unwrap();
        assert_eq!(sel.package.name, "b");
        let err = select_binary(&ws, Path::new("/ws/Cargo.toml"), Some("tool")).unwrap_err();
        assert_eq!(err.code(), ErrorCode::AmbiguousBinary);
        assert!(err.message().contains("a, b"), "{}", err.message());
    }

    #[test]
    fn library_only_and_multi_binary_packages_need_a_choice() {
        let ws = workspace(vec![package("lib", &[]), package("multi", &["x", "y"])]);
        let err = select_binary(&ws, Path::new("/ws/lib/Cargo.toml"), None).unwrap_err();
        assert_eq!(err.code(), ErrorCode::LibraryOnly);
        let err = select_binary(&ws, Path::new("/ws/multi/Cargo.toml"), None).unwrap_err();
        assert_eq!(err.code(), ErrorCode::AmbiguousBinary);
        assert!(err.message().contains("x, y"));
    }
}

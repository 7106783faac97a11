//! What cargo says about a workspace: members, their binary targets, their
//! path dependencies and cargo's real target directory. Read with
//! `cargo metadata --no-deps` (fast, never touches the network), cached for
//! the life of the process (N functions in one workspace cost one call) and on
//! disk (an unchanged synth costs none, see `metadata_cache`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::SystemTime;

use cargo_metadata::{DependencyKind, MetadataCommand, TargetKind};

use crate::errors::{CoreError, CoreResult, ErrorCode};
use crate::metadata_cache;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageInfo {
    pub name: String,
    pub manifest_path: PathBuf,
    /// Names of the package's binary targets, in cargo's order.
    pub bins: Vec<String>,
    pub has_lib: bool,
    /// Folders of path dependencies that feed the build (normal and build kinds).
    pub path_deps: Vec<PathBuf>,
    /// Whether the package looks like it holds Lambda functions: it depends
    /// on a Lambda runtime crate or has a `[package.metadata.lambda]` table
    /// (cargo-lambda's own configuration).
    pub is_lambda: bool,
}

/// Crates whose users are Lambda functions.
pub const LAMBDA_RUNTIME_CRATES: [&str; 4] = ["lambda_runtime", "lambda_http", "lambda-extension", "lambda_extension"];

impl PackageInfo {
    pub fn dir(&self) -> &Path {
        self.manifest_path.parent().unwrap_or(Path::new("/"))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkspaceInfo {
    pub workspace_root: PathBuf,
    pub target_directory: PathBuf,
    /// Workspace members, in cargo's order.
    pub members: Vec<PackageInfo>,
}

impl WorkspaceInfo {
    pub fn root_manifest(&self) -> PathBuf {
        self.workspace_root.join("Cargo.toml")
    }

    pub fn member_by_manifest(&self, manifest: &Path) -> Option<&PackageInfo> {
        self.members.iter().find(|p| p.manifest_path == manifest)
    }

    pub fn member_by_dir(&self, dir: &Path) -> Option<&PackageInfo> {
        self.members.iter().find(|p| p.dir() == dir)
    }
}

type CacheKey = (PathBuf, Vec<(String, String)>);

/// A workspace as read, with the mtimes of the manifests it was read from.
struct Cached {
    info: Arc<WorkspaceInfo>,
    stamps: Vec<(PathBuf, Option<SystemTime>)>,
}

fn cache() -> &'static Mutex<HashMap<CacheKey, Arc<Cached>>> {
    static CACHE: OnceLock<Mutex<HashMap<CacheKey, Arc<Cached>>>> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}

fn mtime(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// Reads the workspace that `manifest` belongs to, once per workspace for the
/// life of the process: the answer is also filed under the root's and every
/// member's manifest, so N functions of a workspace cost one `cargo metadata`.
/// `env` is the build environment (it can move the target directory), so it
/// is part of the key. An edit to any of the workspace's manifests (seen by
/// its mtime) makes cargo read it again.
pub fn load_workspace(manifest: &Path, env: &[(String, String)]) -> CoreResult<Arc<WorkspaceInfo>> {
    let key = (manifest.to_path_buf(), env.to_vec());
    let hit = cache().lock().unwrap_or_else(|e| e.into_inner()).get(&key).cloned();
    if let Some(hit) = hit {
        if hit.stamps.iter().all(|(path, then)| mtime(path) == *then) {
            return Ok(hit.info.clone());
        }
    }
    let info = read_workspace(manifest, env, metadata_cache::default_dir().as_deref())?;
    let root_manifest = info.root_manifest();
    let mut manifests: Vec<PathBuf> = info.members.iter().map(|p| p.manifest_path.clone()).collect();
    manifests.push(root_manifest);
    manifests.push(manifest.to_path_buf());
    manifests.sort();
    manifests.dedup();
    let cached = Arc::new(Cached { info: Arc::new(info), stamps: manifests.iter().map(|m| (m.clone(), mtime(m))).collect() });
    let mut all = cache().lock().unwrap_or_else(|e| e.into_inner());
    for m in manifests {
        all.insert((m, env.to_vec()), cached.clone());
    }
    Ok(cached.info.clone())
}

/// Asks the disk cache (see `metadata_cache`), then cargo.
pub(crate) fn read_workspace(manifest: &Path, env: &[(String, String)], cache_dir: Option<&Path>) -> CoreResult<WorkspaceInfo> {
    if let Some(info) = cache_dir.and_then(|dir| metadata_cache::load(dir, manifest, env)) {
        return Ok(info);
    }
    let mut info = run_cargo_metadata(manifest, manifest.parent().unwrap_or(Path::new("/")), env)?;
    // Builds run from the workspace root, and cargo resolves a relative
    // CARGO_TARGET_DIR and finds `.cargo/config.toml` from its working
    // directory: read the workspace from there too, or the target directory
    // reported for a member's manifest could differ from the build's.
    if manifest.parent() != Some(info.workspace_root.as_path()) {
        let root = info.workspace_root.clone();
        info = run_cargo_metadata(manifest, &root, env)?;
    }
    if let Some(dir) = cache_dir {
        metadata_cache::store(dir, manifest, env, &info);
    }
    Ok(info)
}

/// The folders this process has run `cargo metadata` in, one entry per run
/// (for tests).
pub fn metadata_runs_under(dir: &Path) -> usize {
    METADATA_RUNS.lock().unwrap_or_else(|e| e.into_inner()).iter().filter(|cwd| cwd.starts_with(dir)).count()
}

static METADATA_RUNS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn run_cargo_metadata(manifest: &Path, cwd: &Path, env: &[(String, String)]) -> CoreResult<WorkspaceInfo> {
    METADATA_RUNS.lock().unwrap_or_else(|e| e.into_inner()).push(cwd.to_path_buf());
    let mut cmd = MetadataCommand::new();
    // cargo reads `.cargo/config.toml` from the working directory upwards.
    cmd.manifest_path(manifest).no_deps().current_dir(cwd);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let metadata = cmd.exec().map_err(|e| metadata_error(manifest, e))?;
    let members = metadata
        .workspace_packages()
        .into_iter()
        .map(|p| PackageInfo {
            name: p.name.to_string(),
            manifest_path: p.manifest_path.clone().into_std_path_buf(),
            bins: p
                .targets
                .iter()
                .filter(|t| t.kind.contains(&TargetKind::Bin))
                .map(|t| t.name.clone())
                .collect(),
            has_lib: p.targets.iter().any(|t| {
                t.kind.iter().any(|k| {
                    matches!(
                        k,
                        TargetKind::Lib | TargetKind::RLib | TargetKind::DyLib | TargetKind::CDyLib | TargetKind::StaticLib
                    )
                })
            }),
            path_deps: p
                .dependencies
                .iter()
                .filter(|d| d.kind != DependencyKind::Development)
                .filter_map(|d| d.path.clone().map(|p| p.into_std_path_buf()))
                .collect(),
            is_lambda: p.metadata.get("lambda").is_some()
                || p.dependencies
                    .iter()
                    .any(|d| d.kind == DependencyKind::Normal && LAMBDA_RUNTIME_CRATES.contains(&d.name.as_str())),
        })
        .collect();
    Ok(WorkspaceInfo {
        workspace_root: metadata.workspace_root.into_std_path_buf(),
        target_directory: metadata.target_directory.into_std_path_buf(),
        members,
    })
}

fn metadata_error(manifest: &Path, err: cargo_metadata::Error) -> CoreError {
    match err {
        cargo_metadata::Error::CargoMetadata { stderr } => {
            let cargo_says = stderr.trim().trim_start_matches("error: ").to_string();
            let hint = if cargo_says.contains("believes it's in a workspace when it's not") {
                "\nThis package sits inside another workspace that does not list it. Add it to that workspace's \
                 `members` (or `exclude`), or give the package its own empty `[workspace]` table."
            } else {
                ""
            };
            CoreError::new(
                ErrorCode::ManifestInvalid,
                format!("cargo cannot read {}:\n{cargo_says}{hint}", manifest.display()),
            )
        }
        cargo_metadata::Error::Io(io) if io.kind() == std::io::ErrorKind::NotFound => CoreError::new(
            ErrorCode::ToolMissing,
            "`cargo` was not found on PATH: install Rust with rustup (https://rustup.rs) and try again".to_string(),
        ),
        other => CoreError::new(
            ErrorCode::ManifestInvalid,
            format!("`cargo metadata` failed for {}: {other}", manifest.display()),
        ),
    }
}

/// Folders of every package whose sources feed `package`'s build: the package
/// itself and its path dependencies, transitively. Path dependencies outside
/// the workspace are read with their own `cargo metadata` call (cached).
pub fn source_package_dirs(ws: &WorkspaceInfo, package: &PackageInfo, env: &[(String, String)]) -> CoreResult<Vec<PathBuf>> {
    let mut seen: Vec<PathBuf> = vec![package.dir().to_path_buf()];
    let mut queue: Vec<PathBuf> = package.path_deps.clone();
    while let Some(dir) = queue.pop() {
        if seen.contains(&dir) {
            continue;
        }
        seen.push(dir.clone());
        let deps = match ws.member_by_dir(&dir) {
            Some(member) => member.path_deps.clone(),
            None => {
                let manifest = dir.join("Cargo.toml");
                let outside = load_workspace(&manifest, env)?;
                outside.member_by_manifest(&manifest).map(|p| p.path_deps.clone()).unwrap_or_default()
            }
        };
        queue.extend(deps);
    }
    seen.sort();
    Ok(seen)
}

/// The folder holding the workspace root and every path dependency of its
/// members, transitively: what a build that sees only one folder (Docker
/// bundling) must be given. When the only common folder is `/`, the
/// workspace root is returned (mounting `/` is never right) and outside path
/// dependencies stay invisible there.
pub fn source_root(ws: &WorkspaceInfo, env: &[(String, String)]) -> CoreResult<PathBuf> {
    let mut root = ws.workspace_root.clone();
    for member in &ws.members {
        for dir in source_package_dirs(ws, member, env)? {
            root = common_ancestor(&root, &crate::entry::absolute(Path::new("/"), &dir));
        }
    }
    Ok(if root.parent().is_none() { ws.workspace_root.clone() } else { root })
}

fn common_ancestor(a: &Path, b: &Path) -> PathBuf {
    a.components().zip(b.components()).take_while(|(x, y)| x == y).map(|(x, _)| x.as_os_str()).collect()
}

/// `path` relative to `base` with `/` separators (`""` when equal), for a
/// `path` inside `base`.
pub fn relative_inside(base: &Path, path: &Path) -> String {
    path.strip_prefix(base)
        .map(|rel| rel.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect::<Vec<_>>().join("/"))
        .unwrap_or_default()
}

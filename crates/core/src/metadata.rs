//! What cargo says about a workspace: members, their binary targets, their
//! path dependencies and cargo's real target directory. Read with
//! `cargo metadata --no-deps` (fast, never touches the network), kept for the
//! life of the process (N functions in one workspace cost one call) and on
//! disk (an unchanged synth costs none, see `metadata_cache`); `freshness`
//! decides when an answer no longer holds.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use cargo_metadata::{DependencyKind, MetadataCommand, TargetKind};
use serde::{Deserialize, Serialize};

use crate::errors::{Error, Result};
use crate::freshness::{environment_digest, metadata_inputs, Snapshot};
use crate::metadata_cache::DiskCache;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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

/// Where workspace facts come from: cargo in production; tests count calls.
pub trait MetadataReader: Send + Sync {
    /// What cargo says about the workspace of `manifest`, run from `cwd`
    /// with `env` added to the process environment.
    fn read(&self, manifest: &Path, cwd: &Path, env: &[(String, String)]) -> Result<WorkspaceInfo>;

    /// Creates the workspace's `Cargo.lock` (`cargo generate-lockfile`).
    fn create_lockfile(&self, workspace_root: &Path, env: &[(String, String)]) -> Result<()> {
        let manifest = workspace_root.join("Cargo.toml");
        let cmd = crate::command::BuildCommand {
            program: "cargo".into(),
            args: vec!["generate-lockfile".into(), "--manifest-path".into(), manifest.to_string_lossy().into_owned()],
            cwd: workspace_root.to_path_buf(),
            env: env.to_vec(),
        };
        crate::runner::run(&cmd, true)
    }
}

/// `cargo metadata --no-deps`: fast, and never touches the network.
pub struct CargoMetadata;

impl MetadataReader for CargoMetadata {
    fn read(&self, manifest: &Path, cwd: &Path, env: &[(String, String)]) -> Result<WorkspaceInfo> {
        run_cargo_metadata(manifest, cwd, env)
    }
}

type MemoryKey = (PathBuf, Vec<(String, String)>);

/// An answer kept in memory, with what decides whether it still holds.
struct Remembered {
    info: Arc<WorkspaceInfo>,
    environment: String,
    snapshot: Snapshot,
}

/// The workspaces read so far: in memory for the life of the process (N
/// functions of a workspace cost one read), and on disk between processes
/// (an unchanged synth costs none). Both follow `freshness`'s rule.
pub struct Workspaces {
    reader: Box<dyn MetadataReader>,
    disk: Option<DiskCache>,
    memory: Mutex<HashMap<MemoryKey, Arc<Remembered>>>,
}

impl Workspaces {
    pub fn new(reader: Box<dyn MetadataReader>, disk: Option<DiskCache>) -> Workspaces {
        Workspaces { reader, disk, memory: Mutex::new(HashMap::new()) }
    }

    /// Reads the workspace that `manifest` belongs to. The answer is also
    /// filed under the root's and every member's manifest. `env` is the build
    /// environment (it can move the target directory), so it is part of the key.
    pub fn load(&self, manifest: &Path, env: &[(String, String)]) -> Result<Arc<WorkspaceInfo>> {
        let key = (manifest.to_path_buf(), env.to_vec());
        let environment = environment_digest(env);
        let hit = self.memory.lock().unwrap_or_else(|e| e.into_inner()).get(&key).cloned();
        if let Some(hit) = hit {
            if hit.environment == environment && hit.snapshot.matches_now(&metadata_inputs(manifest, &hit.info)) {
                return Ok(hit.info.clone());
            }
        }
        let info = self.read(manifest, env, &environment)?;
        // Filed under every manifest of the workspace: the snapshot covers
        // what cargo would read for any of them.
        let mut manifests: Vec<PathBuf> = info.members.iter().map(|p| p.manifest_path.clone()).collect();
        manifests.push(info.root_manifest());
        manifests.push(manifest.to_path_buf());
        let mut inputs: Vec<PathBuf> = manifests.iter().flat_map(|m| metadata_inputs(m, &info)).collect();
        inputs.sort();
        inputs.dedup();
        let remembered = Arc::new(Remembered { snapshot: Snapshot::take(&inputs), info: Arc::new(info), environment });
        let mut memory = self.memory.lock().unwrap_or_else(|e| e.into_inner());
        for m in manifests {
            memory.insert((m, env.to_vec()), remembered.clone());
        }
        Ok(remembered.info.clone())
    }

    /// Creates the workspace's `Cargo.lock` when it has none, so the first
    /// synth hashes the same sources as every later one (a build would create
    /// it, and the hash would change with it). Says so on stderr; when it
    /// cannot (no cargo, offline), says that instead and goes on.
    pub fn ensure_lockfile(&self, ws: &WorkspaceInfo, env: &[(String, String)]) {
        if ws.workspace_root.join("Cargo.lock").exists() {
            return;
        }
        match self.reader.create_lockfile(&ws.workspace_root, env) {
            Ok(()) => crate::progress::lockfile_created(&ws.workspace_root),
            Err(e) => crate::progress::lockfile_missing(&ws.workspace_root, &e.message()),
        }
    }

    /// Asks the disk cache, then the reader.
    fn read(&self, manifest: &Path, env: &[(String, String)], environment: &str) -> Result<WorkspaceInfo> {
        if let Some(disk) = &self.disk {
            disk.ensure_private()?;
            if let Some(info) = disk.load(manifest, environment) {
                return Ok(info);
            }
        }
        let mut info = self.reader.read(manifest, manifest.parent().unwrap_or(Path::new("/")), env)?;
        // Builds run from the workspace root, and cargo resolves a relative
        // CARGO_TARGET_DIR and finds `.cargo/config.toml` from its working
        // directory: read the workspace from there too, or the target
        // directory reported for a member's manifest could differ from the build's.
        if manifest.parent() != Some(info.workspace_root.as_path()) {
            let root = info.workspace_root.clone();
            info = self.reader.read(manifest, &root, env)?;
        }
        if let Some(disk) = &self.disk {
            disk.store(manifest, environment, &info);
        }
        Ok(info)
    }
}

fn run_cargo_metadata(manifest: &Path, cwd: &Path, env: &[(String, String)]) -> Result<WorkspaceInfo> {
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
            bins: p.targets.iter().filter(|t| t.kind.contains(&TargetKind::Bin)).map(|t| t.name.clone()).collect(),
            has_lib: p.targets.iter().any(|t| {
                t.kind.iter().any(|k| {
                    matches!(
                        k,
                        TargetKind::Lib
                            | TargetKind::RLib
                            | TargetKind::DyLib
                            | TargetKind::CDyLib
                            | TargetKind::StaticLib
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

fn metadata_error(manifest: &Path, err: cargo_metadata::Error) -> Error {
    match err {
        cargo_metadata::Error::CargoMetadata { stderr } => {
            let cargo_says = stderr.trim().trim_start_matches("error: ").to_string();
            let outside_workspace = cargo_says
                .contains("believes it's in a workspace when it's not")
                .then(|| outside_workspace(manifest, &cargo_says))
                .flatten();
            Error::ManifestInvalid { manifest: manifest.to_path_buf(), outside_workspace, cargo_says }
        }
        cargo_metadata::Error::Io(io) if io.kind() == std::io::ErrorKind::NotFound => Error::CargoMissing,
        other => Error::MetadataFailed { manifest: manifest.to_path_buf(), detail: other.to_string() },
    }
}

/// The workspace manifest cargo names in its "believes it's in a workspace"
/// message (`workspace: <path>`), and the package folder relative to it.
fn outside_workspace(manifest: &Path, cargo_says: &str) -> Option<(PathBuf, String)> {
    let line = cargo_says.lines().find_map(|l| l.trim().strip_prefix("workspace:"))?;
    let workspace_manifest = PathBuf::from(line.trim());
    let package_dir = manifest.parent()?;
    let relative = relative_inside(workspace_manifest.parent()?, package_dir);
    (!relative.is_empty()).then_some((workspace_manifest, relative))
}

/// What feeds a package's build, as folders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFolders {
    /// The package itself and its path dependencies, transitively, sorted.
    pub packages: Vec<PathBuf>,
    /// The target directories of every workspace those packages belong to
    /// (build output, never a source), sorted.
    pub target_dirs: Vec<PathBuf>,
}

/// The folders whose sources feed `package`'s build. Path dependencies
/// outside the workspace are read with their own `cargo metadata` call
/// (cached), which also gives their workspaces' target directories.
pub fn source_folders(
    workspaces: &Workspaces,
    ws: &WorkspaceInfo,
    package: &PackageInfo,
    env: &[(String, String)],
) -> Result<SourceFolders> {
    let mut seen: Vec<PathBuf> = vec![package.dir().to_path_buf()];
    let mut target_dirs = vec![ws.target_directory.clone()];
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
                let outside = workspaces.load(&manifest, env)?;
                target_dirs.push(outside.target_directory.clone());
                outside.member_by_manifest(&manifest).map(|p| p.path_deps.clone()).unwrap_or_default()
            }
        };
        queue.extend(deps);
    }
    seen.sort();
    target_dirs.sort();
    target_dirs.dedup();
    Ok(SourceFolders { packages: seen, target_dirs })
}

/// The folders of every package whose sources feed `package`'s build (see `source_folders`).
pub fn source_package_dirs(
    workspaces: &Workspaces,
    ws: &WorkspaceInfo,
    package: &PackageInfo,
    env: &[(String, String)],
) -> Result<Vec<PathBuf>> {
    Ok(source_folders(workspaces, ws, package, env)?.packages)
}

/// The folder holding the workspace root and every path dependency of its
/// members, transitively: what a build that sees only one folder (Docker
/// bundling) must be given. When the only common folder is `/`, the
/// workspace root is returned (mounting `/` is never right) and outside path
/// dependencies stay invisible there.
pub fn source_root(workspaces: &Workspaces, ws: &WorkspaceInfo, env: &[(String, String)]) -> Result<PathBuf> {
    let mut root = ws.workspace_root.clone();
    for member in &ws.members {
        for dir in source_package_dirs(workspaces, ws, member, env)? {
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

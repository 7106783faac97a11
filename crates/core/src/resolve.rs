//! From a construct's props to the crate and binary it builds: the manifest
//! (see `entry`), the workspace cargo reads it into (see `metadata`), and the
//! binary target.

use std::path::PathBuf;

use crate::entry::{absolute, find_manifest, select_binary, EntryRequest};
use crate::errors::Result;
use crate::metadata::{source_root, Workspaces};

/// Where a function's crate is, as the construct gives it.
#[derive(Debug, Clone, Default)]
pub struct ResolveRequest {
    /// The file that called `new RustFunction(...)`.
    pub defining_file: Option<PathBuf>,
    /// The construct id.
    pub id: Option<String>,
    /// `entry`: a Cargo.toml or the folder holding one.
    pub entry: Option<PathBuf>,
    /// `binaryName`.
    pub binary_name: Option<String>,
    /// The folder relative paths are taken from.
    pub cwd: PathBuf,
    /// The build environment, sorted (it may set `CARGO_TARGET_DIR`).
    pub environment: Vec<(String, String)>,
}

/// A function's crate, as cargo sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedFunction {
    pub workspace_root: PathBuf,
    /// The folder Docker bundling mounts: the workspace root, or the folder
    /// that also holds its members' path dependencies outside it.
    pub source_root: PathBuf,
    pub package_name: String,
    pub package_manifest: PathBuf,
    pub binary_name: String,
    /// cargo's target directory (honours CARGO_TARGET_DIR and .cargo/config.toml).
    pub target_directory: PathBuf,
}

pub fn resolve_function(workspaces: &Workspaces, req: &ResolveRequest) -> Result<ResolvedFunction> {
    let entry = EntryRequest {
        defining_file: req.defining_file.clone(),
        id: req.id.clone(),
        entry: req.entry.clone(),
        cwd: req.cwd.clone(),
    };
    let manifest = absolute(&req.cwd, &find_manifest(&entry)?);
    let ws = workspaces.load(&manifest, &req.environment)?;
    let selection = select_binary(&ws, &manifest, req.binary_name.as_deref())?;
    workspaces.ensure_lockfile(&ws, &req.environment);
    Ok(ResolvedFunction {
        source_root: source_root(workspaces, &ws, &req.environment)?,
        workspace_root: ws.workspace_root.clone(),
        package_name: selection.package.name.clone(),
        package_manifest: selection.package.manifest_path.clone(),
        binary_name: selection.binary,
        target_directory: ws.target_directory.clone(),
    })
}

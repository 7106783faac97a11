//! The asset hash of one function: the fingerprint of the packages that feed
//! its binary, the workspace-level files cargo reads, and the build
//! configuration.

use std::path::Path;

use crate::command::BuildConfig;
use crate::errors::{CoreError, CoreResult, ErrorCode};
use crate::fingerprint::{fingerprint, FingerprintInput};
use crate::metadata::{load_workspace, source_package_dirs, PackageInfo, WorkspaceInfo};

/// Workspace-level files that change what cargo builds.
pub const WORKSPACE_FILES: [&str; 6] =
    ["Cargo.lock", "Cargo.toml", "rust-toolchain", "rust-toolchain.toml", ".cargo/config.toml", ".cargo/config"];

/// `package_manager_label` is what the user asked for (`auto` when nothing),
/// so machines with different tools installed compute the same hash.
pub fn function_asset_hash(
    package_manifest: &Path,
    binary: &str,
    config: &BuildConfig,
    package_manager_label: &str,
) -> CoreResult<String> {
    let ws = load_workspace(package_manifest, &config.environment)?;
    let package = ws.member_by_manifest(package_manifest).ok_or_else(|| {
        CoreError::new(
            ErrorCode::InternalError,
            format!("{} is not a member of the workspace at {}", package_manifest.display(), ws.workspace_root.display()),
        )
    })?;
    let config_text = format!(
        "{}package:{}:{};binary:{}:{};",
        config.canonical(package_manager_label),
        package.name.len(),
        package.name,
        binary.len(),
        binary
    );
    sources_digest(&ws, package, &config.environment, &config_text)
}

/// The digest of the files that feed `package`'s binaries (its own, its path
/// dependencies', the workspace-level files), mixed with `config_text`.
pub fn sources_digest(ws: &WorkspaceInfo, package: &PackageInfo, env: &[(String, String)], config_text: &str) -> CoreResult<String> {
    let root = ws.workspace_root.clone();
    let input = FingerprintInput {
        workspace_root: &root,
        package_dirs: source_package_dirs(ws, package, env)?,
        extra_files: WORKSPACE_FILES.iter().map(|f| root.join(f)).collect(),
        excluded_dirs: vec![ws.target_directory.clone()],
        config: config_text,
    };
    fingerprint(&input)
}

//! The asset hash of one function: the fingerprint of the packages that feed
//! its binary, the workspace-level files cargo reads, and the build
//! configuration.

use std::path::Path;

use crate::config::BuildConfig;
use crate::errors::{Error, Result};
use crate::fingerprint::{fingerprint, FingerprintInput};
use crate::metadata::{source_folders, PackageInfo, WorkspaceInfo, Workspaces};

/// Workspace-level files that change what cargo builds.
pub const WORKSPACE_FILES: [&str; 6] =
    ["Cargo.lock", "Cargo.toml", "rust-toolchain", "rust-toolchain.toml", ".cargo/config.toml", ".cargo/config"];

/// `tool_label` is the build tool the user asked for (`auto` when none), so
/// machines with different tools installed compute the same hash.
pub fn function_asset_hash(
    workspaces: &Workspaces,
    package_manifest: &Path,
    binary: &str,
    config: &BuildConfig,
    tool_label: &str,
) -> Result<String> {
    let ws = workspaces.load(package_manifest, &config.environment)?;
    // Options a build would reject fail here, at synth, before any cargo run.
    crate::build_options::check_profile(&ws.root_manifest(), &config.profile)?;
    let package = ws.member_by_manifest(package_manifest).ok_or_else(|| Error::NotAMember {
        package: package_manifest.display().to_string(),
        workspace_root: ws.workspace_root.clone(),
    })?;
    let config_text = format!(
        "{}package:{}:{};binary:{}:{};",
        config.canonical(tool_label),
        package.name.len(),
        package.name,
        binary.len(),
        binary
    );
    sources_digest(workspaces, &ws, package, &config.environment, &config_text)
}

/// The digest of the files that feed `package`'s binaries (its own, its path
/// dependencies', the workspace-level files), mixed with `config_text`.
pub fn sources_digest(
    workspaces: &Workspaces,
    ws: &WorkspaceInfo,
    package: &PackageInfo,
    env: &[(String, String)],
    config_text: &str,
) -> Result<String> {
    let root = ws.workspace_root.clone();
    let folders = source_folders(workspaces, ws, package, env)?;
    let input = FingerprintInput {
        workspace_root: &root,
        package_dirs: folders.packages,
        extra_files: WORKSPACE_FILES.iter().map(|f| root.join(f)).collect(),
        excluded_dirs: folders.target_dirs,
        config: config_text,
    };
    fingerprint(&input)
}

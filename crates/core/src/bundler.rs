//! One function's way from sources to a staged asset: hooks, build, ELF
//! checks, and a deterministic `bootstrap.zip` in CDK's output folder.
//!
//! Builds are shared. CDK bundles each asset while its construct is created,
//! before later functions exist, so the first function of a configuration
//! (workspace, target, profile, tool, args, environment) builds every
//! Lambda binary of its workspace in one cargo invocation, and the functions
//! after it take theirs from that build. `BuildScope::Function` opts out.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::artifact;
use crate::asset_hash::sources_digest;
use crate::command::{build_command, built_binary_path, tool_output_path, BuildTargets};
use crate::config::{BuildConfig, BuildScope};
use crate::elf::verify_bootstrap;
use crate::errors::{Error, Result};
use crate::freshness::build_is_current;
use crate::metadata::{WorkspaceInfo, Workspaces};
use crate::progress;
use crate::runner;
use crate::target::Arch;
use crate::toolchain::check_target_installed;

#[derive(Debug, Clone)]
pub struct BundleRequest {
    pub workspace_root: PathBuf,
    pub target_directory: PathBuf,
    pub package: String,
    pub binary: String,
    pub arch: Arch,
    pub runtime: String,
    pub config: BuildConfig,
    pub scope: BuildScope,
    pub output_dir: PathBuf,
    pub before_bundling: Vec<String>,
    pub after_bundling: Vec<String>,
    /// How progress lines name the function.
    pub label: String,
    /// `passEnvironment`: inherited by the build, checked to be set.
    pub passed_environment: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuildOutcome {
    /// A cargo invocation ran for this function, building this many binaries.
    Built { binaries: usize },
    /// An earlier build of this process, with the same configuration, already
    /// produced the binary.
    Reused,
}

#[derive(Debug, Clone)]
pub struct BundleReport {
    pub outcome: BuildOutcome,
    pub binary_path: PathBuf,
    pub asset_path: PathBuf,
}

type BuildKey = (PathBuf, BuildConfig);

/// Binaries built by this process, per workspace and configuration, each with
/// the digest of its package's sources when it was built: a process that
/// synthesizes again after an edit (jest --watch, an app that synthesizes
/// twice) must rebuild, not reuse (see `freshness::build_is_current`).
#[derive(Default)]
pub struct Builds {
    built: Mutex<HashMap<BuildKey, HashMap<String, String>>>,
}

impl Builds {
    fn recorded(&self, key: &BuildKey, binary: &str) -> Option<String> {
        self.built.lock().unwrap_or_else(|e| e.into_inner()).get(key).and_then(|b| b.get(binary).cloned())
    }

    fn knows(&self, key: &BuildKey) -> bool {
        self.built.lock().unwrap_or_else(|e| e.into_inner()).contains_key(key)
    }

    fn record(&self, key: BuildKey, binaries: impl IntoIterator<Item = (String, String)>) {
        self.built.lock().unwrap_or_else(|e| e.into_inner()).entry(key).or_default().extend(binaries);
    }
}

/// The digest of the sources that feed `package`'s binaries, now.
fn package_sources(
    workspaces: &Workspaces,
    ws: &WorkspaceInfo,
    package: &str,
    env: &[(String, String)],
) -> Result<String> {
    let info = ws
        .members
        .iter()
        .find(|p| p.name == package)
        .ok_or_else(|| Error::NotAMember { package: package.to_string(), workspace_root: ws.workspace_root.clone() })?;
    sources_digest(workspaces, ws, info, env, "")
}

pub fn bundle(workspaces: &Workspaces, builds: &Builds, req: &BundleRequest) -> Result<BundleReport> {
    let root = &req.workspace_root;
    let env = &req.config.environment;
    crate::passed_env::values(&req.passed_environment, |k| std::env::var(k).ok())?;
    runner::run_hooks(&req.before_bundling, root, env, "beforeBundling")?;

    // Held from the build until the binary is inside our zip: another synth
    // sharing this target directory (a parallel CI job) must not replace the
    // binary while we read it.
    let _lock = TargetLock::acquire(&req.target_directory)?;
    let outcome = ensure_built(workspaces, builds, req)?;
    let binary_path = built_binary_path(&req.target_directory, &req.config, &req.binary);
    if !binary_path.is_file() {
        return Err(Error::BinaryNotFound {
            expected: tool_output_path(&req.target_directory, &req.config, &req.binary),
        });
    }
    verify_bootstrap(&binary_path, req.arch, &req.runtime)?;

    // afterBundling hooks see the output folder and may add files to it; they
    // go into the zip next to `bootstrap`, and the loose copies are removed so
    // CDK sees a single archive.
    let extras = if req.after_bundling.is_empty() {
        None
    } else {
        runner::run_hooks(&req.after_bundling, root, env, "afterBundling")?;
        Some(req.output_dir.as_path())
    };
    let asset_path = req.output_dir.join(artifact::BOOTSTRAP_ZIP);
    let entry = crate::command::asset_entry(&req.config, &req.binary);
    artifact::write_asset_zip(&binary_path, &entry, extras, &asset_path)?;
    if extras.is_some() {
        remove_all_but(&req.output_dir, &asset_path)?;
    }
    match outcome {
        BuildOutcome::Built { binaries } => progress::built(&req.label, req.config.tool, binaries),
        BuildOutcome::Reused => progress::reused(&req.label),
    }
    Ok(BundleReport { outcome, binary_path, asset_path })
}

fn ensure_built(workspaces: &Workspaces, builds: &Builds, req: &BundleRequest) -> Result<BuildOutcome> {
    let key: BuildKey = (req.workspace_root.clone(), req.config.clone());
    let env = &req.config.environment;
    let ws = workspaces.load(&req.workspace_root.join("Cargo.toml"), env)?;
    if let Some(digest_then) = builds.recorded(&key, &req.binary) {
        let digest_now = package_sources(workspaces, &ws, &req.package, env)?;
        let binary = built_binary_path(&req.target_directory, &req.config, &req.binary);
        if build_is_current(&digest_then, &digest_now, &binary) {
            return Ok(BuildOutcome::Reused);
        }
    }
    check_target_installed(req.config.rust_triple(), &req.workspace_root, &req.config.environment)?;
    let own = vec![(req.package.clone(), req.binary.clone())];
    // Extensions are built one by one (`--extension` applies to the whole invocation).
    let shared = req.scope == BuildScope::Workspace && req.config.artifact == crate::config::Artifact::Function;
    let planned =
        if shared && !builds.knows(&key) { plan_shared_build(&ws, &req.package, &req.binary) } else { own.clone() };
    // Digests taken before the build: the sources it compiles.
    let mut digests: HashMap<String, String> = HashMap::new();
    for (package, _) in &planned {
        if !digests.contains_key(package) {
            digests.insert(package.clone(), package_sources(workspaces, &ws, package, env)?);
        }
    }
    let built = match run_build(req, &planned) {
        Ok(()) => planned,
        Err(shared_failure) if planned.len() > 1 => {
            // Another Lambda binary of the workspace may be what broke: build
            // this function alone, so its own result (and error) is exact.
            progress::shared_build_failed(planned.len(), &req.binary, &shared_failure.message());
            run_build(req, &own)?;
            own
        }
        Err(e) => return Err(e),
    };
    let count = built.len();
    builds.record(key, built.into_iter().map(|(package, bin)| (bin, digests[&package].clone())));
    Ok(BuildOutcome::Built { binaries: count })
}

fn run_build(req: &BundleRequest, binaries: &[(String, String)]) -> Result<()> {
    let targets = BuildTargets { binaries: binaries.to_vec() };
    let cmd = build_command(&req.workspace_root, &req.target_directory, &req.config, &targets);
    progress::running(&cmd);
    runner::run(&cmd, true)?;
    // Keep this configuration's binaries apart from other configurations'
    // (cargo-lambda already wrote them there).
    for (_, bin) in binaries {
        let produced = tool_output_path(&req.target_directory, &req.config, bin);
        let kept = built_binary_path(&req.target_directory, &req.config, bin);
        if produced != kept && produced.is_file() {
            if let Some(dir) = kept.parent() {
                std::fs::create_dir_all(dir).map_err(|e| Error::Staging {
                    action: "create".into(),
                    path: dir.to_path_buf(),
                    detail: e.to_string(),
                })?;
            }
            artifact::copy_atomically(&produced, &kept, 0o755)?;
        }
    }
    Ok(())
}

/// The binaries a shared build makes: the requested one, then every binary of
/// the workspace members that hold Lambda functions (see
/// `PackageInfo::is_lambda`). A binary whose name another package already
/// uses is left out: cargo-lambda stages binaries by name.
pub fn plan_shared_build(ws: &WorkspaceInfo, package: &str, binary: &str) -> Vec<(String, String)> {
    let mut planned = vec![(package.to_string(), binary.to_string())];
    let mut names: HashSet<String> = HashSet::from([binary.to_string()]);
    let mut members: Vec<_> = ws.members.iter().filter(|p| p.is_lambda).collect();
    members.sort_by(|a, b| a.name.cmp(&b.name));
    for member in members {
        for bin in &member.bins {
            if names.insert(bin.clone()) {
                planned.push((member.name.clone(), bin.clone()));
            }
        }
    }
    planned
}

/// An exclusive lock on `<target>/cdk-lambda-rust/.lock`, released on drop.
struct TargetLock(File);

impl TargetLock {
    fn acquire(target_directory: &Path) -> Result<TargetLock> {
        let dir = target_directory.join("cdk-lambda-rust");
        let failed = |e: std::io::Error| Error::TargetLock { dir: dir.clone(), detail: e.to_string() };
        std::fs::create_dir_all(&dir).map_err(failed)?;
        let file = File::options().create(true).truncate(false).write(true).open(dir.join(".lock")).map_err(failed)?;
        file.lock().map_err(failed)?;
        Ok(TargetLock(file))
    }
}

impl Drop for TargetLock {
    fn drop(&mut self) {
        let _ = self.0.unlock();
    }
}

fn remove_all_but(dir: &Path, keep: &Path) -> Result<()> {
    let staging = |e: std::io::Error| Error::CleanOutput { dir: dir.to_path_buf(), detail: e.to_string() };
    for entry in std::fs::read_dir(dir).map_err(staging)? {
        let path = entry.map_err(staging)?.path();
        if path == keep {
            continue;
        }
        if path.is_dir() && !path.is_symlink() {
            std::fs::remove_dir_all(&path).map_err(staging)?;
        } else {
            std::fs::remove_file(&path).map_err(staging)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metadata::PackageInfo;

    fn member(name: &str, bins: &[&str], is_lambda: bool) -> PackageInfo {
        PackageInfo {
            name: name.into(),
            manifest_path: PathBuf::from(format!("/ws/{name}/Cargo.toml")),
            bins: bins.iter().map(|b| b.to_string()).collect(),
            has_lib: false,
            path_deps: vec![],
            is_lambda,
        }
    }

    #[test]
    fn shared_builds_take_every_lambda_binary_and_skip_other_tools() {
        let ws = WorkspaceInfo {
            workspace_root: "/ws".into(),
            target_directory: "/ws/target".into(),
            members: vec![
                member("orders", &["orders", "orders-migrate"], true),
                member("cli", &["cli"], false),
                member("api", &["api"], true),
            ],
        };
        let plan = plan_shared_build(&ws, "cli", "cli");
        let names: Vec<&str> = plan.iter().map(|(_, b)| b.as_str()).collect();
        assert_eq!(names, ["cli", "api", "orders", "orders-migrate"]);
    }

    #[test]
    fn binary_name_collisions_keep_the_requested_one() {
        let ws = WorkspaceInfo {
            workspace_root: "/ws".into(),
            target_directory: "/ws/target".into(),
            members: vec![member("a", &["handler"], true), member("b", &["handler"], true)],
        };
        assert_eq!(plan_shared_build(&ws, "b", "handler"), vec![("b".to_string(), "handler".to_string())]);
    }

    #[test]
    fn the_target_lock_is_exclusive_across_handles() {
        let dir = tempfile::tempdir().unwrap();
        let held = TargetLock::acquire(dir.path()).unwrap();
        let other = File::options().write(true).open(dir.path().join("cdk-lambda-rust/.lock")).unwrap();
        assert!(other.try_lock().is_err(), "a second handle must not get the lock while it is held");
        drop(held);
        other.try_lock().unwrap();
    }
}

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
use std::sync::{Mutex, OnceLock};

use crate::artifact;
use crate::asset_hash::sources_digest;
use crate::command::{build_command, built_binary_path, tool_output_path, BuildConfig, BuildTargets};
use crate::elf;
use crate::errors::{CoreError, CoreResult, ErrorCode};
use crate::metadata::{load_workspace, WorkspaceInfo};
use crate::runner;
use crate::target::{runtime_max_glibc, Arch};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuildScope {
    /// Build every Lambda binary of the workspace on the first build of a
    /// configuration (the default).
    Workspace,
    /// Build only this function's binary.
    Function,
}

impl BuildScope {
    pub fn parse(name: &str) -> CoreResult<BuildScope> {
        match name {
            "workspace" => Ok(BuildScope::Workspace),
            "function" => Ok(BuildScope::Function),
            other => Err(CoreError::new(
                ErrorCode::InvalidOption,
                format!("unknown build scope `{other}`: use BuildScope.WORKSPACE or BuildScope.FUNCTION"),
            )),
        }
    }
}

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
/// twice) must rebuild, not reuse.
type Built = HashMap<BuildKey, HashMap<String, String>>;

fn built_binaries() -> &'static Mutex<Built> {
    static BUILT: OnceLock<Mutex<Built>> = OnceLock::new();
    BUILT.get_or_init(|| Mutex::new(HashMap::new()))
}

/// The digest of the sources that feed `package`'s binaries, now.
fn package_sources(ws: &WorkspaceInfo, package: &str, env: &[(String, String)]) -> CoreResult<String> {
    let info = ws.members.iter().find(|p| p.name == package).ok_or_else(|| {
        CoreError::new(ErrorCode::InternalError, format!("package `{package}` is not in the workspace at {}", ws.workspace_root.display()))
    })?;
    sources_digest(ws, info, env, "")
}

pub fn bundle(req: &BundleRequest) -> CoreResult<BundleReport> {
    let root = &req.workspace_root;
    let env = &req.config.environment;
    runner::run_hooks(&req.before_bundling, root, env, "beforeBundling")?;

    // Held from the build until the binary is inside our zip: another synth
    // sharing this target directory (a parallel CI job) must not replace the
    // binary while we read it.
    let _lock = TargetLock::acquire(&req.target_directory)?;
    let outcome = ensure_built(req)?;
    let binary_path = built_binary_path(&req.target_directory, &req.config, &req.binary);
    if !binary_path.is_file() {
        return Err(CoreError::new(
            ErrorCode::BinaryNotFound,
            format!(
                "the build finished but {} does not exist. Does `CARGO_TARGET_DIR` or `build.target-dir` differ between this process and the build environment?",
                tool_output_path(&req.target_directory, &req.config, &req.binary).display()
            ),
        ));
    }
    verify(&binary_path, req.arch, &req.runtime)?;

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
    artifact::write_bootstrap_zip(&binary_path, extras, &asset_path)?;
    if extras.is_some() {
        remove_all_but(&req.output_dir, &asset_path)?;
    }
    Ok(BundleReport { outcome, binary_path, asset_path })
}

fn ensure_built(req: &BundleRequest) -> CoreResult<BuildOutcome> {
    let key: BuildKey = (req.workspace_root.clone(), req.config.clone());
    let env = &req.config.environment;
    let ws = load_workspace(&req.workspace_root.join("Cargo.toml"), env)?;
    let recorded = built_binaries().lock().unwrap_or_else(|e| e.into_inner()).get(&key).and_then(|b| b.get(&req.binary).cloned());
    if let Some(digest_then) = recorded {
        let unchanged = package_sources(&ws, &req.package, env)? == digest_then;
        if unchanged && built_binary_path(&req.target_directory, &req.config, &req.binary).is_file() {
            return Ok(BuildOutcome::Reused);
        }
    }
    runner::check_target_installed(&req.config.triple, &req.workspace_root, &req.config.environment)?;
    let own = vec![(req.package.clone(), req.binary.clone())];
    let first_of_config = !built_binaries().lock().unwrap_or_else(|e| e.into_inner()).contains_key(&key);
    let planned = if req.scope == BuildScope::Workspace && first_of_config {
        plan_shared_build(&ws, &req.package, &req.binary)
    } else {
        own.clone()
    };
    // Digests taken before the build: the sources it compiles.
    let mut digests: HashMap<String, String> = HashMap::new();
    for (package, _) in &planned {
        if !digests.contains_key(package) {
            digests.insert(package.clone(), package_sources(&ws, package, env)?);
        }
    }
    let built = match run_build(req, &planned) {
        Ok(()) => planned,
        Err(shared_failure) if planned.len() > 1 => {
            // Another Lambda binary of the workspace may be what broke: build
            // this function alone, so its own result (and error) is exact.
            eprintln!(
                "cdk-lambda-rust: the shared build of {} binaries failed; building `{}` alone.\n{}",
                planned.len(),
                req.binary,
                shared_failure.message
            );
            run_build(req, &own)?;
            own
        }
        Err(e) => return Err(e),
    };
    let count = built.len();
    let mut all = built_binaries().lock().unwrap_or_else(|e| e.into_inner());
    let record = all.entry(key).or_default();
    for (package, bin) in built {
        record.insert(bin, digests[&package].clone());
    }
    Ok(BuildOutcome::Built { binaries: count })
}

fn run_build(req: &BundleRequest, binaries: &[(String, String)]) -> CoreResult<()> {
    let targets = BuildTargets { binaries: binaries.to_vec() };
    let cmd = build_command(&req.workspace_root, &req.target_directory, &req.config, &targets);
    eprintln!("cdk-lambda-rust: {}", cmd.display());
    runner::run(&cmd, true)?;
    // Keep this configuration's binaries apart from other configurations'
    // (cargo-lambda already wrote them there).
    for (_, bin) in binaries {
        let produced = tool_output_path(&req.target_directory, &req.config, bin);
        let kept = built_binary_path(&req.target_directory, &req.config, bin);
        if produced != kept && produced.is_file() {
            if let Some(dir) = kept.parent() {
                std::fs::create_dir_all(dir).map_err(|e| {
                    CoreError::new(ErrorCode::StagingFailed, format!("cannot create {}: {e}", dir.display()))
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
    fn acquire(target_directory: &Path) -> CoreResult<TargetLock> {
        let dir = target_directory.join("cdk-lambda-rust");
        let failed = |e: std::io::Error| {
            CoreError::new(ErrorCode::BuildFailed, format!("cannot lock {} for the build: {e}. The target directory must be writable: fix its permissions, or move it with `CARGO_TARGET_DIR`.", dir.display()))
        };
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

/// Checks the binary's ELF machine against the architecture and its glibc
/// needs against the runtime.
pub fn verify(binary: &Path, arch: Arch, runtime: &str) -> CoreResult<()> {
    let info = elf::read_elf_info_file(binary)?;
    let expected = match arch {
        Arch::X86_64 => elf::Machine::X86_64,
        Arch::Arm64 => elf::Machine::Aarch64,
    };
    let max_glibc = runtime_max_glibc(runtime).unwrap_or((u32::MAX, u32::MAX));
    elf::check_bootstrap(&info, expected, max_glibc, runtime, &binary.to_string_lossy())
}

fn remove_all_but(dir: &Path, keep: &Path) -> CoreResult<()> {
    let staging = |e: std::io::Error| CoreError::new(ErrorCode::StagingFailed, format!("cannot clean the bundling output {}: {e}. Check that CDK's output folder (cdk.out) is writable.", dir.display()));
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
    fn build_scopes_parse() {
        assert_eq!(BuildScope::parse("workspace").unwrap(), BuildScope::Workspace);
        assert_eq!(BuildScope::parse("function").unwrap(), BuildScope::Function);
        assert_eq!(BuildScope::parse("all").unwrap_err().code, ErrorCode::InvalidOption);
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

//! One function's way from sources to a staged asset: hooks, build (shared
//! with every function of the same configuration in this process), ELF
//! checks, and a deterministic `bootstrap.zip` in CDK's output folder.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use crate::artifact;
use crate::command::{build_command, built_binary_path, BuildConfig, BuildTargets};
use crate::elf;
use crate::errors::{CoreError, CoreResult, ErrorCode};
use crate::runner;
use crate::target::{runtime_max_glibc, Arch};

#[derive(Debug, Clone)]
pub struct BundleRequest {
    pub workspace_root: PathBuf,
    pub target_directory: PathBuf,
    pub package: String,
    pub binary: String,
    pub arch: Arch,
    pub runtime: String,
    pub config: BuildConfig,
    pub output_dir: PathBuf,
    pub before_bundling: Vec<String>,
    pub after_bundling: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuildOutcome {
    /// A cargo invocation ran for this function.
    Built,
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

/// Binaries built by this process, per workspace and configuration.
fn built_binaries() -> &'static Mutex<HashMap<BuildKey, HashSet<String>>> {
    static BUILT: OnceLock<Mutex<HashMap<BuildKey, HashSet<String>>>> = OnceLock::new();
    BUILT.get_or_init(|| Mutex::new(HashMap::new()))
}

pub fn bundle(req: &BundleRequest) -> CoreResult<BundleReport> {
    let hook_env = req.config.environment.clone();
    let root = &req.workspace_root;
    runner::run_hooks(&req.before_bundling, root, &hook_env, "beforeBundling")?;

    let key: BuildKey = (root.clone(), req.config.clone());
    let already = built_binaries()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&key)
        .is_some_and(|bins| bins.contains(&req.binary));
    let outcome = if already {
        BuildOutcome::Reused
    } else {
        runner::check_target_installed(&req.config.triple, root, &req.config.environment)?;
        let targets = BuildTargets { binaries: vec![(req.package.clone(), req.binary.clone())] };
        let cmd = build_command(root, &req.target_directory, &req.config, &targets);
        eprintln!("cdk-lambda-rust: {}", cmd.display());
        runner::run(&cmd, true)?;
        built_binaries()
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(key)
            .or_default()
            .extend(targets.binaries.into_iter().map(|(_, b)| b));
        BuildOutcome::Built
    };

    let binary_path = built_binary_path(&req.target_directory, &req.config, &req.binary);
    if !binary_path.is_file() {
        return Err(CoreError::new(
            ErrorCode::BinaryNotFound,
            format!(
                "the build finished but {} does not exist. Does `CARGO_TARGET_DIR` or `build.target-dir` differ between this process and the build environment?",
                binary_path.display()
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
        runner::run_hooks(&req.after_bundling, root, &hook_env, "afterBundling")?;
        Some(req.output_dir.as_path())
    };
    let asset_path = req.output_dir.join(artifact::BOOTSTRAP_ZIP);
    artifact::write_bootstrap_zip(&binary_path, extras, &asset_path)?;
    if extras.is_some() {
        remove_all_but(&req.output_dir, &asset_path)?;
    }
    Ok(BundleReport { outcome, binary_path, asset_path })
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
    let staging = |e: std::io::Error| CoreError::new(ErrorCode::StagingFailed, format!("cleaning {}: {e}", dir.display()));
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

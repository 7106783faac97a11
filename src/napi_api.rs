//! The boundary Node.js calls: typed option objects in, typed results out,
//! errors as JS `Error`s whose message starts with `[CODE]`, one of
//! `ErrorCode`'s names (`lib/native.ts` moves it to `err.code`). Every call
//! runs under `catch_unwind`, so a bug becomes an `INTERNAL_ERROR` instead of
//! taking the Node process down.

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use napi_derive::napi;

use crate::bundler::{self, BuildOutcome, BuildScope, BundleRequest};
use crate::command::{find_on_path, BuildConfig, PackageManager};
use crate::docker;
use crate::entry::{absolute, find_manifest, select_binary, EntryRequest};
use crate::errors::{CoreError, CoreResult, ErrorCode};
use crate::asset_hash::function_asset_hash;
use crate::metadata::{load_workspace, relative_inside, source_root};
use crate::target::Arch;

fn guarded<T>(f: impl FnOnce() -> CoreResult<T>) -> napi::Result<T> {
    catch_panics(f).map_err(|e| napi::Error::new(napi::Status::GenericFailure, e.to_string()))
}

/// Runs `f`, turning a panic into an `INTERNAL_ERROR`.
fn catch_panics<T>(f: impl FnOnce() -> CoreResult<T>) -> CoreResult<T> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|panic| {
        let what = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        Err(CoreError::new(
            ErrorCode::InternalError,
            format!("cdk-lambda-rust hit a bug ({what}). Please report it with the inputs that caused it."),
        ))
    })
}

/// Where a function's crate is, as given by the construct.
#[napi(object)]
pub struct ResolveOptions {
    /// The file that called `new RustFunction(...)`.
    pub defining_file: Option<String>,
    /// The construct id.
    pub id: Option<String>,
    /// `entry` prop: a Cargo.toml or the folder holding one.
    pub entry: Option<String>,
    /// `binaryName` prop.
    pub binary_name: Option<String>,
    /// Folder relative paths are taken from. Default: the process's.
    pub cwd: Option<String>,
    /// Build environment (it may set `CARGO_TARGET_DIR`).
    pub environment: Option<HashMap<String, String>>,
}

/// A function's crate, as cargo sees it.
#[napi(object)]
#[derive(Clone)]
pub struct ResolvedFunction {
    /// The manifest the search found (may be a workspace root).
    pub manifest_path: String,
    pub workspace_root: String,
    pub package_name: String,
    pub package_manifest_path: String,
    pub binary_name: String,
    /// cargo's target directory (honours CARGO_TARGET_DIR and .cargo/config.toml).
    pub target_directory: String,
    /// The folder Docker bundling mounts: the workspace root, or the folder
    /// that also holds its members' path dependencies outside it.
    pub source_root: String,
    /// The workspace root relative to `sourceRoot` (`""` when the same).
    pub workspace_in_source: String,
    /// The workspace root inside the Docker bundling container.
    pub container_workspace: String,
}

/// How a function is built.
#[napi(object)]
#[derive(Clone)]
pub struct BuildOptions {
    /// `lambda.Architecture.name`: `x86_64` or `arm64`.
    pub architecture: String,
    /// `lambda.Runtime.name`, for the glibc check.
    pub runtime: String,
    /// `cargo-lambda`, `cargo-zigbuild` or `cross`. Default: the first installed of cargo-lambda, cargo-zigbuild.
    pub package_manager: Option<String>,
    /// Cargo profile. Default: `release`.
    pub profile: Option<String>,
    /// `workspace` (default: the first build of a configuration builds every
    /// Lambda binary of the workspace) or `function` (only this one).
    pub build_scope: Option<String>,
    pub extra_build_args: Option<Vec<String>>,
    pub environment: Option<HashMap<String, String>>,
}

#[napi(object)]
pub struct BundleOptions {
    pub resolved: ResolvedFunction,
    pub build: BuildOptions,
    /// CDK's bundling output folder.
    pub output_dir: String,
    /// Commands from `commandHooks.beforeBundling`, run with `sh -c`.
    pub before_bundling: Option<Vec<String>>,
    /// Commands from `commandHooks.afterBundling`, run with `sh -c`.
    pub after_bundling: Option<Vec<String>>,
}

#[napi(object)]
pub struct BundleResult {
    /// `built` (a cargo invocation ran for it) or `reused` (built earlier in this process).
    pub outcome: String,
    /// How many binaries the cargo invocation built (0 when reused).
    pub binaries_built: u32,
    pub binary_path: String,
    pub asset_path: String,
}

fn sorted_env(env: &Option<HashMap<String, String>>) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = env.clone().unwrap_or_default().into_iter().collect();
    v.sort();
    v
}

fn process_cwd() -> PathBuf {
    std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"))
}

#[napi]
pub fn resolve_function(options: ResolveOptions) -> napi::Result<ResolvedFunction> {
    guarded(|| {
        let cwd = options.cwd.as_deref().map(PathBuf::from).unwrap_or_else(process_cwd);
        let req = EntryRequest {
            defining_file: options.defining_file.as_deref().map(PathBuf::from),
            id: options.id.clone(),
            entry: options.entry.as_deref().map(PathBuf::from),
            cwd: cwd.clone(),
        };
        let manifest = absolute(&cwd, &find_manifest(&req)?);
        let env = sorted_env(&options.environment);
        let ws = load_workspace(&manifest, &env)?;
        let selection = select_binary(&ws, &manifest, options.binary_name.as_deref())?;
        let source_root = source_root(&ws, &env)?;
        let workspace_in_source = relative_inside(&source_root, &ws.workspace_root);
        Ok(ResolvedFunction {
            source_root: source_root.to_string_lossy().into_owned(),
            container_workspace: docker::container_workspace(&workspace_in_source).to_string_lossy().into_owned(),
            workspace_in_source,
            manifest_path: manifest.to_string_lossy().into_owned(),
            workspace_root: ws.workspace_root.to_string_lossy().into_owned(),
            package_name: selection.package.name.clone(),
            package_manifest_path: selection.package.manifest_path.to_string_lossy().into_owned(),
            binary_name: selection.binary,
            target_directory: ws.target_directory.to_string_lossy().into_owned(),
        })
    })
}

/// The package manager to use: the requested one (which must be installed),
/// else the first of cargo-lambda and cargo-zigbuild found on PATH.
fn choose_package_manager(requested: Option<&str>) -> CoreResult<Option<PackageManager>> {
    let path = std::env::var_os("PATH");
    if let Some(name) = requested {
        let pm = PackageManager::parse(name)?;
        if find_on_path(pm.executable(), path.as_deref()).is_none() {
            return Err(CoreError::new(
                ErrorCode::ToolMissing,
                format!("`{}` is not on PATH, but the function asks for it. Install it: {}", pm.executable(), pm.install_hint()),
            ));
        }
        return Ok(Some(pm));
    }
    Ok([PackageManager::CargoLambda, PackageManager::CargoZigbuild]
        .into_iter()
        .find(|pm| find_on_path(pm.executable(), path.as_deref()).is_some()))
}

/// The local package manager that would build, or null when none is installed
/// and none was asked for (the construct then falls back to Docker).
#[napi]
pub fn detect_package_manager(requested: Option<String>) -> napi::Result<Option<String>> {
    guarded(|| Ok(choose_package_manager(requested.as_deref())?.map(|pm| pm.name().to_string())))
}

fn build_config(build: &BuildOptions, package_manager: PackageManager) -> CoreResult<BuildConfig> {
    let arch = Arch::parse(&build.architecture)?;
    Ok(BuildConfig {
        triple: arch.triple().to_string(),
        profile: build.profile.clone().unwrap_or_else(|| "release".into()),
        package_manager,
        extra_build_args: build.extra_build_args.clone().unwrap_or_default(),
        environment: sorted_env(&build.environment),
    })
}

/// The asset hash: a digest of exactly the files that feed the binary and of
/// the build configuration. Paths enter it relative to the workspace root.
#[napi]
pub fn fingerprint_function(resolved: ResolvedFunction, build: BuildOptions) -> napi::Result<String> {
    guarded(|| {
        let label = match &build.package_manager {
            Some(name) => PackageManager::parse(name)?.name(),
            None => "auto",
        };
        // The tool does not matter here: the label stands for it.
        let config = build_config(&build, PackageManager::CargoLambda)?;
        function_asset_hash(Path::new(&resolved.package_manifest_path), &resolved.binary_name, &config, label)
    })
}

/// Builds the function and writes `bootstrap.zip` into `outputDir`.
#[napi]
pub fn bundle_function(options: BundleOptions) -> napi::Result<BundleResult> {
    guarded(|| {
        let build = &options.build;
        let package_manager = choose_package_manager(build.package_manager.as_deref())?.ok_or_else(|| {
            CoreError::new(
                ErrorCode::ToolMissing,
                format!(
                    "no local Rust Lambda build tool found on PATH. Install one:\n  - cargo-lambda: {}\n  - cargo-zigbuild: {}\nor use Docker bundling (`bundling.forceDockerBundling`).",
                    PackageManager::CargoLambda.install_hint(),
                    PackageManager::CargoZigbuild.install_hint()
                ),
            )
        })?;
        let req = BundleRequest {
            workspace_root: PathBuf::from(&options.resolved.workspace_root),
            target_directory: PathBuf::from(&options.resolved.target_directory),
            package: options.resolved.package_name.clone(),
            binary: options.resolved.binary_name.clone(),
            arch: Arch::parse(&build.architecture)?,
            runtime: build.runtime.clone(),
            config: build_config(build, package_manager)?,
            scope: BuildScope::parse(build.build_scope.as_deref().unwrap_or("workspace"))?,
            output_dir: PathBuf::from(&options.output_dir),
            before_bundling: options.before_bundling.clone().unwrap_or_default(),
            after_bundling: options.after_bundling.clone().unwrap_or_default(),
        };
        let report = bundler::bundle(&req)?;
        Ok(BundleResult {
            outcome: match report.outcome {
                BuildOutcome::Built { .. } => "built".into(),
                BuildOutcome::Reused => "reused".into(),
            },
            binaries_built: match report.outcome {
                BuildOutcome::Built { binaries } => binaries as u32,
                BuildOutcome::Reused => 0,
            },
            binary_path: report.binary_path.to_string_lossy().into_owned(),
            asset_path: report.asset_path.to_string_lossy().into_owned(),
        })
    })
}

/// The command Docker bundling runs in the container (see `docker.rs`).
#[napi]
pub fn docker_bundling_command(
    resolved: ResolvedFunction,
    build: BuildOptions,
    before_bundling: Vec<String>,
    after_bundling: Vec<String>,
) -> napi::Result<Vec<String>> {
    guarded(|| {
        let pm = match &build.package_manager {
            Some(name) => PackageManager::parse(name)?,
            None => PackageManager::CargoLambda,
        };
        let config = build_config(&build, pm)?;
        docker::docker_command(&resolved.workspace_in_source, &resolved.package_name, &resolved.binary_name, &config, &before_bundling, &after_bundling)
    })
}

/// The package's cache folder (see `metadata_cache::cache_base`), from the
/// values of `CDK_LAMBDA_RUST_CACHE_DIR`, `XDG_CACHE_HOME` and the home folder.
#[napi]
pub fn cache_dir(explicit: Option<String>, xdg: Option<String>, home: Option<String>) -> Option<String> {
    crate::metadata_cache::cache_base(explicit.as_deref(), xdg.as_deref(), home.as_deref())
        .map(|p| p.to_string_lossy().into_owned())
}

/// Checks a built binary against an architecture and runtime, as bundling does.
#[napi]
pub fn verify_bootstrap(path: String, architecture: String, runtime: String) -> napi::Result<()> {
    guarded(|| bundler::verify(Path::new(&path), Arch::parse(&architecture)?, &runtime))
}

#[cfg(test)]
mod tests {
    use super::*;

    // (`guarded` itself needs Node's napi symbols, so the pure half is tested.)
    #[test]
    fn panics_become_internal_errors_instead_of_aborting() {
        let err = catch_panics::<()>(|| panic!("index out of bounds")).unwrap_err();
        assert_eq!(err.code, ErrorCode::InternalError);
        assert!(err.to_string().starts_with("[INTERNAL_ERROR] "), "{err}");
        assert!(err.message.contains("index out of bounds"));
        let err = catch_panics::<()>(|| panic!("{}", String::from("formatted"))).unwrap_err();
        assert!(err.message.contains("formatted"));
    }
}

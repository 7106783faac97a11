//! The Node.js binding of cdk-lambda-rust: conversions between napi's types
//! and the core's, panic capture and error mapping (`boundary`). Every rule
//! lives in `cdk-lambda-rust-core`.

mod boundary;
mod options;

use std::path::{Path, PathBuf};

use cdk_lambda_rust_core as core;
use cdk_lambda_rust_core::Core;
use napi_derive::napi;

use boundary::{guarded, Result};
pub use options::*;

fn process_cwd() -> PathBuf {
    std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"))
}

fn workspace_in_source(resolved: &ResolvedFunction) -> String {
    core::docker::workspace_in_source(Path::new(&resolved.source_root), Path::new(&resolved.workspace_root))
}

/// Finds a function's crate and binary.
#[napi]
pub fn resolve_function(options: ResolveOptions) -> Result<ResolvedFunction> {
    guarded(|| {
        let request = core::resolve::ResolveRequest {
            defining_file: options.defining_file.map(PathBuf::from),
            id: options.id,
            entry: options.entry.map(PathBuf::from),
            binary_name: options.binary_name,
            cwd: options.cwd.map(PathBuf::from).unwrap_or_else(process_cwd),
            environment: sorted(&options.environment),
        };
        Ok(core::resolve::resolve_function(&Core::shared().workspaces, &request)?.into())
    })
}

/// The asset hash: a digest of exactly the files that feed the binary and of
/// the build configuration. Paths enter it relative to the workspace root.
#[napi]
pub fn fingerprint_function(resolved: ResolvedFunction, build: BuildOptions) -> Result<String> {
    guarded(|| {
        let requested = build.requested_tool();
        let label = requested.map_or("auto", |t| t.name());
        // The configuration's tool does not enter the hash: the label stands for it.
        let config = build.config(requested.unwrap_or(core::config::BuildTool::CargoLambda))?;
        core::asset_hash::function_asset_hash(
            &Core::shared().workspaces,
            Path::new(&resolved.package_manifest_path),
            &resolved.binary_name,
            &config,
            label,
        )
    })
}

/// The build tool that builds on this machine, or null when Docker bundling
/// runs instead (forced, or no local tool installed and none asked for).
#[napi]
pub fn local_build_tool(build: BuildOptions, force_docker: bool) -> Result<Option<BuildTool>> {
    guarded(|| Ok(core::toolchain::tool_for_local_bundling(build.requested_tool(), force_docker)?.map(Into::into)))
}

/// Says on stderr that `label` is built with Docker because no local tool is installed.
#[napi]
pub fn note_docker_fallback(label: String, image: String, architecture: Architecture) {
    let arch: core::target::Arch = architecture.into();
    core::progress::docker_fallback(&label, &image, arch.name());
}

/// Builds the function and writes `bootstrap.zip` into `outputDir`.
#[napi]
pub fn bundle_function(
    resolved: ResolvedFunction,
    build: BuildOptions,
    options: BundleOptions,
) -> Result<BundleResult> {
    guarded(|| {
        let tool: core::config::BuildTool = options.tool.into();
        let request = core::bundler::BundleRequest {
            workspace_root: PathBuf::from(&resolved.workspace_root),
            target_directory: PathBuf::from(&resolved.target_directory),
            package: resolved.package_name.clone(),
            binary: resolved.binary_name.clone(),
            arch: build.architecture.into(),
            runtime: build.runtime.clone(),
            config: build.config(tool)?,
            scope: build.build_scope.map(Into::into).unwrap_or_default(),
            output_dir: PathBuf::from(&options.output_dir),
            before_bundling: options.before_bundling.unwrap_or_default(),
            after_bundling: options.after_bundling.unwrap_or_default(),
            label: options.label,
            passed_environment: options.pass_environment.unwrap_or_default(),
        };
        let core = Core::shared();
        let report = core::bundler::bundle(&core.workspaces, &core.builds, &request)?;
        let (outcome, binaries_built) = match report.outcome {
            core::bundler::BuildOutcome::Built { binaries } => (BuildOutcome::Built, binaries as u32),
            core::bundler::BuildOutcome::Reused => (BuildOutcome::Reused, 0),
        };
        Ok(BundleResult {
            outcome,
            binaries_built,
            binary_path: report.binary_path.to_string_lossy().into_owned(),
            asset_path: report.asset_path.to_string_lossy().into_owned(),
        })
    })
}

/// The folders `commandHooks` get in the Docker bundling container.
#[napi]
pub fn docker_hook_dirs(resolved: ResolvedFunction) -> HookDirs {
    let (input, output) = core::docker::hook_dirs(&workspace_in_source(&resolved));
    HookDirs { input_dir: input.to_string_lossy().into_owned(), output_dir: output.to_string() }
}

/// The command Docker bundling runs in the container (see the core's `docker`).
#[napi]
pub fn docker_bundling_command(
    resolved: ResolvedFunction,
    build: BuildOptions,
    options: DockerCommandOptions,
) -> Result<Vec<String>> {
    guarded(|| {
        // Docker bundling runs cargo-lambda unless another tool was asked for.
        let config = build.config(build.requested_tool().unwrap_or(core::config::BuildTool::CargoLambda))?;
        core::docker::docker_command(&core::docker::ContainerBuild {
            workspace_in_source: &workspace_in_source(&resolved),
            package: &resolved.package_name,
            binary: &resolved.binary_name,
            config: &config,
            before_bundling: &options.before_bundling,
            after_bundling: &options.after_bundling,
            forced: options.forced,
            passes_environment: options.passes_environment,
        })
    })
}

/// The package's cache folder, from the values of `CDK_LAMBDA_RUST_CACHE_DIR`,
/// `XDG_CACHE_HOME` and the home folder.
#[napi]
pub fn cache_dir(explicit: Option<String>, xdg: Option<String>, home: Option<String>) -> Option<String> {
    core::cache_dir::cache_base(explicit.as_deref(), xdg.as_deref(), home.as_deref())
        .map(|p| p.to_string_lossy().into_owned())
}

/// Creates `dir` (and every folder from `base` down to it) private, or refuses
/// it with `CACHE_UNSAFE` when another user owns it or others can write it.
#[napi]
pub fn ensure_private_dir(base: String, dir: String) -> Result<()> {
    guarded(|| core::cache_dir::ensure_private(Path::new(&base), Path::new(&dir)))
}

/// Writes the values of the `passEnvironment` variables into a private file
/// in `dir`, for Docker bundling to mount at `containerDir`. Returns the file.
#[napi]
pub fn write_passed_environment(dir: String, names: Vec<String>) -> Result<String> {
    guarded(|| Ok(core::passed_env::write_file(Path::new(&dir), &names)?.to_string_lossy().into_owned()))
}

/// Where Docker bundling mounts the folder of the `passEnvironment` file.
#[napi]
pub fn passed_environment_container_dir() -> String {
    core::passed_env::CONTAINER_DIR.to_string()
}

/// Checks a built binary against an architecture and runtime, as bundling does.
#[napi]
pub fn verify_bootstrap(path: String, architecture: Architecture, runtime: String) -> Result<()> {
    guarded(|| core::elf::verify_bootstrap(Path::new(&path), architecture.into(), &runtime))
}

/// Whether an environment variable is a compile cache's setting (sccache's
/// `RUSTC_WRAPPER`, `SCCACHE_*`), which stays out of the asset hash.
#[napi]
pub fn is_compile_cache_setting(key: String) -> bool {
    core::config::is_compile_cache_setting(&key)
}

/// The asset store's key for a function whose fingerprint is `fingerprint`,
/// built locally (toolchain: `rustc -vV` in its workspace) or in
/// `docker_image`; null when the store is off or the toolchain unknown.
#[napi]
pub fn asset_store_key(
    resolved: ResolvedFunction,
    build: BuildOptions,
    fingerprint: String,
    docker_image: Option<String>,
) -> Option<String> {
    core::asset_store::AssetStore::from_env()?;
    let toolchain = match docker_image {
        Some(image) => format!("image:{image}"),
        None => {
            core::asset_store::toolchain_identity(Path::new(&resolved.workspace_root), &sorted(&build.environment))?
        }
    };
    Some(core::asset_store::StoreKey { fingerprint, runtime: build.runtime, toolchain }.digest())
}

/// Stages the stored asset `key` as `outputDir/bootstrap.zip` when the store
/// has it intact; says so on stderr. Returns whether it did.
#[napi]
pub fn fetch_stored_asset(key: String, output_dir: String, label: String) -> Result<bool> {
    guarded(|| {
        let Some(store) = core::asset_store::AssetStore::from_env() else { return Ok(false) };
        let dest = Path::new(&output_dir).join(core::artifact::BOOTSTRAP_ZIP);
        let found = store.fetch(&key, &dest)?;
        if found {
            core::progress::restored(&label);
        }
        Ok(found)
    })
}

/// Files a staged zip (local bundling) in the asset store as `key`.
#[napi]
pub fn store_asset(key: String, zip: String) -> Result<()> {
    guarded(|| match core::asset_store::AssetStore::from_env() {
        Some(store) => store.put(&key, Path::new(&zip)),
        None => Ok(()),
    })
}

/// Files a binary Docker bundling staged (at `entry` inside the asset) in
/// the asset store as `key`, zipped as local bundling zips it.
#[napi]
pub fn store_docker_asset(key: String, binary: String, entry: String) -> Result<()> {
    guarded(|| match core::asset_store::AssetStore::from_env() {
        Some(store) => core::asset_store::put_binary(&store, &key, Path::new(&binary), &entry),
        None => Ok(()),
    })
}

/// Says that a function's asset was already in `cdk.out`, so CDK did not bundle it.
#[napi]
pub fn note_unchanged(label: String) {
    core::progress::unchanged(&label);
}

/// Test builds only (`--features test-panic`): panics with `message` inside
/// the same boundary as every export, so a test can check that a panic in
/// the core becomes an `INTERNAL_ERROR` and leaves Node running. There is no
/// input that makes a real export panic (and there must be none).
#[cfg(feature = "test-panic")]
#[napi]
pub fn panic_for_tests(message: String) -> Result<String> {
    guarded(|| -> core::Result<String> { panic!("{message}") })
}

//! What crosses the boundary: typed option objects and string enums
//! (generated into `index.d.ts`), and their conversions into the core's types.

use std::collections::HashMap;
use std::path::PathBuf;

use cdk_lambda_rust_core as core;
use napi_derive::napi;

/// `lambda.Architecture.name`.
#[napi(string_enum)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Architecture {
    #[napi(value = "x86_64")]
    X86_64,
    #[napi(value = "arm64")]
    Arm64,
}

/// The build tool (`PackageManagerType`'s values).
#[napi(string_enum)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuildTool {
    #[napi(value = "cargo-lambda")]
    CargoLambda,
    #[napi(value = "cargo-zigbuild")]
    CargoZigbuild,
    #[napi(value = "cross")]
    Cross,
}

/// Which binaries the first build of a configuration compiles (`BuildScope`'s values).
#[napi(string_enum)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuildScope {
    #[napi(value = "workspace")]
    Workspace,
    #[napi(value = "function")]
    Function,
}

/// What a build makes (`Artifact`'s values).
#[napi(string_enum)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Artifact {
    /// A function's `bootstrap`.
    #[napi(value = "function")]
    Function,
    /// A Lambda extension, at `extensions/<binary>` in a layer.
    #[napi(value = "extension")]
    Extension,
}

/// What bundling did for a function.
#[napi(string_enum)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuildOutcome {
    /// A cargo invocation ran for it.
    #[napi(value = "built")]
    Built,
    /// An earlier build of this process made its binary.
    #[napi(value = "reused")]
    Reused,
}

/// Where a function's crate is, as the construct gives it.
#[napi(object)]
pub struct ResolveOptions {
    /// The file that called `new RustFunction(...)`.
    pub defining_file: Option<String>,
    /// The construct id.
    pub id: Option<String>,
    /// `entry`: a Cargo.toml or the folder holding one.
    pub entry: Option<String>,
    /// `binaryName`.
    pub binary_name: Option<String>,
    /// Folder relative paths are taken from. Default: the process's.
    pub cwd: Option<String>,
    /// Build environment (it may set `CARGO_TARGET_DIR`).
    pub environment: Option<HashMap<String, String>>,
}

/// A function's crate, as cargo sees it: what the construct needs, and what
/// later calls need back.
#[napi(object)]
#[derive(Clone)]
pub struct ResolvedFunction {
    pub package_name: String,
    pub binary_name: String,
    pub workspace_root: String,
    /// The folder the asset is made from (and Docker bundling mounts): the
    /// workspace root, or the folder that also holds path dependencies outside it.
    pub source_root: String,
    pub package_manifest_path: String,
    /// cargo's target directory (honours CARGO_TARGET_DIR and .cargo/config.toml).
    pub target_directory: String,
}

/// How a function is built.
#[napi(object)]
#[derive(Clone)]
pub struct BuildOptions {
    pub architecture: Architecture,
    /// `lambda.Runtime.name`, for the glibc check.
    pub runtime: String,
    /// `packageManagerType`. Default: the first installed of cargo-lambda, cargo-zigbuild.
    pub tool: Option<BuildTool>,
    /// Cargo profile. Default: `release`.
    pub profile: Option<String>,
    pub build_scope: Option<BuildScope>,
    pub extra_build_args: Option<Vec<String>>,
    pub environment: Option<HashMap<String, String>>,
    /// Default: a function.
    pub artifact: Option<Artifact>,
}

/// A local build of one function.
#[napi(object)]
pub struct BundleOptions {
    /// The build tool that builds (see `localBuildTool`).
    pub tool: BuildTool,
    /// CDK's bundling output folder.
    pub output_dir: String,
    /// Commands from `commandHooks.beforeBundling`, run with `sh -c`.
    pub before_bundling: Option<Vec<String>>,
    /// Commands from `commandHooks.afterBundling`, run with `sh -c`.
    pub after_bundling: Option<Vec<String>>,
    /// How progress lines name the function.
    pub label: String,
    /// `passEnvironment`: inherited by the build, checked to be set.
    pub pass_environment: Option<Vec<String>>,
}

#[napi(object)]
pub struct BundleResult {
    pub outcome: BuildOutcome,
    /// How many binaries the cargo invocation built (0 when reused).
    pub binaries_built: u32,
    pub binary_path: String,
    pub asset_path: String,
}

/// The container command of Docker bundling.
#[napi(object)]
pub struct DockerCommandOptions {
    pub before_bundling: Vec<String>,
    pub after_bundling: Vec<String>,
    /// `forceDockerBundling`.
    pub forced: bool,
    /// `passEnvironment` names variables (read from a mounted file in the container).
    pub passes_environment: bool,
}

/// The folders `commandHooks` get in the container.
#[napi(object)]
pub struct HookDirs {
    pub input_dir: String,
    pub output_dir: String,
}

impl From<Architecture> for core::target::Arch {
    fn from(a: Architecture) -> Self {
        match a {
            Architecture::X86_64 => core::target::Arch::X86_64,
            Architecture::Arm64 => core::target::Arch::Arm64,
        }
    }
}

impl From<BuildTool> for core::config::BuildTool {
    fn from(t: BuildTool) -> Self {
        match t {
            BuildTool::CargoLambda => core::config::BuildTool::CargoLambda,
            BuildTool::CargoZigbuild => core::config::BuildTool::CargoZigbuild,
            BuildTool::Cross => core::config::BuildTool::Cross,
        }
    }
}

impl From<core::config::BuildTool> for BuildTool {
    fn from(t: core::config::BuildTool) -> Self {
        match t {
            core::config::BuildTool::CargoLambda => BuildTool::CargoLambda,
            core::config::BuildTool::CargoZigbuild => BuildTool::CargoZigbuild,
            core::config::BuildTool::Cross => BuildTool::Cross,
        }
    }
}

impl From<BuildScope> for core::config::BuildScope {
    fn from(s: BuildScope) -> Self {
        match s {
            BuildScope::Workspace => core::config::BuildScope::Workspace,
            BuildScope::Function => core::config::BuildScope::Function,
        }
    }
}

pub fn sorted(env: &Option<HashMap<String, String>>) -> Vec<(String, String)> {
    core::config::sorted_environment(env.clone().unwrap_or_default())
}

impl BuildOptions {
    /// The core's configuration, built with `tool` (see `BuildConfig::resolve`).
    pub fn config(&self, tool: core::config::BuildTool) -> core::Result<core::config::BuildConfig> {
        let request = core::config::BuildRequest {
            profile: self.profile.clone(),
            extra_build_args: self.extra_build_args.clone().unwrap_or_default(),
            environment: sorted(&self.environment),
            artifact: match self.artifact {
                Some(Artifact::Extension) => core::config::Artifact::Extension,
                _ => core::config::Artifact::Function,
            },
        };
        core::config::BuildConfig::resolve(self.architecture.into(), &self.runtime, tool, &request)
    }

    pub fn requested_tool(&self) -> Option<core::config::BuildTool> {
        self.tool.map(Into::into)
    }
}

fn text(path: PathBuf) -> String {
    path.to_string_lossy().into_owned()
}

impl From<core::resolve::ResolvedFunction> for ResolvedFunction {
    fn from(r: core::resolve::ResolvedFunction) -> Self {
        ResolvedFunction {
            package_name: r.package_name,
            binary_name: r.binary_name,
            workspace_root: text(r.workspace_root),
            source_root: text(r.source_root),
            package_manifest_path: text(r.package_manifest),
            target_directory: text(r.target_directory),
        }
    }
}

//! What decides how a function is built: its build tool, its target, and the
//! configuration that functions must share to share one cargo invocation.

/// The tool that compiles a function's binary (`packageManagerType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BuildTool {
    /// `cargo lambda build`: Zig linker, old glibc, the default.
    CargoLambda,
    /// `cargo zigbuild`: the same Zig linking without cargo-lambda.
    CargoZigbuild,
    /// `cross build`: builds inside cross's Docker images.
    Cross,
}

impl BuildTool {
    /// The value users pass (`PackageManagerType`'s values); also the label
    /// the fingerprint records.
    pub fn name(self) -> &'static str {
        match self {
            BuildTool::CargoLambda => "cargo-lambda",
            BuildTool::CargoZigbuild => "cargo-zigbuild",
            BuildTool::Cross => "cross",
        }
    }

    /// The executable that must be on PATH for this tool.
    pub fn executable(self) -> &'static str {
        match self {
            BuildTool::CargoLambda => "cargo-lambda",
            BuildTool::CargoZigbuild => "cargo-zigbuild",
            BuildTool::Cross => "cross",
        }
    }

    pub fn install_hint(self) -> &'static str {
        match self {
            BuildTool::CargoLambda => "pip install cargo-lambda (brings Zig), or see https://www.cargo-lambda.info",
            BuildTool::CargoZigbuild => "pip install cargo-zigbuild (brings Zig)",
            BuildTool::Cross => "cargo install cross, and run a Docker engine",
        }
    }
}

/// Which binaries the first build of a configuration compiles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BuildScope {
    /// Every Lambda binary of the workspace (the default).
    #[default]
    Workspace,
    /// Only the function's own binary.
    Function,
}

/// What a build makes: a function's `bootstrap`, or a Lambda extension (a
/// layer's `extensions/<name>`; `cargo lambda build --extension`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Artifact {
    #[default]
    Function,
    Extension,
}

/// Everything that decides how a function's binary is built. Functions with
/// equal configurations can share one cargo invocation.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BuildConfig {
    /// The `--target`: a Rust triple, with a glibc version suffix
    /// (`x86_64-unknown-linux-gnu.2.26`) when Zig links against an older glibc.
    pub triple: String,
    pub profile: String,
    pub tool: BuildTool,
    pub extra_build_args: Vec<String>,
    /// Sorted by key.
    pub environment: Vec<(String, String)>,
    pub artifact: Artifact,
}

impl BuildConfig {
    /// The Rust target triple, without Zig's glibc suffix: what rustup
    /// installs and where cargo puts the artifacts.
    pub fn rust_triple(&self) -> &str {
        rust_triple(&self.triple)
    }

    /// A canonical text of the configuration, for the fingerprint. Values are
    /// length-prefixed so no two configurations can print the same.
    /// `tool_label` is the build tool to record: the fingerprint records the
    /// requested one (or `auto`), not the one a machine happens to have.
    pub fn canonical(&self, tool_label: &str) -> String {
        let mut out = String::new();
        let mut field = |k: &str, v: &str| out.push_str(&format!("{k}:{}:{v};", v.len()));
        field("triple", &self.triple);
        field("profile", &self.profile);
        // The key predates the "build tool" wording; it is part of every hash.
        field("package-manager", tool_label);
        for arg in &self.extra_build_args {
            field("arg", arg);
        }
        for (k, v) in self.environment.iter().filter(|(k, _)| !is_compile_cache_setting(k)) {
            field("env-key", k);
            field("env-value", v);
        }
        // Functions record nothing here: their hashes predate extensions.
        if self.artifact == Artifact::Extension {
            field("artifact", "extension");
        }
        out
    }
}

/// Settings of a compile cache (sccache): they change how a build is run,
/// not what it makes, so they stay out of the asset hash (the same sources
/// give the same key with and without a cache, and a secret in them never
/// enters it).
pub fn is_compile_cache_setting(key: &str) -> bool {
    matches!(key, "RUSTC_WRAPPER" | "CARGO_BUILD_RUSTC_WRAPPER") || key.starts_with("SCCACHE_")
}

/// `triple` without a glibc version suffix (`x86_64-unknown-linux-gnu.2.26`
/// → `x86_64-unknown-linux-gnu`).
pub fn rust_triple(triple: &str) -> &str {
    match triple.split_once('.') {
        Some((base, version)) if version.chars().all(|c| c.is_ascii_digit() || c == '.') => base,
        _ => triple,
    }
}

/// What a function's props say about its build, before choosing a tool.
#[derive(Debug, Clone, Default)]
pub struct BuildRequest {
    /// `bundling.profile`.
    pub profile: Option<String>,
    /// `bundling.extraBuildArgs`, as given.
    pub extra_build_args: Vec<String>,
    /// `bundling.environment`, sorted.
    pub environment: Vec<(String, String)>,
    pub artifact: Artifact,
}

impl BuildConfig {
    /// The configuration a function is built with:
    /// - the target is the architecture's triple, or a `--target` in
    ///   `extraBuildArgs` for that architecture (e.g. with a glibc suffix);
    ///   when Zig links (cargo-lambda, cargo-zigbuild) for a runtime with an
    ///   older glibc than the tools' default (`provided.al2`: 2.26), the
    ///   suffix for that runtime's glibc, so its bootstrap starts there;
    /// - the profile is `profile`, or `--release`/`--profile` in
    ///   `extraBuildArgs` (taken out of them: cargo refuses them twice).
    pub fn resolve(
        arch: crate::target::Arch,
        runtime: &str,
        tool: BuildTool,
        request: &BuildRequest,
    ) -> crate::errors::Result<BuildConfig> {
        let args = crate::build_options::interpret_extra_args(&request.extra_build_args)?;
        let profile = match (&request.profile, args.profile) {
            (Some(prop), Some(arg)) if *prop != arg => {
                return Err(crate::errors::Error::ConflictingProfiles { prop: prop.clone(), arg })
            }
            (Some(prop), _) => prop.clone(),
            (None, Some(arg)) => arg,
            (None, None) => "release".into(),
        };
        let triple = match args.target {
            Some(target) => {
                if !rust_triple(&target).starts_with(arch.triple().split('-').next().unwrap_or_default()) {
                    return Err(crate::errors::Error::TargetForOtherArchitecture { target, architecture: arch.name() });
                }
                target
            }
            None => default_triple(arch, runtime, tool),
        };
        Ok(BuildConfig {
            triple,
            profile,
            tool,
            extra_build_args: args.rest,
            environment: request.environment.clone(),
            artifact: request.artifact,
        })
    }
}

/// The `--target` for `arch` when none is given: with Zig, a glibc suffix for
/// runtimes older than `provided.al2023` (whose glibc the tools' default
/// already fits).
fn default_triple(arch: crate::target::Arch, runtime: &str, tool: BuildTool) -> String {
    let zig = matches!(tool, BuildTool::CargoLambda | BuildTool::CargoZigbuild);
    match crate::target::runtime_max_glibc(runtime) {
        Some((major, minor)) if zig && (major, minor) < (2, 34) => format!("{}.{major}.{minor}", arch.triple()),
        _ => arch.triple().to_string(),
    }
}

/// `env` sorted by key, as `BuildConfig::environment` holds it.
pub fn sorted_environment(env: impl IntoIterator<Item = (String, String)>) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = env.into_iter().collect();
    v.sort();
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> BuildConfig {
        BuildConfig {
            triple: "aarch64-unknown-linux-gnu".into(),
            profile: "release".into(),
            tool: BuildTool::CargoLambda,
            extra_build_args: vec!["--features".into(), "a b".into()],
            environment: vec![("K".into(), "$(touch x)".into())],
            artifact: Artifact::Function,
        }
    }

    #[test]
    fn canonical_config_changes_with_every_field() {
        let base = config();
        let mut other = base.clone();
        other.extra_build_args.push("--locked".into());
        assert_ne!(base.canonical("auto"), other.canonical("auto"));
        let mut env = base.clone();
        env.environment[0].1.push('!');
        assert_ne!(base.canonical("auto"), env.canonical("auto"));
        assert_ne!(base.canonical("auto"), base.canonical("cross"));
        let mut arm = base.clone();
        arm.triple = "x86_64-unknown-linux-gnu".into();
        assert_ne!(base.canonical("auto"), arm.canonical("auto"));
    }

    #[test]
    fn compile_cache_settings_stay_out_of_the_canonical_text() {
        let base = config();
        let mut cached = base.clone();
        cached.environment.extend([
            ("RUSTC_WRAPPER".into(), "sccache".into()),
            ("SCCACHE_REDIS".into(), "redis://:secret@127.0.0.1/".into()),
            ("SCCACHE_BUCKET".into(), "b".into()),
        ]);
        cached.environment.sort();
        assert_eq!(cached.canonical("auto"), base.canonical("auto"));
        assert!(!cached.canonical("auto").contains("secret"));
    }

    #[test]
    fn the_canonical_text_is_length_prefixed() {
        assert_eq!(
            config().canonical("auto"),
            "triple:25:aarch64-unknown-linux-gnu;profile:7:release;package-manager:4:auto;arg:10:--features;arg:3:a b;env-key:1:K;env-value:10:$(touch x);"
        );
    }

    use crate::target::Arch;

    fn request(args: &[&str]) -> BuildRequest {
        BuildRequest { extra_build_args: args.iter().map(|s| s.to_string()).collect(), ..Default::default() }
    }

    #[test]
    fn older_runtimes_get_the_glibc_suffix_zig_links_against() {
        let resolve = |runtime, tool| BuildConfig::resolve(Arch::X86_64, runtime, tool, &request(&[])).unwrap().triple;
        assert_eq!(resolve("provided.al2023", BuildTool::CargoLambda), "x86_64-unknown-linux-gnu");
        assert_eq!(resolve("provided.al2", BuildTool::CargoLambda), "x86_64-unknown-linux-gnu.2.26");
        assert_eq!(resolve("provided.al2", BuildTool::CargoZigbuild), "x86_64-unknown-linux-gnu.2.26");
        assert_eq!(resolve("provided", BuildTool::CargoZigbuild), "x86_64-unknown-linux-gnu.2.17");
        assert_eq!(resolve("provided.al2", BuildTool::Cross), "x86_64-unknown-linux-gnu", "cross has no suffix");
        let arm = BuildConfig::resolve(Arch::Arm64, "provided.al2", BuildTool::CargoLambda, &request(&[])).unwrap();
        assert_eq!(
            (arm.triple.as_str(), arm.rust_triple()),
            ("aarch64-unknown-linux-gnu.2.26", "aarch64-unknown-linux-gnu")
        );
    }

    #[test]
    fn release_and_profile_arguments_set_the_profile_once() {
        let resolve = |args: &[&str], profile: Option<&str>| {
            let mut r = request(args);
            r.profile = profile.map(String::from);
            BuildConfig::resolve(Arch::X86_64, "provided.al2023", BuildTool::CargoLambda, &r)
        };
        let c = resolve(&["--release", "--features", "x"], None).unwrap();
        assert_eq!(
            (c.profile.as_str(), c.extra_build_args.clone()),
            ("release", vec!["--features".to_string(), "x".into()])
        );
        assert_eq!(resolve(&["--profile", "dev"], None).unwrap().profile, "dev");
        assert_eq!(resolve(&["--profile=lambda"], None).unwrap().profile, "lambda");
        assert_eq!(resolve(&["-r"], None).unwrap().profile, "release");
        assert_eq!(resolve(&["--profile", "dev"], Some("dev")).unwrap().profile, "dev");
        let err = resolve(&["--release"], Some("dev")).unwrap_err();
        assert!(err.message().contains("`bundling.profile` `dev`") && err.message().contains("`release`"), "{err}");
        assert!(resolve(&["--release", "--profile", "dev"], None).is_err());
        // The default, spelled out, hashes like the default.
        let plain = resolve(&[], None).unwrap();
        assert_eq!(resolve(&["--release"], None).unwrap().canonical("auto"), plain.canonical("auto"));
    }

    #[test]
    fn a_target_argument_is_honoured_for_the_functions_architecture_only() {
        let resolve =
            |args: &[&str]| BuildConfig::resolve(Arch::X86_64, "provided.al2", BuildTool::CargoLambda, &request(args));
        let c = resolve(&["--target", "x86_64-unknown-linux-gnu.2.17"]).unwrap();
        assert_eq!((c.triple.as_str(), c.extra_build_args.len()), ("x86_64-unknown-linux-gnu.2.17", 0));
        assert_eq!(resolve(&["--target=x86_64-unknown-linux-musl"]).unwrap().triple, "x86_64-unknown-linux-musl");
        let err = resolve(&["--target", "aarch64-unknown-linux-gnu"]).unwrap_err();
        assert!(err.message().contains("`architecture`"), "{err}");
    }
}

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

/// Everything that decides how a function's binary is built. Functions with
/// equal configurations can share one cargo invocation.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BuildConfig {
    pub triple: String,
    pub profile: String,
    pub tool: BuildTool,
    pub extra_build_args: Vec<String>,
    /// Sorted by key.
    pub environment: Vec<(String, String)>,
}

impl BuildConfig {
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
        for (k, v) in &self.environment {
            field("env-key", k);
            field("env-value", v);
        }
        out
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
    fn the_canonical_text_is_length_prefixed() {
        assert_eq!(
            config().canonical("auto"),
            "triple:25:aarch64-unknown-linux-gnu;profile:7:release;package-manager:4:auto;arg:10:--features;arg:3:a b;env-key:1:K;env-value:10:$(touch x);"
        );
    }
}

//! Build commands as argument vectors. Nothing here is ever handed to a
//! shell, so no user value (binary name, feature, path, environment value)
//! can change what runs.

use std::path::{Path, PathBuf};

use crate::config::{Artifact, BuildConfig, BuildTool};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildCommand {
    pub program: String,
    pub args: Vec<String>,
    pub cwd: PathBuf,
    pub env: Vec<(String, String)>,
}

impl BuildCommand {
    /// For logs and error messages only: a readable, quoted rendering.
    pub fn display(&self) -> String {
        std::iter::once(self.program.as_str())
            .chain(self.args.iter().map(String::as_str))
            .map(quote_for_display)
            .collect::<Vec<_>>()
            .join(" ")
    }
}

fn quote_for_display(word: &str) -> String {
    let plain = !word.is_empty() && word.chars().all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// Which packages and binaries one cargo invocation builds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildTargets {
    /// (package, binary) pairs.
    pub binaries: Vec<(String, String)>,
}

/// The cargo invocation for `targets` under `config`, run from the workspace root.
pub fn build_command(
    workspace_root: &Path,
    target_directory: &Path,
    config: &BuildConfig,
    targets: &BuildTargets,
) -> BuildCommand {
    let (program, mut args) = match config.tool {
        BuildTool::CargoLambda => ("cargo", vec!["lambda".to_string(), "build".to_string()]),
        BuildTool::CargoZigbuild => ("cargo", vec!["zigbuild".to_string()]),
        BuildTool::Cross => ("cross", vec!["build".to_string()]),
    };
    if config.profile == "release" {
        args.push("--release".into());
    } else {
        args.push("--profile".into());
        args.push(config.profile.clone());
    }
    args.push("--target".into());
    args.push(config.triple.clone());
    args.push("--manifest-path".into());
    args.push(workspace_root.join("Cargo.toml").to_string_lossy().into_owned());
    if config.tool == BuildTool::CargoLambda {
        // cargo-lambda moves each binary to `<lambda-dir>/<bin>/bootstrap`
        // (an extension to `<lambda-dir>/extensions/<bin>`); the default
        // folder is shared by all targets, so give each target and profile its own.
        if config.artifact == Artifact::Extension {
            args.push("--extension".into());
        }
        args.push("--lambda-dir".into());
        args.push(lambda_dir(target_directory, config).to_string_lossy().into_owned());
    }
    let mut packages: Vec<&str> = targets.binaries.iter().map(|(p, _)| p.as_str()).collect();
    packages.sort();
    packages.dedup();
    for package in packages {
        args.push("--package".into());
        args.push(package.to_string());
    }
    for (_, bin) in &targets.binaries {
        args.push("--bin".into());
        args.push(bin.clone());
    }
    args.extend(config.extra_build_args.iter().cloned());
    BuildCommand { program: program.into(), args, cwd: workspace_root.to_path_buf(), env: config.environment.clone() }
}

/// The folder cargo writes `profile`'s artifacts to for `triple`.
pub fn artifact_dir(target_directory: &Path, triple: &str, profile: &str) -> PathBuf {
    let profile_dir = match profile {
        "dev" | "test" => "debug",
        "bench" => "release",
        other => other,
    };
    target_directory.join(triple).join(profile_dir)
}

/// A folder of our own per build configuration. Cargo's own output path
/// (`<target>/<triple>/<profile>/<bin>`) is shared by every configuration
/// with the same target and profile: a build with other features or
/// environment overwrites it. Binaries are kept per configuration here.
pub fn config_dir(target_directory: &Path, config: &BuildConfig) -> PathBuf {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(config.canonical(config.tool.name()).as_bytes());
    let short: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    target_directory.join("cdk-lambda-rust").join(format!("{}-{}-{short}", config.triple, config.profile))
}

fn lambda_dir(target_directory: &Path, config: &BuildConfig) -> PathBuf {
    config_dir(target_directory, config)
}

/// Where the build tool leaves `bin`.
pub fn tool_output_path(target_directory: &Path, config: &BuildConfig, bin: &str) -> PathBuf {
    match config.tool {
        BuildTool::CargoLambda => match config.artifact {
            Artifact::Function => lambda_dir(target_directory, config).join(bin).join("bootstrap"),
            Artifact::Extension => lambda_dir(target_directory, config).join("extensions").join(bin),
        },
        BuildTool::CargoZigbuild | BuildTool::Cross => {
            artifact_dir(target_directory, config.rust_triple(), &config.profile).join(bin)
        }
    }
}

/// The path of `bin` inside the asset: `bootstrap` for a function, and
/// `extensions/<bin>` for an extension (the layer is unpacked in `/opt`, and
/// Lambda starts every executable in `/opt/extensions`).
pub fn asset_entry(config: &BuildConfig, bin: &str) -> String {
    match config.artifact {
        Artifact::Function => "bootstrap".into(),
        Artifact::Extension => format!("extensions/{bin}"),
    }
}

/// Where `bin`, built with `config`, is kept for staging (see `config_dir`).
/// For cargo-lambda, that is where it leaves it; other tools' output is
/// copied there after the build.
pub fn built_binary_path(target_directory: &Path, config: &BuildConfig, bin: &str) -> PathBuf {
    config_dir(target_directory, config).join(bin).join("bootstrap")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(pm: BuildTool) -> BuildConfig {
        BuildConfig {
            triple: "aarch64-unknown-linux-gnu".into(),
            profile: "release".into(),
            tool: pm,
            extra_build_args: vec!["--features".into(), "a b".into()],
            environment: vec![("K".into(), "$(touch x)".into())],
            artifact: Default::default(),
        }
    }

    fn one(pkg: &str, bin: &str) -> BuildTargets {
        BuildTargets { binaries: vec![(pkg.into(), bin.into())] }
    }

    // The first 8 bytes of sha256(`config(..).canonical(<tool name>)`), as hex, computed outside this
    // crate (`printf '%s' 'triple:25:aarch64-unknown-linux-gnu;profile:7:release;package-manager:12:
    // cargo-lambda;arg:10:--features;arg:3:a b;env-key:1:K;env-value:10:$(touch x);' | sha256sum`):
    // literals, so a change to the folder rule shows up here instead of being recomputed by it.
    const LAMBDA_DIR: &str = "/t/cdk-lambda-rust/aarch64-unknown-linux-gnu-release-7ac99326cd97a476";
    const ZIGBUILD_DIR: &str = "/t/cdk-lambda-rust/aarch64-unknown-linux-gnu-release-07ef0c7cdb127ba9";

    #[test]
    fn cargo_lambda_builds_release_for_the_target_from_the_root() {
        let cmd = build_command(Path::new("/w s"), Path::new("/t"), &config(BuildTool::CargoLambda), &one("p", "b"));
        assert_eq!(cmd.program, "cargo");
        assert_eq!(
            cmd.args,
            [
                "lambda",
                "build",
                "--release",
                "--target",
                "aarch64-unknown-linux-gnu",
                "--manifest-path",
                "/w s/Cargo.toml",
                "--lambda-dir",
                LAMBDA_DIR,
                "--package",
                "p",
                "--bin",
                "b",
                "--features",
                "a b"
            ]
        );
        assert_eq!(cmd.cwd, Path::new("/w s"));
        assert_eq!(cmd.env, vec![("K".to_string(), "$(touch x)".to_string())]);
    }

    #[test]
    fn zigbuild_and_cross_use_their_own_subcommands() {
        let zig = build_command(Path::new("/w"), Path::new("/t"), &config(BuildTool::CargoZigbuild), &one("p", "b"));
        assert_eq!(&zig.args[..2], ["zigbuild", "--release"]);
        let cross = build_command(Path::new("/w"), Path::new("/t"), &config(BuildTool::Cross), &one("p", "b"));
        assert_eq!(cross.program, "cross");
        assert_eq!(&cross.args[..2], ["build", "--release"]);
    }

    #[test]
    fn several_binaries_share_one_invocation_with_packages_deduplicated() {
        let targets = BuildTargets {
            binaries: vec![("p".into(), "a".into()), ("p".into(), "b".into()), ("q".into(), "q".into())],
        };
        let cmd = build_command(Path::new("/w"), Path::new("/t"), &config(BuildTool::CargoLambda), &targets);
        let joined = cmd.args.join(" ");
        assert!(joined.contains("--package p --package q --bin a --bin b --bin q"), "{joined}");
    }

    #[test]
    fn binaries_are_found_where_each_tool_leaves_them() {
        let t = Path::new("/t");
        let lambda = config(BuildTool::CargoLambda);
        let lambda_binary = format!("{LAMBDA_DIR}/b/bootstrap");
        assert_eq!(tool_output_path(t, &lambda, "b"), Path::new(&lambda_binary));
        assert_eq!(built_binary_path(t, &lambda, "b"), Path::new(&lambda_binary));
        let zig = config(BuildTool::CargoZigbuild);
        assert_eq!(tool_output_path(t, &zig, "b"), Path::new("/t/aarch64-unknown-linux-gnu/release/b"));
        assert_eq!(built_binary_path(t, &zig, "b"), Path::new(&format!("{ZIGBUILD_DIR}/b/bootstrap")));
    }

    #[test]
    fn each_configuration_keeps_its_binaries_apart() {
        let t = Path::new("/t");
        let base = config(BuildTool::CargoLambda);
        let mut loud = base.clone();
        loud.extra_build_args.push("--features=loud".into());
        let mut env = base.clone();
        env.environment.push(("GREETING".into(), "hi".into()));
        let dirs = [config_dir(t, &base), config_dir(t, &loud), config_dir(t, &env)];
        assert!(dirs[0] != dirs[1] && dirs[1] != dirs[2] && dirs[0] != dirs[2], "{dirs:?}");
        assert_eq!(config_dir(t, &base), config_dir(t, &base.clone()));
        assert!(
            dirs[0].to_string_lossy().starts_with("/t/cdk-lambda-rust/aarch64-unknown-linux-gnu-release-"),
            "{dirs:?}"
        );
    }

    #[test]
    fn custom_profiles_map_to_their_folder() {
        assert_eq!(artifact_dir(Path::new("/t"), "x", "release"), Path::new("/t/x/release"));
        assert_eq!(artifact_dir(Path::new("/t"), "x", "dev"), Path::new("/t/x/debug"));
        assert_eq!(artifact_dir(Path::new("/t"), "x", "lambda"), Path::new("/t/x/lambda"));
    }

    #[test]
    fn display_quotes_what_a_shell_would_split() {
        let cmd = build_command(Path::new("/w"), Path::new("/t"), &config(BuildTool::CargoLambda), &one("p", "b"));
        assert!(cmd.display().ends_with("--features 'a b'"), "{}", cmd.display());
        assert_eq!(quote_for_display("it's"), r"'it'\''s'");
    }
}

//! The command Docker bundling runs inside the container. CDK mounts the
//! asset's source folder at `/asset-input` (the workspace root, or the folder
//! that also holds its path dependencies outside it) and collects
//! `/asset-output`. User values (binary name, cargo arguments, folder names)
//! travel as positional arguments of `bash -c`, so the script text itself
//! holds only our constants and the user's hook commands, which are shell by
//! design.
//!
//! The script, in order: the `beforeBundling` commands joined with `&&`, the
//! build (`"$@"`), the copy of the binary to `/asset-output/bootstrap`, then
//! the `afterBundling` commands joined with `&&`. The first failing step
//! stops the script with its exit status, as the `&&` chain of local
//! bundling does. Each hook group runs in the script's own shell (a `{ }`
//! group, not a subshell), so a `beforeBundling` `export` reaches the build.

use std::path::{Path, PathBuf};

use crate::command::{build_command, tool_output_path, BuildTargets};
use crate::config::{BuildConfig, BuildTool};
use crate::errors::{Error, Result};

pub const CONTAINER_INPUT: &str = "/asset-input";
pub const CONTAINER_OUTPUT: &str = "/asset-output";

/// Docker builds keep their own target directory inside the workspace's
/// `target/`, so they never thrash the host build's artifacts.
pub fn container_target_dir(workspace_in_container: &Path) -> PathBuf {
    workspace_in_container.join("target").join("cdk-lambda-rust-docker")
}

/// The workspace root inside the container: `/asset-input` joined with the
/// workspace's path relative to the asset's source folder.
pub fn container_workspace(workspace_in_source: &str) -> PathBuf {
    let mut path = PathBuf::from(CONTAINER_INPUT);
    path.extend(workspace_in_source.split('/').filter(|p| !p.is_empty() && *p != "."));
    path
}

const SCRIPT_BODY: &str = r#"binary="$1"; export CARGO_TARGET_DIR="$2"; shift 2
"$@"
mkdir -p /asset-output
cp "$binary" /asset-output/bootstrap
chmod 0755 /asset-output/bootstrap"#;

/// The same for an extension: the binary goes to `extensions/<its name>`.
const EXTENSION_SCRIPT_BODY: &str = r#"binary="$1"; export CARGO_TARGET_DIR="$2"; shift 2
"$@"
mkdir -p /asset-output/extensions
cp "$binary" "/asset-output/extensions/${binary##*/}"
chmod 0755 "/asset-output/extensions/${binary##*/}""#;

/// Hook commands chained with `&&` in a `{ }` group that ends the script on
/// failure. Under `set -e` alone, a failing command that is not the last of an
/// `&&` chain would not stop the script: `false && true` lets bash carry on.
fn hook_group(commands: &[String]) -> Option<String> {
    if commands.is_empty() {
        return None;
    }
    Some(format!("{{ {}\n}} || exit $?", commands.join(" && ")))
}

/// What the container runs for a function whose Docker bundling is
/// `forced` or not. CDK computes it whether or not Docker ever runs, and it
/// enters the asset hash.
pub struct ContainerBuild<'a> {
    /// The workspace root relative to the asset's source folder (`""` when
    /// they are the same): see `workspace_in_source`.
    pub workspace_in_source: &'a str,
    pub package: &'a str,
    pub binary: &'a str,
    pub config: &'a BuildConfig,
    pub before_bundling: &'a [String],
    pub after_bundling: &'a [String],
    /// `forceDockerBundling`.
    pub forced: bool,
    /// Whether `passEnvironment` names variables: the script then reads them
    /// from the file mounted at `passed_env::CONTAINER_DIR` first.
    pub passes_environment: bool,
}

/// cross builds on the host only: local bundling either builds with it or
/// fails with TOOL_MISSING, so CDK never runs this command; it says why if
/// it ever does.
const CROSS_IS_HOST_ONLY: &str =
    "echo \"cdk-lambda-rust: PackageManagerType.CROSS builds on the host only, not in Docker bundling\" >&2; exit 1";

/// The workspace root relative to the asset's source folder, `/`-separated.
pub fn workspace_in_source(source_root: &Path, workspace_root: &Path) -> String {
    crate::metadata::relative_inside(source_root, workspace_root)
}

/// The folders `commandHooks` get in the container: the workspace and the output.
pub fn hook_dirs(workspace_in_source: &str) -> (PathBuf, &'static str) {
    (container_workspace(workspace_in_source), CONTAINER_OUTPUT)
}

/// `["bash", "-c", script, "cdk-lambda-rust", <binary path>, <target dir>, <build argv>...]`.
pub fn docker_command(build: &ContainerBuild) -> Result<Vec<String>> {
    let ContainerBuild {
        workspace_in_source,
        package,
        binary,
        config,
        before_bundling,
        after_bundling,
        forced,
        passes_environment,
    } = *build;
    if config.tool == BuildTool::Cross {
        if !forced {
            return Ok(vec!["bash".into(), "-c".into(), CROSS_IS_HOST_ONLY.into()]);
        }
        return Err(Error::CrossInDocker);
    }
    let workspace = container_workspace(workspace_in_source);
    let target_dir = container_target_dir(&workspace);
    let build = build_command(
        &workspace,
        &target_dir,
        config,
        &BuildTargets { binaries: vec![(package.to_string(), binary.to_string())] },
    );
    let binary_path = tool_output_path(&target_dir, config, binary);

    let mut script = Vec::new();
    if passes_environment {
        // Values arrive in a file, never on the command line; hooks see them too.
        script.push(format!("set -a; . {}/{}; set +a", crate::passed_env::CONTAINER_DIR, crate::passed_env::FILE_NAME));
    }
    if let Some(group) = hook_group(before_bundling) {
        script.push(group);
    }
    script.push("set -eu".to_string());
    // CARGO_TARGET_DIR is set after the hooks, so neither they nor
    // `environment` can move the binary away from where the copy looks.
    script.push(
        match config.artifact {
            crate::config::Artifact::Function => SCRIPT_BODY,
            crate::config::Artifact::Extension => EXTENSION_SCRIPT_BODY,
        }
        .to_string(),
    );
    script.push("set +eu".to_string());
    if let Some(group) = hook_group(after_bundling) {
        script.push(group);
    }
    let mut argv = vec!["bash".to_string(), "-c".to_string(), script.join("\n"), "cdk-lambda-rust".to_string()];
    argv.push(binary_path.to_string_lossy().into_owned());
    argv.push(target_dir.to_string_lossy().into_owned());
    argv.push(build.program);
    argv.extend(build.args);
    Ok(argv)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::errors::ErrorCode;

    fn command(
        workspace_in_source: &str,
        package: &str,
        binary: &str,
        config: &BuildConfig,
        before_bundling: &[String],
        after_bundling: &[String],
    ) -> Result<Vec<String>> {
        docker_command(&ContainerBuild {
            workspace_in_source,
            package,
            binary,
            config,
            before_bundling,
            after_bundling,
            forced: false,
            passes_environment: false,
        })
    }

    fn config() -> BuildConfig {
        BuildConfig {
            triple: "aarch64-unknown-linux-gnu".into(),
            profile: "release".into(),
            tool: BuildTool::CargoLambda,
            extra_build_args: vec!["--features".into(), "$(touch /tmp/x); echo".into()],
            environment: vec![],
            artifact: Default::default(),
        }
    }

    #[test]
    fn user_values_are_positional_arguments_not_script_text() {
        let argv = command("", "pkg", "my_fn", &config(), &[], &[]).unwrap();
        assert_eq!(&argv[..2], ["bash", "-c"]);
        assert!(!argv[2].contains("touch"), "script must not contain user values: {}", argv[2]);
        assert!(!argv[2].contains("my_fn"));
        let target_dir = "/asset-input/target/cdk-lambda-rust-docker";
        assert_eq!(argv[5], target_dir);
        // The digest is the first 8 bytes of sha256 of the configuration's canonical text, computed
        // outside this crate: `printf '%s' 'triple:25:aarch64-unknown-linux-gnu;profile:7:release;
        // package-manager:12:cargo-lambda;arg:10:--features;arg:21:$(touch /tmp/x); echo;' | sha256sum`.
        let lambda_dir =
            "/asset-input/target/cdk-lambda-rust-docker/cdk-lambda-rust/aarch64-unknown-linux-gnu-release-45648b854b21c735";
        assert_eq!(argv[4], format!("{lambda_dir}/my_fn/bootstrap"));
        assert_eq!(
            argv[6..].join(" "),
            format!(
                "cargo lambda build --release --target aarch64-unknown-linux-gnu --manifest-path /asset-input/Cargo.toml \
                 --lambda-dir {lambda_dir} --package pkg --bin my_fn --features $(touch /tmp/x); echo"
            )
        );
    }

    #[test]
    fn hooks_wrap_the_build_in_order() {
        let argv = command("", "p", "b", &config(), &["echo a".into(), "echo b".into()], &["echo c".into()]).unwrap();
        let script = &argv[2];
        let a = script.find("echo a && echo b").unwrap();
        let build = script.find("\"$@\"").unwrap();
        let c = script.find("echo c").unwrap();
        assert!(a < build && build < c, "{script}");
    }

    #[test]
    fn the_script_really_runs_the_argv_and_copies_the_binary() {
        // Run the generated script with a stand-in for cargo, on the host:
        // it proves quoting, not Docker.
        let dir = tempfile::tempdir().unwrap();
        let mut argv = command("", "p", "b", &config(), &[], &[]).unwrap();
        let script = argv[2].replace("/asset-output", &dir.path().join("out").to_string_lossy());
        let built = dir.path().join("built");
        std::fs::write(&built, "ELF").unwrap();
        argv[4] = built.to_string_lossy().into_owned();
        let log = dir.path().join("args");
        let status = std::process::Command::new("bash")
            .arg("-c")
            .arg(script)
            .arg("cdk-lambda-rust")
            .arg(&argv[4])
            .arg(dir.path().join("target"))
            .arg("sh")
            .arg("-c")
            .arg("printf '%s\\n' \"$@\" > \"$LOG\"")
            .arg("sh")
            .args(&argv[8..])
            .env("LOG", &log)
            .status()
            .unwrap();
        assert!(status.success());
        assert_eq!(std::fs::read_to_string(dir.path().join("out/bootstrap")).unwrap(), "ELF");
        let logged = std::fs::read_to_string(&log).unwrap();
        assert!(logged.contains("$(touch /tmp/x); echo\n"), "{logged}");
    }

    /// Runs the generated script on the host, `/asset-output` replaced by a
    /// temp folder and the build replaced by `stub` (a `sh -c` script that
    /// gets the build argv). Proves the shell logic, not Docker.
    fn run_on_host(before: &[&str], after: &[&str], stub: &str) -> (std::process::ExitStatus, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let strings = |v: &[&str]| v.iter().map(|s| s.replace("OUT", &out.to_string_lossy())).collect::<Vec<_>>();
        let argv = command("", "p", "b", &config(), &strings(before), &strings(after)).unwrap();
        let script = argv[2].replace("/asset-output", &out.to_string_lossy());
        let built = dir.path().join("built");
        std::fs::write(&built, "ELF").unwrap();
        let status = std::process::Command::new("bash")
            .arg("-c")
            .arg(script)
            .arg("cdk-lambda-rust")
            .arg(&built)
            .arg(dir.path().join("target"))
            .arg("sh")
            .arg("-c")
            .arg(stub)
            .arg("sh")
            .args(&argv[8..])
            .env("DIR", dir.path())
            .current_dir(dir.path())
            .status()
            .unwrap();
        (status, dir)
    }

    #[test]
    fn a_failing_before_hook_stops_everything_with_its_status() {
        // `(exit 7)` is not the last command of the chain: plain `set -e`
        // would let the script go on to the build.
        let (status, dir) =
            run_on_host(&["(exit 7)", "touch \"$DIR/second\""], &["touch \"$DIR/after\""], "touch \"$DIR/built-ran\"");
        assert_eq!(status.code(), Some(7));
        for never in ["second", "built-ran", "after", "out/bootstrap"] {
            assert!(!dir.path().join(never).exists(), "{never} must not exist");
        }
    }

    #[test]
    fn a_failing_build_skips_the_copy_and_the_after_hooks() {
        let (status, dir) = run_on_host(&[], &["touch \"$DIR/after\""], "exit 101");
        assert_eq!(status.code(), Some(101));
        assert!(!dir.path().join("after").exists());
        assert!(!dir.path().join("out/bootstrap").exists());
    }

    #[test]
    fn after_hooks_see_the_bootstrap_and_their_failure_fails_the_script() {
        let (status, dir) = run_on_host(&[], &["test -x OUT/bootstrap", "echo extra > OUT/extra.txt"], "true");
        assert!(status.success());
        assert_eq!(std::fs::read_to_string(dir.path().join("out/extra.txt")).unwrap(), "extra\n");
        let (status, _) = run_on_host(&[], &["false", "true"], "true");
        assert_eq!(status.code(), Some(1));
    }

    #[test]
    fn a_before_hook_export_reaches_the_build_and_unset_variables_are_fine_in_hooks() {
        let (status, dir) = run_on_host(
            &["export FROM_HOOK=yes", "test -z \"$NOT_SET_ANYWHERE\""],
            &["test -z \"$ALSO_NOT_SET\""],
            "printf %s \"$FROM_HOOK\" > \"$DIR/seen\"",
        );
        assert!(status.success());
        assert_eq!(std::fs::read_to_string(dir.path().join("seen")).unwrap(), "yes");
    }

    #[test]
    fn a_hook_ending_in_a_comment_does_not_swallow_the_group() {
        let (status, dir) = run_on_host(&["touch \"$DIR/before\" # a comment"], &[], "true");
        assert!(status.success());
        assert!(dir.path().join("before").exists());
        assert!(dir.path().join("out/bootstrap").exists());
    }

    #[test]
    fn cross_cannot_run_inside_docker() {
        let mut c = config();
        c.tool = BuildTool::Cross;
        let forced = ContainerBuild {
            workspace_in_source: "",
            package: "p",
            binary: "b",
            config: &c,
            before_bundling: &[],
            after_bundling: &[],
            forced: true,
            passes_environment: false,
        };
        assert_eq!(docker_command(&forced).unwrap_err().code(), ErrorCode::InvalidOption);
        // Not forced, CDK never runs it: a command that says why if it ever does.
        let argv = command("", "p", "b", &c, &[], &[]).unwrap();
        assert_eq!(&argv[..2], ["bash", "-c"]);
        assert!(argv[2].contains("builds on the host only") && argv[2].ends_with("exit 1"), "{argv:?}");
    }

    #[test]
    fn a_workspace_below_the_source_folder_is_built_there() {
        let argv = command("apps/my app", "p", "b", &config(), &[], &[]).unwrap();
        let reference = command("", "p", "b", &config(), &[], &[]).unwrap();
        assert_eq!(argv[2], reference[2], "folder names never enter the script text");
        assert_eq!(argv[5], "/asset-input/apps/my app/target/cdk-lambda-rust-docker");
        assert!(argv.contains(&"/asset-input/apps/my app/Cargo.toml".to_string()), "{argv:?}");
        assert_eq!(container_workspace("./a//b/"), Path::new("/asset-input/a/b"));
    }

    #[test]
    fn passed_variables_are_read_from_the_mounted_file_before_hooks_and_build() {
        let c = config();
        let with = |passes_environment| {
            docker_command(&ContainerBuild {
                workspace_in_source: "",
                package: "p",
                binary: "b",
                config: &c,
                before_bundling: &["echo hook".into()],
                after_bundling: &[],
                forced: true,
                passes_environment,
            })
            .unwrap()
        };
        let (plain, passing) = (with(false), with(true));
        assert!(!plain[2].contains("cdk-lambda-rust-env"));
        let first = passing[2].lines().next().unwrap();
        assert_eq!(first, "set -a; . /cdk-lambda-rust-env/env; set +a");
        assert_eq!(plain[3..], passing[3..], "only the script text changes; no name or value is an argument");
        // On the host, with the file in a temp folder: the build sees the value.
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("env"), crate::passed_env::file_text(&[("SECRET".into(), "s3 cr'et".into())]))
            .unwrap();
        let script = passing[2]
            .replace("/cdk-lambda-rust-env", &dir.path().to_string_lossy())
            .replace("/asset-output", &dir.path().join("out").to_string_lossy());
        std::fs::write(dir.path().join("built"), "ELF").unwrap();
        let status = std::process::Command::new("bash")
            .arg("-c")
            .arg(script)
            .arg("cdk-lambda-rust")
            .arg(dir.path().join("built"))
            .arg(dir.path().join("target"))
            .args(["sh", "-c", "printf %s \"$SECRET\" > \"$0\"", &dir.path().join("seen").to_string_lossy()])
            .status()
            .unwrap();
        assert!(status.success());
        assert_eq!(std::fs::read_to_string(dir.path().join("seen")).unwrap(), "s3 cr'et");
    }

    #[test]
    fn an_extension_is_left_at_extensions_slash_its_name() {
        let mut c = config();
        c.artifact = crate::config::Artifact::Extension;
        let argv = command("", "p", "ext-logger", &c, &[], &[]).unwrap();
        assert!(argv.contains(&"--extension".to_string()), "{argv:?}");
        assert!(argv[4].ends_with("/extensions/ext-logger"), "{}", argv[4]);
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let script = argv[2].replace("/asset-output", &out.to_string_lossy());
        let built = dir.path().join("ext-logger");
        std::fs::write(&built, "ELF").unwrap();
        let status = std::process::Command::new("bash")
            .args(["-c", &script, "cdk-lambda-rust"])
            .arg(&built)
            .arg(dir.path().join("target"))
            .arg("true")
            .status()
            .unwrap();
        assert!(status.success());
        assert_eq!(std::fs::read_to_string(out.join("extensions/ext-logger")).unwrap(), "ELF");
    }
}

//! Build options that can be judged before any build: a profile cargo would
//! reject, or arguments that would break the build, are refused at synth
//! with `INVALID_OPTION`, not after a cargo run.

use std::path::Path;

use crate::errors::{Error, Result};

/// The profiles every workspace has.
pub const BUILT_IN_PROFILES: [&str; 4] = ["dev", "release", "test", "bench"];

/// Checks `profile` as cargo would: a plain name, and either built in or a
/// `[profile.<name>]` table of the workspace's root manifest.
pub fn check_profile(root_manifest: &Path, profile: &str) -> Result<()> {
    let plain = !profile.is_empty()
        && !profile.starts_with('-')
        && profile.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !plain {
        return Err(Error::InvalidProfile {
            profile: profile.to_string(),
            why: "profile names are letters, digits, `-` and `_`, not starting with `-`".into(),
        });
    }
    if profile == "debug" {
        return Err(Error::InvalidProfile {
            profile: profile.to_string(),
            why: "`debug` is reserved by cargo: the debug profile is called `dev`".into(),
        });
    }
    if BUILT_IN_PROFILES.contains(&profile) {
        return Ok(());
    }
    let defined = custom_profiles(root_manifest);
    if defined.iter().any(|p| p == profile) {
        return Ok(());
    }
    Err(Error::UnknownProfile { profile: profile.to_string(), manifest: root_manifest.to_path_buf(), defined })
}

/// The `[profile.*]` tables of a manifest (none when it cannot be read: then
/// cargo's own error will say why).
fn custom_profiles(manifest: &Path) -> Vec<String> {
    let Ok(text) = std::fs::read_to_string(manifest) else { return Vec::new() };
    let Ok(value) = text.parse::<toml::Table>() else { return Vec::new() };
    match value.get("profile").and_then(|p| p.as_table()) {
        Some(table) => table.keys().cloned().collect(),
        None => Vec::new(),
    }
}

/// What `extraBuildArgs` say about the build besides plain cargo arguments.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExtraArgs {
    /// From `--release`/`-r` (`release`) or `--profile <name>`.
    pub profile: Option<String>,
    /// From `--target <triple>`.
    pub target: Option<String>,
    /// Everything else, in order.
    pub rest: Vec<String>,
}

/// Arguments the construct sets itself, with the prop that decides them:
/// given again in `extraBuildArgs` (as cargo-lambda-cdk's `cargoLambdaFlags`
/// often did), they would build another binary or put it elsewhere.
fn owned_by_construct(arg: &str) -> Option<&'static str> {
    let flag = arg.split('=').next().unwrap_or(arg);
    match flag {
        "--bin" => Some("`binaryName`"),
        "-p" | "--package" => Some("`entry` (the package's Cargo.toml) or `binaryName`"),
        "--arm64" | "--x86-64" => Some("`architecture`"),
        "--lambda-dir" | "-l" | "--flatten" | "--manifest-path" => Some("nothing: the construct sets it"),
        "--extension" => Some("`RustExtension`"),
        _ => None,
    }
}

/// Takes `--release`, `--profile` and `--target` out of `extraBuildArgs`
/// (the build command sets them once, from these values), and refuses what
/// would break the build: two different profiles or targets, and
/// `--target-dir` (use `CARGO_TARGET_DIR` in `environment`, which cargo
/// metadata sees too). Arguments after `--` are left alone.
pub fn interpret_extra_args(args: &[String]) -> Result<ExtraArgs> {
    let mut out = ExtraArgs::default();
    let set = |slot: &mut Option<String>, value: String, what: &'static str| match slot {
        Some(previous) if *previous != value => {
            Err(Error::ConflictingArguments { what, first: previous.clone(), second: value })
        }
        _ => {
            *slot = Some(value);
            Ok(())
        }
    };
    let mut i = 0;
    while i < args.len() {
        let arg = args[i].as_str();
        let next = || args.get(i + 1).cloned();
        match arg {
            "--" => {
                out.rest.extend(args[i..].iter().cloned());
                break;
            }
            "--release" | "-r" => set(&mut out.profile, "release".into(), "profile")?,
            "--profile" | "--target" => {
                let value = next().ok_or_else(|| Error::ArgumentWithoutValue { flag: arg.to_string() })?;
                let slot = if arg == "--profile" { &mut out.profile } else { &mut out.target };
                set(slot, value, if arg == "--profile" { "profile" } else { "target" })?;
                i += 1;
            }
            _ if arg.starts_with("--profile=") => set(&mut out.profile, arg["--profile=".len()..].into(), "profile")?,
            _ if arg.starts_with("--target=") => set(&mut out.target, arg["--target=".len()..].into(), "target")?,
            _ if arg == "--target-dir" || arg.starts_with("--target-dir=") => return Err(Error::TargetDirArgument),
            _ if let Some(instead) = owned_by_construct(arg) => {
                let flag = arg.split('=').next().unwrap_or(arg).to_string();
                return Err(Error::ArgumentOwnedByConstruct { flag, instead });
            }
            _ => out.rest.push(arg.to_string()),
        }
        i += 1;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::errors::ErrorCode;

    fn manifest(text: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("Cargo.toml"), text).unwrap();
        dir
    }

    #[test]
    fn built_in_and_defined_profiles_pass_others_are_refused_with_what_exists() {
        let dir = manifest("[workspace]\n\n[profile.lambda]\ninherits = \"release\"\n");
        let m = dir.path().join("Cargo.toml");
        for ok in ["release", "dev", "lambda"] {
            check_profile(&m, ok).unwrap();
        }
        let err = check_profile(&m, "fast").unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidOption);
        assert!(err.message().contains("`fast`") && err.message().contains("lambda"), "{err}");
        for bad in ["bad profile", "", "-x", "debug", "a/b"] {
            assert_eq!(check_profile(&m, bad).unwrap_err().code(), ErrorCode::InvalidOption, "{bad:?}");
        }
    }

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_target_dir_argument_points_at_cargo_target_dir() {
        interpret_extra_args(&args(&["--features", "a"])).unwrap();
        for bad in [args(&["--target-dir", "x"]), args(&["--target-dir=x"])] {
            let err = interpret_extra_args(&bad).unwrap_err();
            assert!(err.message().contains("CARGO_TARGET_DIR"), "{err}");
        }
    }

    #[test]
    fn profile_and_target_arguments_are_taken_out_and_checked() {
        let got =
            interpret_extra_args(&args(&["--release", "--features", "x", "--target", "t", "--", "--release"])).unwrap();
        assert_eq!(got.profile.as_deref(), Some("release"));
        assert_eq!(got.target.as_deref(), Some("t"));
        assert_eq!(got.rest, args(&["--features", "x", "--", "--release"]));
        assert!(interpret_extra_args(&args(&["--release", "--profile", "dev"])).is_err());
        assert!(interpret_extra_args(&args(&["--profile"])).is_err());
        assert_eq!(interpret_extra_args(&args(&["--release", "-r"])).unwrap().profile.as_deref(), Some("release"));
    }

    #[test]
    fn arguments_the_construct_sets_point_at_their_prop() {
        for (arg, prop) in [
            ("--bin=profile", "`binaryName`"),
            ("--package", "`entry`"),
            ("--arm64", "`architecture`"),
            ("--extension", "RustExtension"),
        ] {
            let err = interpret_extra_args(&args(&[arg, "x"])).unwrap_err();
            assert_eq!(err.code(), ErrorCode::InvalidOption);
            assert!(err.message().contains(prop), "{err}");
        }
        // After `--`, arguments are the program's, not cargo's.
        interpret_extra_args(&args(&["--", "--bin"])).unwrap();
    }
}

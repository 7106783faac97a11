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

/// Refuses `extraBuildArgs` that would break the build or move its output
/// away from where it is taken: `--target-dir` (use `CARGO_TARGET_DIR` in
/// `environment`, which cargo metadata sees too).
pub fn check_extra_args(args: &[String]) -> Result<()> {
    for arg in args {
        if arg == "--target-dir" || arg.starts_with("--target-dir=") {
            return Err(Error::TargetDirArgument);
        }
    }
    Ok(())
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

    #[test]
    fn a_target_dir_argument_points_at_cargo_target_dir() {
        check_extra_args(&["--features".into(), "a".into()]).unwrap();
        for bad in [vec!["--target-dir".to_string(), "x".to_string()], vec!["--target-dir=x".to_string()]] {
            let err = check_extra_args(&bad).unwrap_err();
            assert!(err.message().contains("CARGO_TARGET_DIR"), "{err}");
        }
    }
}

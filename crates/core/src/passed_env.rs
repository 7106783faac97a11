//! `passEnvironment`: variables a build gets from the synth's environment by
//! name. Their values never enter an argument vector, the asset hash,
//! `cdk.out` or a log line. Local builds inherit them; Docker bundling gets
//! them through a file only this user can read, mounted into the container
//! and read by the container script before the build.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::atomic;
use crate::errors::{Error, Result};

/// Where the folder holding the file is mounted in the container.
pub const CONTAINER_DIR: &str = "/cdk-lambda-rust-env";
/// The file's name in that folder.
pub const FILE_NAME: &str = "env";

/// Names a shell accepts as variable names; anything else is refused before
/// it can reach a file that a shell reads.
pub fn validate_names(names: &[String]) -> Result<()> {
    for name in names {
        let mut chars = name.chars();
        let ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !ok {
            return Err(Error::InvalidEnvironmentName { name: name.clone() });
        }
    }
    Ok(())
}

/// The value of each name, from `lookup` (the process environment); a name
/// that is not set is an error, so a build never runs without a secret it
/// was promised.
pub fn values(names: &[String], lookup: impl Fn(&str) -> Option<String>) -> Result<Vec<(String, String)>> {
    validate_names(names)?;
    names
        .iter()
        .map(|name| match lookup(name) {
            Some(value) => Ok((name.clone(), value)),
            None => Err(Error::PassedVariableUnset { name: name.clone() }),
        })
        .collect()
}

/// `NAME='value'` lines a POSIX shell reads back verbatim (single quotes,
/// each `'` written as `'\''`).
pub fn file_text(values: &[(String, String)]) -> String {
    values.iter().map(|(k, v)| format!("{k}='{}'\n", v.replace('\'', r"'\''"))).collect()
}

/// Writes the variables' values into `dir/env` (created 0700, the file
/// 0600), for Docker bundling to mount. Returns the file.
pub fn write_file(dir: &Path, names: &[String]) -> Result<PathBuf> {
    let values = values(names, |k| std::env::var(k).ok())?;
    crate::cache_dir::ensure_private(dir, dir)?;
    let file = dir.join(FILE_NAME);
    let text = file_text(&values);
    atomic::write_atomically::<std::io::Error>(&file, 0o600, |mut f| f.write_all(text.as_bytes())).map_err(|e| {
        Error::Staging {
            action: e.step.to_string(),
            path: e.path,
            detail: e.cause.map_or_else(|io| io.to_string(), |io| io.to_string()),
        }
    })?;
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::errors::ErrorCode;

    #[test]
    fn names_must_be_shell_variable_names() {
        validate_names(&["AWS_SECRET_ACCESS_KEY".into(), "_x1".into()]).unwrap();
        for bad in ["", "1X", "A-B", "A B", "$(x)", "A=B"] {
            assert_eq!(validate_names(&[bad.into()]).unwrap_err().code(), ErrorCode::InvalidOption, "{bad:?}");
        }
    }

    #[test]
    fn an_unset_variable_is_an_error_naming_it() {
        let err = values(&["NOT_SET_HERE".into()], |_| None).unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidOption);
        assert!(err.message().contains("NOT_SET_HERE"), "{err}");
    }

    #[test]
    fn a_shell_reads_every_value_back_verbatim() {
        let tricky = "it's \"quoted\" $(touch /tmp/pwned) `x` \\ \n second line";
        let text = file_text(&[("A".into(), tricky.into()), ("B".into(), String::new())]);
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("env");
        std::fs::write(&file, text).unwrap();
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg("set -a; . \"$1\"; set +a; printf '%s|%s' \"$A\" \"$B\"")
            .arg("sh")
            .arg(&file)
            .output()
            .unwrap();
        assert_eq!(String::from_utf8(out.stdout).unwrap(), format!("{tricky}|"));
        assert!(!Path::new("/tmp/pwned").exists());
    }
}

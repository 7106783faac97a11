//! The package's cache folder, and the rule every cache below it follows: a
//! folder is used only if this user alone can write it. Anyone else who could
//! write it could plant entries that steer a build (see the README's
//! security section), so such a folder is refused, not repaired.

use std::path::{Path, PathBuf};

use crate::errors::{Error, Result};

/// `explicit` (`$CDK_LAMBDA_RUST_CACHE_DIR`), else `<xdg>/cdk-lambda-rust` for
/// an absolute `$XDG_CACHE_HOME`, else this platform's cache folder below
/// `home` (see [`cache_base_on`]). Values come in as arguments so the
/// construct can pass the environment its JavaScript sees.
pub fn cache_base(explicit: Option<&str>, xdg: Option<&str>, home: Option<&str>) -> Option<PathBuf> {
    let local_app_data = std::env::var("LOCALAPPDATA").ok();
    cache_base_on(std::env::consts::OS, explicit, xdg, local_app_data.as_deref(), home)
}

/// [`cache_base`] on the platform `os` (`std::env::consts::OS`):
/// `CDK_LAMBDA_RUST_CACHE_DIR`, then an absolute `XDG_CACHE_HOME` (on every
/// platform: whoever sets it means it), then the platform's convention:
/// `%LOCALAPPDATA%\cdk-lambda-rust` on Windows (`<home>\AppData\Local` when
/// unset), `<home>/Library/Caches/cdk-lambda-rust` on macOS,
/// `<home>/.cache/cdk-lambda-rust` elsewhere.
pub fn cache_base_on(
    os: &str,
    explicit: Option<&str>,
    xdg: Option<&str>,
    local_app_data: Option<&str>,
    home: Option<&str>,
) -> Option<PathBuf> {
    let given = |v: Option<&str>| v.filter(|v| !v.is_empty()).map(PathBuf::from);
    let absolute = |p: &PathBuf| p.is_absolute() || (os == "windows" && looks_absolute_on_windows(p));
    let conventional = || match os {
        "windows" => given(local_app_data)
            .filter(absolute)
            .or_else(|| given(home).map(|h| h.join("AppData").join("Local")))
            .map(|p| p.join("cdk-lambda-rust")),
        "macos" => given(home).map(|h| h.join("Library").join("Caches").join("cdk-lambda-rust")),
        _ => given(home).map(|h| h.join(".cache").join("cdk-lambda-rust")),
    };
    given(explicit).or_else(|| given(xdg).filter(absolute).map(|p| p.join("cdk-lambda-rust"))).or_else(conventional)
}

/// `C:\...`, `C:/...` or `\\server\...`, told on any host (tests run on Linux).
fn looks_absolute_on_windows(p: &Path) -> bool {
    let b = p.as_os_str().as_encoded_bytes();
    (b.len() >= 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && (b[2] == b'\\' || b[2] == b'/'))
        || b.starts_with(b"\\\\")
}

/// `cache_base` from this process's environment.
pub fn process_cache_base() -> Option<PathBuf> {
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let home = var("HOME").or_else(|| if cfg!(windows) { var("USERPROFILE") } else { None });
    cache_base(var("CDK_LAMBDA_RUST_CACHE_DIR").as_deref(), var("XDG_CACHE_HOME").as_deref(), home.as_deref())
}

/// Makes `dir` and every folder from `base` down to it private: each is
/// created with mode 0700 when missing, and refused when it is a symlink, is
/// owned by another user, or its group or others can write it. `base`'s own
/// parents are created as usual and not checked (they are the user's).
pub fn ensure_private(base: &Path, dir: &Path) -> Result<()> {
    let below = dir.strip_prefix(base).unwrap_or(Path::new(""));
    if let Some(parent) = base.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| Error::CacheDirFailed { path: parent.to_path_buf(), detail: e.to_string() })?;
    }
    let mut current = base.to_path_buf();
    ensure_private_dir(&current)?;
    for part in below.components() {
        current.push(part);
        ensure_private_dir(&current)?;
    }
    Ok(())
}

fn ensure_private_dir(dir: &Path) -> Result<()> {
    #[cfg_attr(not(unix), allow(unused_mut))]
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    match builder.create(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(Error::CacheDirFailed { path: dir.to_path_buf(), detail: e.to_string() }),
    }
    let meta = std::fs::symlink_metadata(dir)
        .map_err(|e| Error::CacheDirFailed { path: dir.to_path_buf(), detail: e.to_string() })?;
    let refuse = |why: &str| Err(Error::UnsafeCacheDir { path: dir.to_path_buf(), why: why.to_string() });
    if meta.file_type().is_symlink() {
        return refuse("is a symlink (it could be pointed anywhere)");
    }
    if !meta.is_dir() {
        return refuse("is not a folder");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        // SAFETY: geteuid has no preconditions and cannot fail.
        let me = unsafe { libc::geteuid() };
        if meta.uid() != me {
            return refuse(&format!("belongs to uid {}, not to you (uid {me})", meta.uid()));
        }
        if meta.mode() & 0o022 != 0 {
            return refuse(&format!("can be written by others (mode {:o})", meta.mode() & 0o777));
        }
    }
    // Elsewhere (Windows) folder ACLs are not checked: see the README.
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_os = "linux")]
    #[test]
    fn the_cache_base_prefers_the_explicit_folder_then_xdg_then_home() {
        let base = |e, x, h| cache_base(e, x, h).map(|p| p.to_string_lossy().into_owned());
        assert_eq!(base(Some("/c"), Some("/x"), Some("/h")).as_deref(), Some("/c"));
        assert_eq!(base(None, Some("/x"), Some("/h")).as_deref(), Some("/x/cdk-lambda-rust"));
        assert_eq!(base(Some(""), Some("relative"), Some("/h")).as_deref(), Some("/h/.cache/cdk-lambda-rust"));
        assert_eq!(base(None, None, None), None);
    }

    #[test]
    fn each_platform_has_its_own_conventional_cache_folder() {
        let on = |os, e, x, l, h| cache_base_on(os, e, x, l, h).map(|p| p.to_string_lossy().replace('\\', "/"));
        let home = Some("/Users/me");
        assert_eq!(on("macos", None, None, None, home).as_deref(), Some("/Users/me/Library/Caches/cdk-lambda-rust"));
        assert_eq!(on("linux", None, None, None, home).as_deref(), Some("/Users/me/.cache/cdk-lambda-rust"));
        assert_eq!(on("macos", None, Some("/x"), None, home).as_deref(), Some("/x/cdk-lambda-rust"));
        assert_eq!(on("macos", Some("/c"), Some("/x"), None, home).as_deref(), Some("/c"));
        let (local, user) = (Some(r"C:\Users\me\AppData\Local"), Some(r"C:\Users\me"));
        assert_eq!(
            on("windows", None, None, local, user).as_deref(),
            Some("C:/Users/me/AppData/Local/cdk-lambda-rust")
        );
        assert_eq!(on("windows", None, None, None, user).as_deref(), Some("C:/Users/me/AppData/Local/cdk-lambda-rust"));
        assert_eq!(
            on("windows", None, None, Some("relative"), user).as_deref(),
            Some("C:/Users/me/AppData/Local/cdk-lambda-rust")
        );
        assert_eq!(on("windows", None, Some(r"D:\xdg"), local, user).as_deref(), Some("D:/xdg/cdk-lambda-rust"));
        assert_eq!(on("windows", Some(r"E:\c"), None, local, user).as_deref(), Some("E:/c"));
        assert_eq!(on("windows", None, None, None, None), None);
    }

    #[cfg(unix)]
    #[test]
    fn folders_are_created_private_and_refused_when_others_can_write_them() {
        use crate::errors::ErrorCode;
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let base = tmp.path().join("cache/cdk-lambda-rust");
        let dir = base.join("metadata");
        ensure_private(&base, &dir).unwrap();
        for d in [&base, &dir] {
            assert_eq!(std::fs::metadata(d).unwrap().permissions().mode() & 0o777, 0o700, "{}", d.display());
        }
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
        let err = ensure_private(&base, &dir).unwrap_err();
        assert_eq!(err.code(), ErrorCode::CacheUnsafe);
        assert!(err.message().contains("can be written by others (mode 777)"), "{err}");
        assert!(err.message().contains("CDK_LAMBDA_RUST_CACHE_DIR"), "{err}");
        std::fs::remove_dir(&dir).unwrap();
        std::os::unix::fs::symlink(tmp.path(), &dir).unwrap();
        assert!(ensure_private(&base, &dir).unwrap_err().message().contains("is a symlink"));
    }
}

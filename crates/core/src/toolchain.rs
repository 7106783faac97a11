//! The tools on this machine: which build tool builds a function, and whether
//! the Rust toolchain has the standard library for its target. Tools are
//! found by looking at PATH only: nothing is run to detect them, so nothing
//! can prompt or hang.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::config::BuildTool;
use crate::errors::{Error, Result};

/// Looks `executable` up on `path_var` (a PATH value) the way a shell would:
/// on Windows with each extension of `PATHEXT` (`cargo-lambda.exe`).
pub fn find_on_path(executable: &str, path_var: Option<&OsStr>) -> Option<PathBuf> {
    let pathext = if cfg!(windows) { Some(std::env::var("PATHEXT").unwrap_or_default()) } else { None };
    find_on_path_with(executable, path_var, pathext.as_deref())
}

/// [`find_on_path`] with Windows' `PATHEXT` given (`None` on Unix): each
/// folder is tried with every extension in turn (`.COM;.EXE;.BAT;.CMD` when
/// PATHEXT is empty), then as it is.
pub fn find_on_path_with(executable: &str, path_var: Option<&OsStr>, pathext: Option<&str>) -> Option<PathBuf> {
    let names: Vec<String> = match pathext {
        None => vec![executable.to_string()],
        Some(exts) => {
            let exts = if exts.trim().is_empty() { ".COM;.EXE;.BAT;.CMD" } else { exts };
            let with =
                exts.split(';').filter(|e| !e.is_empty()).map(|e| format!("{executable}{}", e.to_ascii_lowercase()));
            with.chain([executable.to_string()]).collect()
        }
    };
    std::env::split_paths(path_var?)
        .flat_map(|dir| names.iter().map(move |name| dir.join(name)).collect::<Vec<_>>())
        .find(|candidate| is_executable(candidate))
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0).unwrap_or(false)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    std::fs::metadata(path).map(|m| m.is_file()).unwrap_or(false)
}

/// The build tool to use: the requested one, which must be installed, else
/// the first of cargo-lambda and cargo-zigbuild found on `path_var`; `None`
/// when neither is (the construct then falls back to Docker bundling).
pub fn choose_build_tool(requested: Option<BuildTool>, path_var: Option<&OsStr>) -> Result<Option<BuildTool>> {
    let installed = |tool: &BuildTool| find_on_path(tool.executable(), path_var).is_some();
    if let Some(tool) = requested {
        if !installed(&tool) {
            return Err(Error::RequestedToolMissing { tool: tool.executable(), install: tool.install_hint() });
        }
        return Ok(Some(tool));
    }
    Ok([BuildTool::CargoLambda, BuildTool::CargoZigbuild].into_iter().find(installed))
}

/// The build tool local bundling uses for a function, or `None` when Docker
/// bundling runs instead: when it is `forced`, or when no tool is installed
/// and none was asked for (`progress::docker_fallback` says so, once it is
/// sure Docker runs).
pub fn tool_for_local_bundling(requested: Option<BuildTool>, forced: bool) -> Result<Option<BuildTool>> {
    if forced {
        return Ok(None);
    }
    choose_build_tool(requested, std::env::var_os("PATH").as_deref())
}

/// Checks that the toolchain cargo will use has the standard library for
/// `triple`, so a missing `rustup target add` is reported as exactly that.
/// Returns Ok when it cannot tell (no rustc, custom toolchains): the build
/// then reports whatever it finds.
pub fn check_target_installed(triple: &str, cwd: &Path, env: &[(String, String)]) -> Result<()> {
    let rustc = env
        .iter()
        .find(|(k, _)| k == "RUSTC")
        .map(|(_, v)| v.clone())
        .or_else(|| std::env::var("RUSTC").ok())
        .unwrap_or_else(|| "rustc".to_string());
    let output = Command::new(&rustc)
        .args(["--print", "sysroot"])
        .current_dir(cwd)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .output();
    let Ok(output) = output else { return Ok(()) };
    if !output.status.success() {
        return Ok(());
    }
    let sysroot = String::from_utf8_lossy(&output.stdout).trim().to_string();
    let rustlib = Path::new(&sysroot).join("lib").join("rustlib");
    if !rustlib.is_dir() || rustlib.join(triple).join("lib").is_dir() {
        return Ok(());
    }
    Err(Error::TargetMissing { triple: triple.to_string(), sysroot, cwd: cwd.to_path_buf() })
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use crate::errors::ErrorCode;
    use std::os::unix::fs::PermissionsExt;

    fn executable(path: &Path, script: &str) {
        std::fs::write(path, script).unwrap();
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    #[test]
    fn finds_executables_on_path_only() {
        let dir = tempfile::tempdir().unwrap();
        let exe = dir.path().join("tool");
        std::fs::write(&exe, "#!/bin/sh\n").unwrap();
        assert_eq!(find_on_path("tool", Some(dir.path().as_os_str())), None, "not executable yet");
        executable(&exe, "#!/bin/sh\n");
        assert_eq!(find_on_path("tool", Some(dir.path().as_os_str())), Some(exe));
        assert_eq!(find_on_path("tool", None), None);
    }

    #[test]
    fn windows_finds_tools_with_the_extensions_of_pathext() {
        let (first, second) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let path = std::env::join_paths([first.path(), second.path()]).unwrap();
        executable(&second.path().join("cargo-lambda.exe"), "");
        executable(&second.path().join("cargo-lambda.cmd"), "");
        let found = |ext: Option<&str>| find_on_path_with("cargo-lambda", Some(&path), ext);
        assert_eq!(found(Some(".COM;.EXE;.BAT;.CMD")), Some(second.path().join("cargo-lambda.exe")));
        assert_eq!(found(Some(".CMD;.EXE")), Some(second.path().join("cargo-lambda.cmd")));
        assert_eq!(found(Some("")), Some(second.path().join("cargo-lambda.exe")), "PATHEXT unset: cmd.exe's default");
        assert_eq!(found(None), None, "Unix: no extensions");
        executable(&first.path().join("cargo-lambda"), "");
        assert_eq!(found(Some(".EXE")), Some(first.path().join("cargo-lambda")), "PATH order first, then extensions");
    }

    #[test]
    fn the_requested_tool_must_be_installed_and_otherwise_cargo_lambda_comes_first() {
        let dir = tempfile::tempdir().unwrap();
        let path = Some(dir.path().as_os_str());
        assert_eq!(choose_build_tool(None, path).unwrap(), None);
        let err = choose_build_tool(Some(BuildTool::CargoZigbuild), path).unwrap_err();
        assert_eq!(err.code(), ErrorCode::ToolMissing);
        assert!(err.message().contains("pip install cargo-zigbuild"), "{err}");
        executable(&dir.path().join("cargo-zigbuild"), "#!/bin/sh\n");
        assert_eq!(choose_build_tool(None, path).unwrap(), Some(BuildTool::CargoZigbuild));
        executable(&dir.path().join("cargo-lambda"), "#!/bin/sh\n");
        assert_eq!(choose_build_tool(None, path).unwrap(), Some(BuildTool::CargoLambda));
        assert_eq!(choose_build_tool(Some(BuildTool::CargoZigbuild), path).unwrap(), Some(BuildTool::CargoZigbuild));
    }

    #[test]
    fn a_sysroot_without_the_target_names_the_rustup_command() {
        let dir = tempfile::tempdir().unwrap();
        let sysroot = dir.path().join("sysroot");
        std::fs::create_dir_all(sysroot.join("lib/rustlib/x86_64-unknown-linux-gnu/lib")).unwrap();
        let fake_rustc = dir.path().join("rustc");
        executable(&fake_rustc, &format!("#!/bin/sh\necho {}\n", sysroot.display()));
        let env = vec![("RUSTC".to_string(), fake_rustc.display().to_string())];
        check_target_installed("x86_64-unknown-linux-gnu", dir.path(), &env).unwrap();
        let err = check_target_installed("aarch64-unknown-linux-gnu", dir.path(), &env).unwrap_err();
        assert_eq!(err.code(), ErrorCode::TargetMissing);
        assert!(err.message().contains("rustup target add aarch64-unknown-linux-gnu"), "{err}");
    }
}

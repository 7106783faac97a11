//! Stages the Lambda asset: a `bootstrap.zip` whose bytes depend only on the
//! file contents (and exec bits), so CDK's asset hash is stable across machines
//! and rebuilds. Files appear in their destination only complete, via
//! temp file + fsync + rename.

use std::fmt;
use std::fs::{self, File};
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipWriter};

use crate::atomic;
use crate::errors::{Error, Result};

pub const BOOTSTRAP_ZIP: &str = "bootstrap.zip";

/// The level flate2 uses by default; pinned so output never depends on a default.
/// (Levels above 9 would switch zip 2.x to the much slower zopfli encoder.)
const DEFLATE_LEVEL: i64 = 6;

/// Writes `out_zip` holding `bootstrap` (the binary, mode 0755) first, then the
/// regular files under `extra_dir`, sorted bytewise by their `/`-separated path.
pub fn write_bootstrap_zip(binary: &Path, extra_dir: Option<&Path>, out_zip: &Path) -> Result<()> {
    write_asset_zip(binary, "bootstrap", extra_dir, out_zip)
}

/// Writes `out_zip` holding the binary as `entry` (mode 0755) first, then the
/// regular files under `extra_dir` (other than `entry`), sorted bytewise by
/// their `/`-separated path.
pub fn write_asset_zip(binary: &Path, entry: &str, extra_dir: Option<&Path>, out_zip: &Path) -> Result<()> {
    // Open and list every input before the temp file exists: input errors then
    // leave nothing behind, and a zip staged inside extra_dir never lists itself.
    let mut bootstrap = File::open(binary).map_err(|e| failed("read the built binary", binary, e))?;
    let extras = match extra_dir {
        Some(dir) => list_extra_files(dir, entry)?,
        None => Vec::new(),
    };
    write_atomically(out_zip, 0o644, |file| {
        let mut zip = ZipWriter::new(BufWriter::new(file));
        let add = |zip: &mut ZipWriter<_>, name: &str, mode: u32, source: &mut File, path: &Path| {
            // DateTime::default() is 1980-01-01 00:00:00, the earliest DOS time;
            // set explicitly because zip's own default is "now" when its `time`
            // feature is on. No extra fields are written (no UT/ux timestamps or ids).
            let options = SimpleFileOptions::default()
                .compression_method(CompressionMethod::Deflated)
                .compression_level(Some(DEFLATE_LEVEL))
                .last_modified_time(DateTime::default())
                .unix_permissions(mode);
            zip.start_file(name, options).map_err(|e| failed("write", out_zip, e))?;
            io::copy(source, zip).map(drop).map_err(|e| failed(&format!("add `{}` to", path.display()), out_zip, e))
        };
        add(&mut zip, entry, 0o755, &mut bootstrap, binary)?;
        for extra in &extras {
            let mut source = File::open(&extra.path).map_err(|e| failed("read", &extra.path, e))?;
            add(&mut zip, &extra.name, extra.mode, &mut source, &extra.path)?;
        }
        let buffered = zip.finish().map_err(|e| failed("write", out_zip, e))?;
        buffered.into_inner().map(drop).map_err(|e| failed("write", out_zip, e.into_error()))
    })
}

/// Copies `src` to `dest` with permissions `mode` (ignored off Unix), atomically.
pub fn copy_atomically(src: &Path, dest: &Path, mode: u32) -> Result<()> {
    let mut source = File::open(src).map_err(|e| failed("read", src, e))?;
    write_atomically(dest, mode, |mut file| {
        io::copy(&mut source, &mut file).map(drop).map_err(|e| failed(&format!("copy `{}` to", src.display()), dest, e))
    })
}

fn failed(action: &str, path: &Path, err: impl fmt::Display) -> Error {
    Error::Staging { action: action.to_string(), path: path.to_path_buf(), detail: err.to_string() }
}

/// `atomic::write_atomically`, with its errors as staging errors.
fn write_atomically(dest: &Path, mode: u32, fill: impl FnOnce(&File) -> Result<()>) -> Result<()> {
    atomic::write_atomically(dest, mode, fill).map_err(|e| match e.cause {
        Ok(err) => err,
        Err(io) => failed(e.step, &e.path, io),
    })
}

#[cfg(all(test, unix))]
fn set_mode(file: &File, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(fs::Permissions::from_mode(mode))
}

#[cfg(all(test, not(unix)))]
fn set_mode(_file: &File, _mode: u32) -> io::Result<()> {
    Ok(())
}

#[cfg(unix)]
fn is_executable(meta: &fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o111 != 0
}

#[cfg(not(unix))]
fn is_executable(_meta: &fs::Metadata) -> bool {
    false
}

struct ExtraFile {
    name: String,
    path: PathBuf,
    mode: u32,
}

/// Regular files under `root` but `entry` (symlinks to files count; symlinks
/// to folders are not followed, so a link cycle cannot hang us), sorted by name.
fn list_extra_files(root: &Path, binary_entry: &str) -> Result<Vec<ExtraFile>> {
    let mut files = Vec::new();
    let mut pending = vec![(root.to_path_buf(), String::new())];
    while let Some((dir, prefix)) = pending.pop() {
        let entries = fs::read_dir(&dir).map_err(|e| failed("read the folder", &dir, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| failed("read the folder", &dir, e))?;
            let path = entry.path();
            let Some(file_name) = entry.file_name().to_str().map(str::to_owned) else {
                return Err(failed("add", &path, "zip entry names must be valid UTF-8"));
            };
            let name = format!("{prefix}{file_name}");
            // `entry` comes from the binary; the zip and its temp files are our own output.
            let ours =
                prefix.is_empty() && (name == BOOTSTRAP_ZIP || name.starts_with(&atomic::temp_prefix(BOOTSTRAP_ZIP)));
            if name == binary_entry || ours {
                continue;
            }
            let kind = entry.file_type().map_err(|e| failed("inspect", &path, e))?;
            if kind.is_dir() {
                pending.push((path, format!("{name}/")));
                continue;
            }
            // Symlinks are followed to files only; a dangling link or a socket is no file.
            let meta = match kind.is_symlink() {
                true => fs::metadata(&path).ok(),
                false => Some(entry.metadata().map_err(|e| failed("inspect", &path, e))?),
            };
            if let Some(meta) = meta.filter(fs::Metadata::is_file) {
                let mode = if is_executable(&meta) { 0o755 } else { 0o644 };
                files.push(ExtraFile { name, path, mode });
            }
        }
    }
    files.sort_unstable_by(|a, b| a.name.cmp(&b.name));
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::errors::ErrorCode;
    use std::io::Read;
    use std::time::{Duration, SystemTime};
    use tempfile::TempDir;

    const BINARY: &[u8] = b"\x7fELF pretend binary, long enough to deflate deflate deflate deflate";

    fn write(path: &Path, bytes: &[u8], mode: u32) {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, bytes).unwrap();
        let file = File::open(path).unwrap();
        set_mode(&file, mode).unwrap();
        file.set_modified(SystemTime::now() - Duration::from_secs(u64::from(mode) * 1000)).unwrap();
    }

    /// (name, unix mode, contents) of every entry, in archive order.
    fn entries(zip_path: &Path) -> Vec<(String, Option<u32>, Vec<u8>)> {
        let mut archive = zip::ZipArchive::new(File::open(zip_path).unwrap()).unwrap();
        (0..archive.len())
            .map(|i| {
                let mut entry = archive.by_index(i).unwrap();
                assert_eq!(entry.last_modified(), Some(DateTime::default()));
                assert_eq!(entry.compression(), CompressionMethod::Deflated);
                assert!(entry.extra_data().unwrap_or_default().is_empty(), "no extra fields");
                let mut bytes = Vec::new();
                entry.read_to_end(&mut bytes).unwrap();
                (entry.name().to_owned(), entry.unix_mode(), bytes)
            })
            .collect()
    }

    fn listing(dir: &Path) -> Vec<String> {
        let mut names: Vec<_> =
            fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        names.sort();
        names
    }

    #[test]
    fn zip_holds_bootstrap_with_mode_0755() {
        let tmp = TempDir::new().unwrap();
        let binary = tmp.path().join("target/my-fn");
        write(&binary, BINARY, 0o600); // the on-disk mode must not matter
        let out = tmp.path().join("out").join(BOOTSTRAP_ZIP);
        fs::create_dir(out.parent().unwrap()).unwrap();
        write_bootstrap_zip(&binary, None, &out).unwrap();
        assert_eq!(entries(&out), vec![("bootstrap".to_owned(), Some(0o100755), BINARY.to_vec())]);
        assert_eq!(listing(out.parent().unwrap()), vec![BOOTSTRAP_ZIP], "no temp file left");
        // Cross-check with Info-ZIP where installed.
        if let Ok(out) = std::process::Command::new("unzip").arg("-Z").arg(&out).output() {
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(text.contains("-rwxr-xr-x") && text.contains("80-Jan-01 00:00 bootstrap"), "{text}");
        }
    }

    #[test]
    fn identical_inputs_give_identical_bytes() {
        let zips: Vec<Vec<u8>> = [0o755, 0o700]
            .into_iter()
            .map(|binary_mode| {
                // Separate folders, different mtimes (write() derives them from the mode).
                let tmp = TempDir::new().unwrap();
                write(&tmp.path().join("bin/bootstrap"), BINARY, binary_mode);
                write(&tmp.path().join("extra/conf/app.toml"), b"a = 1", 0o600 | (binary_mode & 0o040));
                write(&tmp.path().join("extra/run.sh"), b"#!/bin/sh", binary_mode);
                let out = tmp.path().join("x.zip");
                write_bootstrap_zip(&tmp.path().join("bin/bootstrap"), Some(&tmp.path().join("extra")), &out).unwrap();
                fs::read(out).unwrap()
            })
            .collect();
        assert_eq!(zips[0], zips[1]);
    }

    #[test]
    #[cfg(unix)]
    fn extra_files_are_sorted_with_exec_bits() {
        let tmp = TempDir::new().unwrap();
        let (binary, extra) = (tmp.path().join("bootstrap"), tmp.path().join("extra"));
        write(&binary, BINARY, 0o755);
        write(&extra.join("b.txt"), b"b", 0o644);
        write(&extra.join("a/z.bin"), b"z", 0o700);
        write(&extra.join("a/b c.txt"), b"bc", 0o600);
        write(&extra.join("Z.txt"), b"Z", 0o604);
        write(&extra.join("sub/bootstrap"), b"nested", 0o644); // only the top-level name is reserved
        write(&extra.join("bootstrap"), b"stale", 0o755);
        write(&extra.join(BOOTSTRAP_ZIP), b"stale zip", 0o644);
        write(&extra.join(".bootstrap.zip.tmp-1-1"), b"crashed run", 0o644);
        fs::create_dir(extra.join("empty")).unwrap();
        std::os::unix::fs::symlink(extra.join("b.txt"), extra.join("link.txt")).unwrap();
        std::os::unix::fs::symlink(&extra, extra.join("sub/loop")).unwrap();
        std::os::unix::fs::symlink(extra.join("missing"), extra.join("dangling")).unwrap();
        // Staged into extra itself: the old zip is replaced, never included.
        let out = extra.join(BOOTSTRAP_ZIP);
        write_bootstrap_zip(&binary, Some(&extra), &out).unwrap();
        let got: Vec<_> = entries(&out).into_iter().map(|(name, mode, bytes)| (name, mode.unwrap(), bytes)).collect();
        let want = [
            ("bootstrap", 0o100755, BINARY),
            ("Z.txt", 0o100644, b"Z"),
            ("a/b c.txt", 0o100644, b"bc"),
            ("a/z.bin", 0o100755, b"z"),
            ("b.txt", 0o100644, b"b"),
            ("link.txt", 0o100644, b"b"),
            ("sub/bootstrap", 0o100644, b"nested"),
        ];
        let want: Vec<_> = want.iter().map(|(n, m, b)| (n.to_string(), *m, b.to_vec())).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn failures_leave_neither_zip_nor_temp_files() {
        let tmp = TempDir::new().unwrap();
        let binary = tmp.path().join("bootstrap");
        write(&binary, BINARY, 0o755);
        let out_dir = tmp.path().join("out");
        fs::create_dir(&out_dir).unwrap();

        let missing_dir = tmp.path().join("nope").join(BOOTSTRAP_ZIP);
        let err = write_bootstrap_zip(&binary, None, &missing_dir).unwrap_err();
        assert_eq!(err.code(), ErrorCode::StagingFailed);
        assert!(err.message().contains("nope"), "{}", err.message());
        assert!(!tmp.path().join("nope").exists());

        let out = out_dir.join(BOOTSTRAP_ZIP);
        let err = write_bootstrap_zip(&tmp.path().join("gone"), None, &out).unwrap_err();
        assert_eq!(err.code(), ErrorCode::StagingFailed);
        assert!(err.message().contains("gone"), "{}", err.message());
        let err = write_bootstrap_zip(&binary, Some(&tmp.path().join("no-extra")), &out).unwrap_err();
        assert!(err.message().contains("no-extra"), "{}", err.message());
        assert!(listing(&out_dir).is_empty());

        // The rename fails after the zip was fully written: the temp file goes too.
        fs::create_dir(&out).unwrap();
        write(&out.join("keep"), b"", 0o644);
        assert_eq!(write_bootstrap_zip(&binary, None, &out).unwrap_err().code(), ErrorCode::StagingFailed);
        assert_eq!(listing(&out_dir), vec![BOOTSTRAP_ZIP]);
        assert_eq!(listing(&out), vec!["keep"]);
    }

    #[test]
    fn a_failed_restage_keeps_the_previous_zip() {
        let tmp = TempDir::new().unwrap();
        let binary = tmp.path().join("bootstrap");
        write(&binary, BINARY, 0o755);
        let out = tmp.path().join(BOOTSTRAP_ZIP);
        write_bootstrap_zip(&binary, None, &out).unwrap();
        let before = fs::read(&out).unwrap();
        fs::remove_file(&binary).unwrap();
        assert!(write_bootstrap_zip(&binary, None, &out).is_err());
        assert_eq!(fs::read(&out).unwrap(), before);
        assert_eq!(listing(tmp.path()), vec![BOOTSTRAP_ZIP]);
    }

    #[test]
    fn copy_atomically_replaces_dest_with_mode() {
        let tmp = TempDir::new().unwrap();
        let (src, dest) = (tmp.path().join("src"), tmp.path().join("dest"));
        write(&src, BINARY, 0o600);
        write(&dest, b"old", 0o644);
        copy_atomically(&src, &dest, 0o755).unwrap();
        assert_eq!(fs::read(&dest).unwrap(), BINARY);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(fs::metadata(&dest).unwrap().permissions().mode() & 0o777, 0o755);
        }
        let err = copy_atomically(&tmp.path().join("missing"), &dest, 0o755).unwrap_err();
        assert_eq!(err.code(), ErrorCode::StagingFailed);
        assert!(err.message().contains("missing"), "{}", err.message());
        assert_eq!(fs::read(&dest).unwrap(), BINARY);
        assert_eq!(listing(tmp.path()), vec!["dest", "src"]);
    }
}

//! Files that appear complete or not at all, written so that nothing planted
//! on disk can redirect them: a temporary file with an unpredictable name,
//! created exclusively (never following a symlink, never reusing a file that
//! exists), filled, flushed, then renamed onto its destination. And reads that
//! never block on a FIFO or device put where a file was expected.

use std::collections::hash_map::RandomState;
use std::fs::{self, File, OpenOptions};
use std::hash::{BuildHasher, Hasher};
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// 64 unpredictable bits: std seeds `RandomState` from the OS's random source.
fn random_u64() -> u64 {
    let mut h = RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    h.write_u32(std::process::id());
    h.finish()
}

/// The prefix of every temporary file `create_temp` makes for `file_name`.
pub fn temp_prefix(file_name: &str) -> String {
    format!(".{file_name}.tmp-")
}

/// A new file next to `dest` named `.<dest name>.tmp-<random>`, created
/// exclusively with permissions `mode` (owner-only by default).
pub fn create_temp(dest: &Path, mode: u32) -> io::Result<(File, PathBuf)> {
    let name = dest.file_name().ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "the path names no file"))?;
    let dir = dest.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    loop {
        let temp = dir.join(format!("{}{:016x}", temp_prefix(&name.to_string_lossy()), random_u64()));
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
        #[cfg(not(unix))]
        let _ = mode;
        match options.open(&temp) {
            Ok(file) => return Ok((file, temp)),
            // A name taken by chance (or planted): draw another.
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
}

/// What went wrong while writing `dest` atomically, and at which step.
#[derive(Debug)]
pub struct WriteError<E> {
    pub step: &'static str,
    pub path: PathBuf,
    pub cause: Result<E, io::Error>,
}

/// Runs `fill` on a fresh temporary file next to `dest` (mode `mode`), then
/// flushes it and renames it onto `dest`. On any error the temporary file is
/// removed and `dest` is untouched.
pub fn write_atomically<E>(
    dest: &Path,
    mode: u32,
    fill: impl FnOnce(&File) -> Result<(), E>,
) -> Result<(), WriteError<E>> {
    fn io_err<E>(step: &'static str, path: &Path) -> impl FnOnce(io::Error) -> WriteError<E> {
        let path = path.to_path_buf();
        move |e| WriteError { step, path, cause: Err(e) }
    }
    let (file, temp) = create_temp(dest, mode).map_err(io_err("create", dest))?;
    let result =
        fill(&file).map_err(|e| WriteError { step: "write", path: temp.clone(), cause: Ok(e) }).and_then(|()| {
            #[cfg(unix)]
            {
                // The mode given at creation is reduced by the umask: set it exactly.
                use std::os::unix::fs::PermissionsExt;
                file.set_permissions(fs::Permissions::from_mode(mode)).map_err(io_err("set permissions on", &temp))?;
            }
            file.sync_all().map_err(io_err("flush", &temp))?;
            drop(file);
            fs::rename(&temp, dest).map_err(io_err("move the finished file onto", dest))
        });
    match result {
        Ok(()) => {
            // Persist the rename itself; best effort, as not every platform can.
            if let Some(dir) = dest.parent().filter(|p| !p.as_os_str().is_empty()) {
                if let Ok(dir) = File::open(dir) {
                    let _ = dir.sync_all();
                }
            }
            Ok(())
        }
        Err(err) => {
            let _ = fs::remove_file(&temp);
            Err(err)
        }
    }
}

/// Reads `path` whole, if it is a regular file. Opened without blocking (a
/// FIFO has no writer to wait for) and checked on the opened handle, so a
/// FIFO or device swapped in after any earlier check is refused, not read.
pub fn read_regular_file(path: &Path) -> io::Result<Vec<u8>> {
    let mut file = open_regular(path)?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Opens `path` for reading if it is a regular file (following symlinks),
/// checked on the opened handle; see `read_regular_file`.
pub fn open_regular(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NONBLOCK);
    let file = options.open(path)?;
    if !file.metadata()?.is_file() {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "not a regular file (a FIFO, socket or device)"));
    }
    #[cfg(unix)]
    {
        // Back to blocking reads, as for any regular file.
        use std::os::fd::AsRawFd;
        // SAFETY: fcntl on a descriptor we own, with flags read from it.
        unsafe {
            let fd = file.as_raw_fd();
            let flags = libc::fcntl(fd, libc::F_GETFL);
            if flags >= 0 {
                libc::fcntl(fd, libc::F_SETFL, flags & !libc::O_NONBLOCK);
            }
        }
    }
    Ok(file)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn temp_names_are_unpredictable_and_never_reuse_a_planted_path() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("entry.json");
        let (_, a) = create_temp(&dest, 0o600).unwrap();
        let (_, b) = create_temp(&dest, 0o600).unwrap();
        assert_ne!(a, b);
        assert!(a.file_name().unwrap().to_string_lossy().starts_with(".entry.json.tmp-"));
        // A symlink planted where a write would go is never followed.
        let victim = dir.path().join("victim");
        fs::write(&victim, "keep").unwrap();
        std::os::unix::fs::symlink(&victim, dir.path().join(".entry.json.tmp-planted")).unwrap();
        write_atomically::<io::Error>(&dest, 0o600, |mut f| f.write_all(b"new")).unwrap();
        assert_eq!(fs::read_to_string(&victim).unwrap(), "keep");
        assert_eq!(fs::read_to_string(&dest).unwrap(), "new");
    }

    #[test]
    fn modes_are_exact_and_failures_leave_nothing() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("f");
        write_atomically::<io::Error>(&dest, 0o600, |mut f| f.write_all(b"x")).unwrap();
        assert_eq!(fs::metadata(&dest).unwrap().permissions().mode() & 0o777, 0o600);
        let err = write_atomically(&dest, 0o644, |_| Err::<(), _>("nope")).unwrap_err();
        assert_eq!(err.cause.unwrap(), "nope");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1, "no temporary file left");
        assert_eq!(fs::read_to_string(&dest).unwrap(), "x");
    }

    #[test]
    fn a_fifo_is_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: mkfifo with a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&fifo, &link).unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || tx.send(read_regular_file(&link).map(|_| ())).unwrap());
        let result = rx.recv_timeout(std::time::Duration::from_secs(5)).expect("reading a FIFO must not block");
        assert_eq!(result.unwrap_err().kind(), io::ErrorKind::InvalidInput);
        let file = dir.path().join("file");
        fs::write(&file, "data").unwrap();
        assert_eq!(read_regular_file(&file).unwrap(), b"data");
    }
}

//! Source fingerprint of a Rust Lambda function: the asset hash, computed
//! before any build from exactly what feeds the binary, so CDK can skip
//! bundling when nothing changed. The same sources give the same hash in any
//! folder, on any machine, at any mtime.
//!
//! Rules:
//! 1. Each package folder (the function's package and its path dependencies)
//!    is walked recursively. Left out, and only these: the excluded folders
//!    (cargo's real target directories, wherever they are) and anything under
//!    them; version-control data (`.git`, `.hg`, `.svn`, `.jj`, `.bzr`,
//!    `_darcs`, `.pijul`); macOS Finder's `.DS_Store` files; a subfolder
//!    holding its own `Cargo.toml`, which is another package (its sources
//!    count only if it is itself one of the package folders). Everything else
//!    counts, hidden or not, whatever its name (a `src/target/` module, an
//!    `include!`d `.gen.rs`): a needless rebuild is cheap, a missed one ships
//!    stale code.
//! 2. Paths are recorded relative to the workspace root, `/`-separated, as raw
//!    bytes (non-UTF-8 names work). A package outside the root
//!    (`path = "../shared"`) gets `../` components, computed from canonical
//!    paths.
//! 3. A regular file is recorded as its path, whether it is executable (the
//!    owner `x` bit, as git tracks it) and the SHA-256 of its contents, read
//!    in 64 KiB chunks. Mtimes, owners and other permission bits never count.
//! 4. The extra files (Cargo.lock, workspace Cargo.toml, rust-toolchain,
//!    rust-toolchain.toml, .cargo/config.toml, .cargo/config) are hashed when
//!    they exist and recorded as absent otherwise.
//! 5. Symlinks are followed, as cargo does, even when they point outside the
//!    workspace: the target's contents count, under the link's path. A link to
//!    a folder already on the walk stack (a loop) is recorded as `loop` and
//!    not entered; a link whose target cannot be resolved (missing, or a chain
//!    of links that loops) is recorded as `dangling` with its link text.
//! 6. FIFOs, sockets and devices are never read, only recorded as `special`.
//!    Files are opened without blocking and checked on the opened handle, so
//!    one swapped for a FIFO while hashing fails instead of hanging.
//! 7. A file or folder that cannot be read fails with `FINGERPRINT_FAILED`,
//!    naming it: fix its permissions, or move it out of the package folder.
//! 8. The digest is the SHA-256 of a format tag, the build configuration
//!    string, then the records sorted by path bytes, a file reached twice
//!    (overlapping package folders) kept once. Every variable-length field is
//!    length-prefixed, so different trees cannot collide by concatenation.
//!
//! The tree is walked on one thread, then contents are hashed on all cores;
//! the result does not depend on the order in which they finish.

use std::fs::{self, Metadata};
use std::io::{self, Read};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};
use std::thread;

use sha2::{Digest, Sha256};

use crate::errors::{Error, Result};

const FORMAT: &[u8] = b"cdk-lambda-rust-fingerprint-v2";

/// Version-control data: never a build input.
const VCS_ENTRIES: [&[u8]; 7] = [b".git", b".hg", b".svn", b".jj", b".bzr", b"_darcs", b".pijul"];

/// Files operating systems leave behind, never a build input.
const OS_LITTER: [&[u8]; 1] = [b".DS_Store"];
const CHUNK: usize = 64 * 1024;

pub struct FingerprintInput<'a> {
    /// Absolute workspace root (folder of the workspace Cargo.toml).
    pub workspace_root: &'a Path,
    /// Absolute folders of the packages whose sources feed the binary: the
    /// selected package plus its path dependencies (transitively). May lie
    /// outside `workspace_root`.
    pub package_dirs: Vec<PathBuf>,
    /// Absolute single files, hashed if they exist, recorded as absent
    /// otherwise: Cargo.lock, workspace Cargo.toml, rust-toolchain(.toml),
    /// .cargo/config(.toml).
    pub extra_files: Vec<PathBuf>,
    /// Absolute folders never to enter, e.g. cargo's target directory.
    pub excluded_dirs: Vec<PathBuf>,
    /// Opaque build configuration (target, profile, features, args, env...).
    pub config: &'a str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileKind {
    /// A regular file (or a symlink to one), hashed by contents.
    File,
    /// The same, with the owner executable bit set.
    Executable,
    /// A FIFO, socket or device: recorded by path only, never opened.
    Special,
    /// A symlink to a folder already being walked: not entered.
    Loop,
    /// A symlink whose target cannot be resolved; holds the link text.
    Dangling(Vec<u8>),
    /// An extra file that does not exist.
    Absent,
}

impl FileKind {
    fn tag(&self) -> u8 {
        match self {
            FileKind::File => b'f',
            FileKind::Executable => b'x',
            FileKind::Special => b's',
            FileKind::Loop => b'l',
            FileKind::Dangling(_) => b'd',
            FileKind::Absent => b'a',
        }
    }
}

/// One record of the digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HashedFile {
    /// Path relative to the workspace root, `/`-separated, raw bytes.
    pub path: Vec<u8>,
    pub kind: FileKind,
}

impl HashedFile {
    /// The path for display (non-UTF-8 bytes replaced).
    pub fn display_path(&self) -> String {
        String::from_utf8_lossy(&self.path).into_owned()
    }
}

/// A record, plus where to read its contents (regular files only).
type Record = (HashedFile, Option<PathBuf>);

/// The asset hash of the function: lowercase hex SHA-256.
pub fn fingerprint(input: &FingerprintInput) -> Result<String> {
    let records = collect(input)?;
    let sources = records.iter().filter_map(|(_, src)| src.as_deref());
    let mut digests = hash_all(&sources.collect::<Vec<_>>())?.into_iter();
    let mut h = Sha256::new();
    put(&mut h, FORMAT);
    put(&mut h, input.config.as_bytes());
    h.update((records.len() as u64).to_le_bytes());
    for (file, src) in &records {
        put(&mut h, &file.path);
        h.update([file.kind.tag()]);
        if let FileKind::Dangling(text) = &file.kind {
            put(&mut h, text);
        }
        if src.is_some() {
            h.update(digests.next().expect("one digest per file"));
        }
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// The sorted records that enter the digest (for tests and debugging).
pub fn collect_files(input: &FingerprintInput) -> Result<Vec<HashedFile>> {
    Ok(collect(input)?.into_iter().map(|(file, _)| file).collect())
}

fn collect(input: &FingerprintInput) -> Result<Vec<Record>> {
    let root = must_resolve(input.workspace_root)?;
    let excluded = input.excluded_dirs.iter();
    let excluded = excluded.map(|d| fs::canonicalize(d).unwrap_or_else(|_| lenient(d)));
    let (stack, out) = (Vec::new(), Vec::new());
    let mut walker = Walker { excluded: excluded.collect(), stack, out };
    for dir in &input.package_dirs {
        let canon = must_resolve(dir)?;
        walker.walk(&canon, canon.clone(), &relative(&root, &canon))?;
    }
    for file in &input.extra_files {
        // Resolve the folder, not the file: a symlinked file keeps its name.
        let path = lenient(file);
        let rel = relative(&root, &path);
        match fs::metadata(&path) {
            Ok(meta) => walker.out.push(record(rel, path, &meta)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => walker.out.push(bare(rel, FileKind::Absent)),
            Err(e) => return Err(unreadable(&path, &e)),
        }
    }
    let mut out = walker.out;
    out.sort_by(|a, b| a.0.path.cmp(&b.0.path));
    out.dedup_by(|a, b| a.0.path == b.0.path);
    Ok(out)
}

struct Walker {
    excluded: Vec<PathBuf>,
    /// Canonical paths of the folders being walked, for loop detection.
    stack: Vec<PathBuf>,
    out: Vec<Record>,
}

impl Walker {
    /// Walks `dir` (a path that may go through symlinks), whose canonical
    /// form is `canon`, recording its entries under `rel`.
    fn walk(&mut self, dir: &Path, canon: PathBuf, rel: &[u8]) -> Result<()> {
        let entries = fs::read_dir(dir).map_err(|e| unreadable(dir, &e))?;
        self.stack.push(canon);
        for entry in entries {
            let entry = entry.map_err(|e| unreadable(dir, &e))?;
            let name = entry.file_name();
            let name = name.as_bytes();
            if VCS_ENTRIES.contains(&name) || OS_LITTER.contains(&name) {
                continue;
            }
            let path = entry.path();
            let rel = join(rel, name);
            let file_type = entry.file_type().map_err(|e| unreadable(&path, &e))?;
            let target = if file_type.is_symlink() {
                match fs::metadata(&path) {
                    Ok(meta) => Some(meta),
                    Err(e) if e.kind() == io::ErrorKind::PermissionDenied => return Err(unreadable(&path, &e)),
                    Err(_) => {
                        let text = fs::read_link(&path).map_err(|e| unreadable(&path, &e))?;
                        let kind = FileKind::Dangling(text.as_os_str().as_bytes().to_vec());
                        self.out.push(bare(rel, kind));
                        continue;
                    }
                }
            } else {
                None
            };
            if !target.as_ref().map_or(file_type.is_dir(), Metadata::is_dir) {
                let meta = match target {
                    Some(meta) => meta,
                    None => entry.metadata().map_err(|e| unreadable(&path, &e))?,
                };
                self.out.push(record(rel, path, &meta));
                continue;
            }
            let child = match target {
                Some(_) => fs::canonicalize(&path).map_err(|e| unreadable(&path, &e))?,
                None => self.stack.last().expect("inside a folder").join(entry.file_name()),
            };
            if self.excluded.iter().any(|x| child.starts_with(x)) {
                continue;
            }
            if self.stack.contains(&child) {
                self.out.push(bare(rel, FileKind::Loop));
                continue;
            }
            if path.join("Cargo.toml").exists() {
                continue;
            }
            self.walk(&path, child, &rel)?;
        }
        self.stack.pop();
        Ok(())
    }
}

/// The record of a non-folder entry whose (followed) metadata is `meta`.
fn record(rel: Vec<u8>, path: PathBuf, meta: &Metadata) -> Record {
    if !meta.is_file() {
        return bare(rel, FileKind::Special);
    }
    let kind = match meta.permissions().mode() & 0o100 {
        0 => FileKind::File,
        _ => FileKind::Executable,
    };
    (HashedFile { path: rel, kind }, Some(path))
}

/// A record with no contents to hash.
fn bare(path: Vec<u8>, kind: FileKind) -> Record {
    (HashedFile { path, kind }, None)
}

/// SHA-256 of each file's contents, in order, using every core.
fn hash_all(files: &[&Path]) -> Result<Vec<[u8; 32]>> {
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let workers = thread::available_parallelism().map_or(1, |n| n.get()).min(files.len());
    let mut digests = vec![[0u8; 32]; files.len()];
    let mut first_error: Option<(usize, Error)> = None;
    thread::scope(|s| {
        let worker = || {
            let mut buf = vec![0u8; CHUNK];
            let mut done = Vec::new();
            loop {
                let i = next.fetch_add(1, Relaxed);
                if i >= files.len() || failed.load(Relaxed) {
                    return done;
                }
                let result = hash_file(files[i], &mut buf);
                failed.fetch_or(result.is_err(), Relaxed);
                done.push((i, result));
            }
        };
        let handles: Vec<_> = (0..workers).map(|_| s.spawn(worker)).collect();
        for handle in handles {
            let done = handle.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            for (i, result) in done {
                match result {
                    Ok(digest) => digests[i] = digest,
                    Err(e) if first_error.as_ref().is_none_or(|(j, _)| i < *j) => first_error = Some((i, e)),
                    Err(_) => {}
                }
            }
        }
    });
    match first_error {
        Some((_, e)) => Err(e),
        None => Ok(digests),
    }
}

fn hash_file(path: &Path, buf: &mut [u8]) -> Result<[u8; 32]> {
    let mut file = crate::atomic::open_regular(path).map_err(|e| unreadable(path, &e))?;
    let mut h = Sha256::new();
    loop {
        match file.read(buf) {
            Ok(0) => return Ok(h.finalize().into()),
            Ok(n) => h.update(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(unreadable(path, &e)),
        }
    }
}

/// Length-prefixed bytes: unambiguous framing.
fn put(h: &mut Sha256, bytes: &[u8]) {
    h.update((bytes.len() as u64).to_le_bytes());
    h.update(bytes);
}

fn join(rel: &[u8], name: &[u8]) -> Vec<u8> {
    if rel.is_empty() {
        return name.to_vec();
    }
    [rel, b"/", name].concat()
}

/// Lexical path of `path` relative to `root`, both canonical: `/`-separated
/// bytes, with `..` components where `path` lies outside `root`.
fn relative(root: &Path, path: &Path) -> Vec<u8> {
    let root: Vec<_> = root.components().collect();
    let path: Vec<_> = path.components().collect();
    let common = root.iter().zip(&path).take_while(|(a, b)| a == b).count();
    let mut parts = vec![&b".."[..]; root.len() - common];
    parts.extend(path[common..].iter().map(|c| c.as_os_str().as_bytes()));
    parts.join(&b'/')
}

/// `path` with its folder canonicalized as far as it exists.
fn lenient(path: &Path) -> PathBuf {
    match (path.parent(), path.file_name()) {
        (Some(dir), Some(name)) => fs::canonicalize(dir).unwrap_or_else(|_| lenient(dir)).join(name),
        _ => path.to_path_buf(),
    }
}

fn must_resolve(dir: &Path) -> Result<PathBuf> {
    fs::canonicalize(dir).map_err(|e| Error::FingerprintRoot { dir: dir.to_path_buf(), detail: e.to_string() })
}

fn unreadable(path: &Path, err: &io::Error) -> Error {
    Error::Unreadable { path: path.to_path_buf(), detail: err.to_string() }
}

#[cfg(test)]
#[path = "fingerprint_tests.rs"]
mod tests;

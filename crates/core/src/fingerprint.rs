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
//! 2. Paths are recorded relative to the workspace root, `/`-separated on
//!    every platform (Windows' `\` separators and drive or `\\?\` prefixes
//!    never show), as the bytes the file system gives (non-UTF-8 names work on
//!    Unix; Windows names are UTF-8, WTF-8 for unpaired surrogates), case as
//!    stored. A package outside the root (`path = "../shared"`) gets `../`
//!    components, computed from canonical paths.
//! 3. A regular file is recorded as its path and the SHA-256 of its contents,
//!    read in 64 KiB chunks. Mtimes, owners and permission bits never count,
//!    the executable bit included: Windows has none, and the same sources
//!    must give the same hash on macOS, Linux and Windows.
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
    let sources: Vec<_> = records.iter().filter_map(|(_, src)| src.as_deref()).collect();
    let mut digests = hash_all(&sources)?.into_iter();
    let mut next = |src: &Option<PathBuf>| src.as_ref().map(|_| digests.next().expect("one digest per file"));
    let hashed: Vec<_> = records.iter().map(|(file, src)| (file, next(src))).collect();
    Ok(digest(input.config, &hashed))
}

/// The asset hash of `records` (sorted by path, each with the SHA-256 of its
/// contents when it is a regular file) under the build configuration
/// `config`. Everything that differs between platforms happened before: the
/// records are the same bytes on every one.
pub fn digest(config: &str, records: &[(&HashedFile, Option<[u8; 32]>)]) -> String {
    let mut h = Sha256::new();
    put(&mut h, FORMAT);
    put(&mut h, config.as_bytes());
    h.update((records.len() as u64).to_le_bytes());
    for (file, contents) in records {
        put(&mut h, &file.path);
        h.update([file.kind.tag()]);
        if let FileKind::Dangling(text) = &file.kind {
            put(&mut h, text);
        }
        if let Some(contents) = contents {
            h.update(contents);
        }
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
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
            let name = name.as_encoded_bytes();
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
                        let kind = FileKind::Dangling(portable_bytes(text.as_os_str()));
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
    (HashedFile { path: rel, kind: FileKind::File }, Some(path))
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

/// The path separators of this platform's native paths.
const SEPARATORS: &[u8] = if cfg!(windows) { b"\\/" } else { b"/" };

/// Lexical path of `path` relative to `root`, both canonical: `/`-separated
/// bytes, with `..` components where `path` lies outside `root`.
fn relative(root: &Path, path: &Path) -> Vec<u8> {
    relative_bytes(root.as_os_str().as_encoded_bytes(), path.as_os_str().as_encoded_bytes(), SEPARATORS)
}

/// [`relative`] on the encoded bytes of two canonical paths whose components
/// are split at any of `separators` (Windows: `\` and `/`; a `\\?\C:` prefix
/// is a component like any other, shared by both paths).
pub fn relative_bytes(root: &[u8], path: &[u8], separators: &[u8]) -> Vec<u8> {
    let split = |p: &'_ [u8]| -> Vec<Vec<u8>> {
        p.split(|b| separators.contains(b)).filter(|c| !c.is_empty() && *c != b".").map(<[u8]>::to_vec).collect()
    };
    let (root, path) = (split(root), split(path));
    let common = root.iter().zip(&path).take_while(|(a, b)| a == b).count();
    let mut parts = vec![b"..".to_vec(); root.len() - common];
    parts.extend(path[common..].iter().cloned());
    parts.join(&b'/')
}

/// An OS string as recorded: its encoded bytes, with Windows' `\`
/// separators written as `/`.
fn portable_bytes(text: &std::ffi::OsStr) -> Vec<u8> {
    let bytes = text.as_encoded_bytes();
    if cfg!(windows) {
        bytes.iter().map(|&b| if b == b'\\' { b'/' } else { b }).collect()
    } else {
        bytes.to_vec()
    }
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

#[cfg(all(test, unix))]
#[path = "fingerprint_tests.rs"]
mod tests;

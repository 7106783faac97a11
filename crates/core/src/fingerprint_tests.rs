//! Unit tests of `fingerprint.rs`, kept apart to keep that module readable.

use super::*;
use crate::errors::ErrorCode;
use std::ffi::OsStr;
use std::fs::File;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::time::{Duration, SystemTime};
use tempfile::TempDir;
use FileKind as K;

fn write(path: &Path, data: &[u8]) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, data).unwrap();
}

/// A workspace with one package, `app`.
fn workspace(root: &Path) {
    write(&root.join("Cargo.toml"), b"[workspace]\nmembers = [\"app\"]");
    write(&root.join("Cargo.lock"), b"version = 4\n");
    write(&root.join("app/Cargo.toml"), b"[package]\nname = \"app\"\n");
    write(&root.join("app/src/main.rs"), b"fn main() {}\n");
    write(&root.join("app/src/util/mod.rs"), b"pub fn f() {}\n");
}

fn input(root: &Path) -> FingerprintInput<'_> {
    let extra = "Cargo.lock Cargo.toml rust-toolchain.toml .cargo/config.toml";
    FingerprintInput {
        workspace_root: root,
        package_dirs: vec![root.join("app")],
        extra_files: extra.split(' ').map(|f| root.join(f)).collect(),
        excluded_dirs: vec![root.join("app/out")],
        config: "x86_64-unknown-linux-gnu release",
    }
}

fn fp(root: &Path) -> String {
    fingerprint(&input(root)).unwrap()
}

/// Asserts that `path` entered the digest as `kind`.
fn has(input: &FingerprintInput, path: &str, kind: FileKind) {
    has_bytes(input, path.as_bytes(), kind)
}

fn has_bytes(input: &FingerprintInput, path: &[u8], kind: FileKind) {
    let files = collect_files(input).unwrap();
    let found = files.into_iter().find(|f| f.path == path).map(|f| f.kind);
    assert_eq!(found, Some(kind), "{}", String::from_utf8_lossy(path));
}

fn chmod(path: &Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

#[test]
fn same_tree_in_two_folders_with_other_mtimes_hashes_the_same() {
    let (a, b) = (TempDir::new().unwrap(), TempDir::new().unwrap());
    workspace(a.path());
    workspace(b.path());
    let old = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
    for f in ["Cargo.lock", "app/Cargo.toml", "app/src/main.rs"] {
        let file = File::options().write(true).open(b.path().join(f)).unwrap();
        file.set_modified(old).unwrap();
    }
    assert_eq!(fp(a.path()), fp(b.path()));
    assert_eq!(fp(a.path()).len(), 64);
    let files = collect_files(&input(a.path())).unwrap();
    let paths: Vec<_> = files.iter().map(HashedFile::display_path).collect();
    let expected = ".cargo/config.toml Cargo.lock Cargo.toml app/Cargo.toml app/src/main.rs \
                    app/src/util/mod.rs rust-toolchain.toml";
    assert_eq!(paths, expected.split_whitespace().collect::<Vec<_>>());
}

#[test]
fn content_name_config_and_exec_bit_change_the_hash() {
    let t = TempDir::new().unwrap();
    let root = t.path();
    workspace(root);
    let base = fp(root);
    let main = root.join("app/src/main.rs");
    write(&main, b"fn main() {}\t");
    assert_ne!(fp(root), base);
    write(&main, b"fn main() {}\n");
    assert_eq!(fp(root), base);
    fs::rename(&main, root.join("app/src/lib.rs")).unwrap();
    assert_ne!(fp(root), base);
    fs::rename(root.join("app/src/lib.rs"), &main).unwrap();
    let mut other = input(root);
    other.config = "aarch64-unknown-linux-gnu release";
    assert_ne!(fingerprint(&other).unwrap(), base);
    // The executable bit does not count: Windows cannot see it.
    chmod(&main, 0o755);
    assert_eq!(fp(root), base);
    has(&input(root), "app/src/main.rs", K::File);
}

/// What Windows gives the fingerprint for the same checkout: native paths
/// with `\` separators under a `\\?\C:` canonical prefix, no executable bits,
/// the same file contents (git's `core.autocrlf=false`, as cargo needs for
/// reproducible builds). The records built from those inputs, by the same
/// functions the Windows build runs, give the hash computed on Linux.
#[test]
fn windows_shaped_inputs_give_the_linux_hash() {
    let t = TempDir::new().unwrap();
    let root = t.path();
    workspace(root);
    write(&root.join("shared/src/lib.rs"), b"pub fn shared() {}\n");
    write(&root.join("app/scripts/gen.sh"), b"#!/bin/sh\necho hi\n");
    chmod(&root.join("app/scripts/gen.sh"), 0o755);
    let mut linux_input = input(root);
    linux_input.package_dirs.push(root.join("shared"));
    let linux = fingerprint(&linux_input).unwrap();

    // The same tree as a Windows walk sees it: relative paths computed from
    // `\\?\C:\...` canonical paths, every file a plain `File`.
    let win_root = br"\\?\C:\Users\me\work\ws";
    let records = collect_files(&linux_input).unwrap();
    let mut windows: Vec<(HashedFile, Option<[u8; 32]>)> = records
        .iter()
        .map(|f| {
            let native =
                [&win_root[..], b"\\", &f.path.iter().map(|&b| if b == b'/' { b'\\' } else { b }).collect::<Vec<u8>>()]
                    .concat();
            let path = relative_bytes(win_root, &native, b"\\/");
            let contents = match f.kind {
                K::File => Some(Sha256::digest(fs::read(root.join(OsStr::from_bytes(&f.path))).unwrap()).into()),
                _ => None,
            };
            (HashedFile { path, kind: f.kind.clone() }, contents)
        })
        .collect();
    windows.sort_by(|a, b| a.0.path.cmp(&b.0.path));
    let refs: Vec<_> = windows.iter().map(|(f, c)| (f, *c)).collect();
    assert_eq!(digest(linux_input.config, &refs), linux);
    assert!(refs.iter().any(|(f, _)| f.path == b"app/scripts/gen.sh"));
    assert!(refs.iter().any(|(f, _)| f.path == b"shared/src/lib.rs"));
}

#[test]
fn relative_paths_are_slash_separated_from_windows_paths_too() {
    let rel = |root: &[u8], path: &[u8]| String::from_utf8(relative_bytes(root, path, b"\\/")).unwrap();
    assert_eq!(rel(br"\\?\C:\ws", br"\\?\C:\ws\app\src\main.rs"), "app/src/main.rs");
    assert_eq!(rel(br"\\?\C:\ws\app", br"\\?\C:\ws\shared\lib.rs"), "../shared/lib.rs");
    assert_eq!(rel(br"C:\ws", br"C:/ws/mixed\seps/x.rs"), "mixed/seps/x.rs");
    assert_eq!(rel(br"C:\ws", b"C:\\ws\\Caf\xc3\xa9.rs"), "Caf\u{e9}.rs");
    // On Unix `\` is a file name's character, not a separator.
    assert_eq!(String::from_utf8(relative_bytes(b"/ws", br"/ws/a\b.rs", b"/")).unwrap(), r"a\b.rs");
}

#[test]
fn only_target_directories_version_control_and_finder_litter_are_left_out() {
    let t = TempDir::new().unwrap();
    let root = t.path();
    workspace(root);
    let base = fp(root);
    // `app/out` is the excluded (real) target directory of `input()`.
    let left_out = "app/out/release/app app/.git/HEAD app/.hg/store app/.jj/repo app/src/.DS_Store \
                    app/inner/Cargo.toml app/inner/src/lib.rs";
    for f in left_out.split_whitespace() {
        write(&root.join(f), b"left out");
    }
    assert_eq!(fp(root), base);
    // Everything else counts: each of these is an edit that must be deployed.
    let counted = "app/src/target/mod.rs app/src/.gen.rs app/.cargo/config.toml app/target/notes.txt \
                   app/.idea/ws.xml app/.env";
    let mut previous = base;
    for f in counted.split_whitespace() {
        write(&root.join(f), b"counted");
        let now = fp(root);
        assert_ne!(now, previous, "{f} must change the hash");
        has(&input(root), f, K::File);
        previous = now;
    }
    // The nested package counts once it is a package dir itself.
    let mut with_inner = input(root);
    with_inner.package_dirs.push(root.join("app/inner"));
    has(&with_inner, "app/inner/src/lib.rs", K::File);
}

#[test]
fn a_file_swapped_for_a_fifo_fails_instead_of_hanging() {
    let t = TempDir::new().unwrap();
    let fifo = t.path().join("pipe");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: mkfifo with a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    // What the hashing workers do with a path the walk recorded as a file.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || tx.send(hash_file(&fifo, &mut [0u8; 16]).map(|_| ())).unwrap());
    let result = rx.recv_timeout(Duration::from_secs(5)).expect("hashing a FIFO must not block");
    let err = result.unwrap_err();
    assert_eq!(err.code(), ErrorCode::FingerprintFailed);
    assert!(err.message().contains("not a regular file"), "{err}");
}

#[test]
fn package_outside_the_root_gets_dotdot_paths_and_is_stable() {
    let hash = |t: &TempDir| {
        let ws = t.path().join("ws");
        workspace(&ws);
        write(&t.path().join("shared/Cargo.toml"), b"[package]");
        write(&t.path().join("shared/src/lib.rs"), b"pub fn s() {}\n");
        let mut i = input(&ws);
        i.package_dirs.push(t.path().join("shared"));
        has(&i, "../shared/src/lib.rs", K::File);
        fingerprint(&i).unwrap()
    };
    let (a, b) = (TempDir::new().unwrap(), TempDir::new().unwrap());
    assert_eq!(hash(&a), hash(&b));
    assert_eq!(relative(Path::new("/a/b"), Path::new("/a/c/d")), b"../c/d");
    assert_eq!(relative(Path::new("/a"), Path::new("/a")), b"");
}

#[test]
fn overlapping_package_dirs_are_deduplicated() {
    let t = TempDir::new().unwrap();
    workspace(t.path());
    let mut both = input(t.path());
    both.package_dirs.push(t.path().join("app/src"));
    let alone = collect_files(&input(t.path())).unwrap();
    assert_eq!(collect_files(&both).unwrap(), alone);
    assert_eq!(fingerprint(&both).unwrap(), fp(t.path()));
}

#[test]
fn extra_files_absent_and_present_differ() {
    let t = TempDir::new().unwrap();
    let root = t.path();
    workspace(root);
    let base = fp(root);
    has(&input(root), "rust-toolchain.toml", K::Absent);
    write(&root.join("rust-toolchain.toml"), b"");
    assert_ne!(fp(root), base);
    has(&input(root), "rust-toolchain.toml", K::File);
    fs::remove_file(root.join("rust-toolchain.toml")).unwrap();
    assert_eq!(fp(root), base);
}

#[test]
fn symlinks_are_followed_with_loops_and_dangling_links_recorded() {
    let t = TempDir::new().unwrap();
    let ws = t.path().join("ws");
    workspace(&ws);
    let outside = t.path().join("outside.rs");
    write(&outside, b"shared code");
    symlink(&outside, ws.join("app/src/linked.rs")).unwrap();
    symlink("..", ws.join("app/src/up")).unwrap();
    symlink("..", ws.join("app/src/util/back")).unwrap();
    symlink("util", ws.join("app/src/alias")).unwrap();
    symlink("missing.rs", ws.join("app/src/gone.rs")).unwrap();
    let i = input(&ws);
    has(&i, "app/src/up", K::Loop);
    has(&i, "app/src/util/back", K::Loop);
    has(&i, "app/src/alias/back", K::Loop);
    has(&i, "app/src/alias/mod.rs", K::File);
    has(&i, "app/src/gone.rs", K::Dangling(b"missing.rs".to_vec()));
    has(&i, "app/src/linked.rs", K::File);
    let before = fingerprint(&i).unwrap();
    write(&outside, b"changed code");
    assert_ne!(fingerprint(&i).unwrap(), before);
}

#[test]
fn fifo_is_recorded_and_never_opened() {
    let t = TempDir::new().unwrap();
    workspace(t.path());
    let pipe = t.path().join("app/src/pipe");
    let mkfifo = std::process::Command::new("mkfifo").arg(pipe).status();
    assert!(mkfifo.unwrap().success());
    has(&input(t.path()), "app/src/pipe", K::Special);
    assert_eq!(fp(t.path()), fp(t.path()));
}

#[test]
fn unreadable_file_or_folder_fails_with_fingerprint_failed() {
    let t = TempDir::new().unwrap();
    workspace(t.path());
    let secret = t.path().join("app/src/secret.rs");
    write(&secret, b"x");
    chmod(&secret, 0o000);
    if File::open(&secret).is_ok() {
        // Root reads everything: run this very test again as `nobody`, so CI
        // (which runs as root) checks the real permission error too.
        rerun_as_nobody("fingerprint::tests::unreadable_file_or_folder_fails_with_fingerprint_failed");
        return;
    }
    let err = fingerprint(&input(t.path())).unwrap_err();
    assert_eq!(err.code(), ErrorCode::FingerprintFailed);
    let msg = &err.message();
    assert!(msg.contains("secret.rs") && msg.contains("permissions"), "{msg}");
    fs::remove_file(&secret).unwrap();
    let private = t.path().join("app/src/private");
    write(&private.join("a.rs"), b"x");
    chmod(&private, 0o000);
    let err = fingerprint(&input(t.path())).unwrap_err();
    assert_eq!(err.code(), ErrorCode::FingerprintFailed);
    assert!(err.message().contains("private"), "{}", err.message());
    chmod(&private, 0o755); // lets TempDir clean up
}

#[test]
fn non_utf8_names_are_hashed_as_bytes() {
    let t = TempDir::new().unwrap();
    workspace(t.path());
    let base = fp(t.path());
    let name = OsStr::from_bytes(b"caf\xe9.rs");
    write(&t.path().join("app/src").join(name), b"//");
    has_bytes(&input(t.path()), b"app/src/caf\xe9.rs", K::File);
    assert_ne!(fp(t.path()), base);
}

#[test]
fn large_file_is_streamed_and_stable() {
    let t = TempDir::new().unwrap();
    workspace(t.path());
    let data = File::create(t.path().join("app/data.bin")).unwrap();
    let mut data = io::BufWriter::new(data);
    let block: Vec<u8> = (0..1u32 << 20).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
    for n in 0..50u8 {
        data.write_all(&[n]).unwrap();
        data.write_all(&block).unwrap();
    }
    data.flush().unwrap();
    let first = fp(t.path());
    assert_eq!(fp(t.path()), first);
    assert_ne!(
        first,
        TempDir::new()
            .map(|u| {
                workspace(u.path());
                fp(u.path())
            })
            .unwrap()
    );
}

/// Whether this run is under CI (`CI` set, as CI services do, and not `false`/`0`):
/// there, a check that cannot run must fail instead of passing by skipping itself.
fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// What a libtest run printed: how many tests it ran, passed and failed
/// (`running N tests` and the `test result:` line), or `None` when it printed
/// no summary at all.
fn libtest_counts(stdout: &str) -> Option<(usize, usize, usize)> {
    let number_after = |line: &str, word: &str| -> Option<usize> {
        let before = line.split(word).next()?;
        before.split_whitespace().last()?.parse().ok()
    };
    let running = stdout.lines().find(|l| l.starts_with("running "))?;
    let ran = running.split_whitespace().nth(1)?.parse().ok()?;
    let result = stdout.lines().find(|l| l.starts_with("test result: "))?;
    Some((ran, number_after(result, " passed")?, number_after(result, " failed")?))
}

#[test]
fn libtest_counts_reads_the_summary_lines() {
    let out = "\nrunning 1 test\n.\ntest result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 41 filtered out\n";
    assert_eq!(libtest_counts(out), Some((1, 1, 0)));
    let none = "\nrunning 0 tests\n\ntest result: ok. 0 passed; 0 failed; 0 ignored; 0 measured; 42 filtered out\n";
    assert_eq!(libtest_counts(none), Some((0, 0, 0)));
    assert_eq!(libtest_counts("error: Unrecognized option"), None);
}

/// Re-runs one test of this binary as uid/gid 65534 through `setpriv`, and
/// asserts that exactly that one test ran there and passed (a wrong name
/// runs zero tests, which libtest reports as success). The binary is copied
/// to a world-readable temp folder first (the checkout may sit below a folder
/// `nobody` cannot enter). Where `setpriv` cannot switch users it skips with
/// a note, except under CI, where that fails.
fn rerun_as_nobody(test: &str) {
    if std::env::var_os("CDK_LAMBDA_RUST_AS_NOBODY").is_some() {
        panic!("running as nobody, yet a 0o000 file was readable");
    }
    let as_nobody = || {
        let mut cmd = std::process::Command::new("setpriv");
        cmd.args(["--reuid=65534", "--regid=65534", "--clear-groups"]).current_dir("/tmp");
        cmd
    };
    if !as_nobody().arg("true").status().is_ok_and(|s| s.success()) {
        assert!(
            !under_ci(),
            "under CI the unreadable-file rule must be checked as another user, but `setpriv --reuid=65534` \
             cannot switch users here (install util-linux's setpriv, run the tests as root)"
        );
        eprintln!("setpriv cannot switch to nobody here: unreadable-file check not run");
        return;
    }
    let dir = tempfile::Builder::new().prefix("cdk-lambda-rust-nobody-").tempdir_in("/tmp").unwrap();
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
    let exe = dir.path().join("tests");
    // Copied by `cp`, not `fs::copy`: a child another test thread forks
    // while this process holds the copy open for writing would inherit that
    // handle until it execs, and executing the copy then fails with ETXTBSY.
    let cp = std::process::Command::new("cp").arg(std::env::current_exe().unwrap()).arg(&exe).status().unwrap();
    assert!(cp.success(), "cp of the test binary failed");
    fs::set_permissions(&exe, fs::Permissions::from_mode(0o755)).unwrap();
    let out = as_nobody()
        .arg(&exe)
        .args([test, "--exact", "--test-threads=1"])
        .env("CDK_LAMBDA_RUST_AS_NOBODY", "1")
        .env("TMPDIR", "/tmp")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let report = format!("{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "the test failed when run as nobody:\n{report}");
    assert_eq!(libtest_counts(&stdout), Some((1, 1, 0)), "the run as nobody must run exactly `{test}`:\n{report}");
}

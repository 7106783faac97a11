//! Property tests over the rules that take user input: paths, binary names,
//! workspace shapes, manifests, ELF bytes and command rendering.
//!
//! Inputs are generated to reach the code (folders that exist, names at
//! cargo's limits, cuts inside the ELF headers), and where a tool knows the
//! answer it is the oracle: the filesystem for paths, cargo for binary names,
//! readelf for ELF files. Nothing here touches the user's cache folder: every
//! core is the test's own without a disk cache (`common::core(None)`), and
//! every file lives in a temp folder. CI runs these with modest case counts;
//! `scripts/fuzz.sh` runs the same properties for a bounded time with many
//! more cases (`PROPTEST_CASES`).

mod common;

use std::cell::Cell;
use std::path::{Component, Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};

use cdk_lambda_rust_core::command::{build_command, BuildTargets};
use cdk_lambda_rust_core::config::{BuildConfig, BuildTool};
use cdk_lambda_rust_core::docker::{docker_command, ContainerBuild};
use cdk_lambda_rust_core::elf::{read_elf_info, read_elf_info_file, Machine};
use cdk_lambda_rust_core::entry::{absolute, find_manifest, select_binary, validate_binary_name, EntryRequest};
use cdk_lambda_rust_core::metadata::{PackageInfo, WorkspaceInfo};
use cdk_lambda_rust_core::ErrorCode;

/// `PROPTEST_CASES`, else `default`: for properties whose every case runs a tool.
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Whether this run is under CI (`CI` set, and not `false`/`0`): there an
/// oracle that is missing fails the test instead of skipping it.
fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

fn config(extra: Vec<String>, env: Vec<(String, String)>) -> BuildConfig {
    BuildConfig {
        triple: "x86_64-unknown-linux-gnu".into(),
        profile: "release".into(),
        tool: BuildTool::CargoLambda,
        extra_build_args: extra,
        environment: env,
        artifact: Default::default(),
    }
}

fn container_command(package: &str, binary: &str, config: &BuildConfig) -> Vec<String> {
    docker_command(&ContainerBuild {
        workspace_in_source: "",
        package,
        binary,
        config,
        before_bundling: &[],
        after_bundling: &[],
        forced: true,
        passes_environment: false,
    })
    .unwrap()
}

// ---------------------------------------------------------------- paths

/// Relative path text of at most 8 parts: names (some with spaces, quotes,
/// `$`, `;`, newlines, backslashes, `*`), `.` and `..`.
fn path_text() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof!["[a-z]{1,4}", Just(".".to_string()), Just("..".to_string()), "[ $;'\"\n\\\\*]{1,3}"],
        0..8,
    )
    .prop_map(|parts| parts.join("/"))
}

proptest! {
    #[test]
    fn absolute_resolves_dots_as_the_filesystem_does(rel in path_text()) {
        // Every folder the path names exists (no symlinks), so the kernel's
        // resolution is the oracle. Eight levels deep: `..` never leaves the
        // temp folder.
        let tmp = tempfile::tempdir().unwrap();
        let base = tmp.path().canonicalize().unwrap().join("1/2/3/4/5/6/7/8");
        std::fs::create_dir_all(&base).unwrap();
        let mut dir = base.clone();
        for part in rel.split('/') {
            dir.push(part);
            if let Err(e) = std::fs::create_dir(&dir) {
                prop_assert_eq!(e.kind(), std::io::ErrorKind::AlreadyExists, "{:?}", dir);
            }
        }
        let out = absolute(&base, Path::new(&rel));
        prop_assert_eq!(&out, &base.join(&rel).canonicalize().unwrap());
        prop_assert!(out.components().all(|c| !matches!(c, Component::CurDir | Component::ParentDir)), "{out:?}");
        prop_assert_eq!(absolute(Path::new("/elsewhere"), &out), out.clone());
    }
}

/// Folders of the tree the manifest search runs in; each may hold a Cargo.toml.
const TREE: [&str; 8] = ["", "app", "app/lib", "app/lib/deep", "app/lib/stack.fn", "app/stack.other", "cwd", "other"];
/// Defining files (created, as files).
const DEFINING: [&str; 4] = ["app/lib/stack.ts", "app/lib/deep/handler.js", "app/stack.ts", "other/x.mjs"];
const IDS: [&str; 5] = ["fn", "other", "handler", "x/../fn", ""];
/// `entry` values: folders, manifests, a file that is no manifest, missing paths.
const ENTRIES: [&str; 9] = [
    "app",
    "app/Cargo.toml",
    "app/lib/stack.ts",
    "missing",
    "../app/lib",
    "./other/",
    "Cargo.toml",
    "app/lib/stack.fn",
    "cwd/..",
];
const CWDS: [&str; 3] = ["cwd", "app/lib", ""];

#[derive(Debug, Clone)]
struct Search {
    manifests: [bool; TREE.len()],
    defining: Option<usize>,
    id: Option<usize>,
    /// (absolute, index into ENTRIES)
    entry: Option<(bool, usize)>,
    cwd: usize,
}

fn search() -> impl Strategy<Value = Search> {
    (
        proptest::array::uniform8(proptest::bool::weighted(0.4)),
        proptest::option::weighted(0.8, 0..DEFINING.len()),
        proptest::option::weighted(0.8, 0..IDS.len()),
        proptest::option::weighted(0.3, (any::<bool>(), 0..ENTRIES.len())),
        0..CWDS.len(),
    )
        .prop_map(|(manifests, defining, id, entry, cwd)| Search { manifests, defining, id, entry, cwd })
}

/// `path` with `.` and `..` removed by spelling, as Node's `path.resolve`
/// does (and as the paths a CDK app builds with `path.join` are): `a/x/..`
/// is `a` even where `a/x` does not exist.
fn lexical(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// The README's rules ("How the crate is found"), asked of the filesystem.
fn readme_manifest(root: &Path, s: &Search) -> Result<PathBuf, ErrorCode> {
    let cwd = root.join(CWDS[s.cwd]);
    if let Some((abs, e)) = s.entry {
        let entry = lexical(&if abs { root.join(ENTRIES[e]) } else { cwd.join(ENTRIES[e]) });
        return match std::fs::metadata(&entry) {
            Ok(m) if m.is_dir() && entry.join("Cargo.toml").is_file() => Ok(entry.join("Cargo.toml")),
            Ok(m) if m.is_dir() => Err(ErrorCode::EntryNotFound),
            Ok(_) if entry.file_name().is_some_and(|n| n == "Cargo.toml") => Ok(entry),
            Ok(_) => Err(ErrorCode::InvalidEntry),
            Err(_) => Err(ErrorCode::EntryNotFound),
        };
    }
    if let Some(d) = s.defining {
        let file = root.join(DEFINING[d]);
        let stem = file.file_stem().unwrap().to_string_lossy().into_owned();
        if let Some(i) = s.id {
            let conventional = file.parent().unwrap().join(format!("{stem}.{}", IDS[i])).join("Cargo.toml");
            if conventional.is_file() {
                return Ok(conventional);
            }
        }
        if let Some(found) = file.ancestors().skip(1).map(|d| d.join("Cargo.toml")).find(|m| m.is_file()) {
            return Ok(found);
        }
    } else if let Some(i) = s.id {
        // No defining file (jsii languages): `<working directory>/<id>/Cargo.toml`.
        let by_id = cwd.join(IDS[i]).join("Cargo.toml");
        if by_id.is_file() {
            return Ok(by_id);
        }
    }
    let in_cwd = cwd.join("Cargo.toml");
    if in_cwd.is_file() {
        Ok(in_cwd)
    } else {
        Err(ErrorCode::EntryNotFound)
    }
}

proptest! {
    #[test]
    fn manifest_search_follows_the_readme_rules_on_real_folders(s in search()) {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().canonicalize().unwrap();
        for (dir, has_manifest) in TREE.iter().zip(s.manifests) {
            std::fs::create_dir_all(root.join(dir)).unwrap();
            if has_manifest {
                std::fs::write(root.join(dir).join("Cargo.toml"), "").unwrap();
            }
        }
        for file in DEFINING {
            std::fs::create_dir_all(root.join(file).parent().unwrap()).unwrap();
            std::fs::write(root.join(file), "").unwrap();
        }
        let cwd = root.join(CWDS[s.cwd]);
        let req = EntryRequest {
            // Odd ones relative: relative paths are taken from the working directory.
            defining_file: s.defining.map(|d| if d % 2 == 1 { pathdiff(&root.join(DEFINING[d]), &cwd) } else { root.join(DEFINING[d]) }),
            id: s.id.map(|i| IDS[i].to_string()),
            entry: s.entry.map(|(abs, e)| if abs { root.join(ENTRIES[e]) } else { PathBuf::from(ENTRIES[e]) }),
            cwd: cwd.clone(),
        };
        let expected = readme_manifest(&root, &s);
        match (find_manifest(&req), expected) {
            (Ok(found), Ok(want)) => {
                prop_assert!(found.components().all(|c| !matches!(c, Component::CurDir | Component::ParentDir)), "{found:?}");
                prop_assert_eq!(found.canonicalize().unwrap(), want.canonicalize().unwrap(), "{:?}", s);
            }
            (Err(e), Err(code)) => prop_assert_eq!(e.code(), code, "{}", e),
            (got, want) => prop_assert!(false, "{s:?}: got {got:?}, the README says {want:?}"),
        }
    }
}

/// `path` relative to `base` (both absolute, below a common root), with `..`.
fn pathdiff(path: &Path, base: &Path) -> PathBuf {
    let (p, b): (Vec<_>, Vec<_>) = (path.components().collect(), base.components().collect());
    let common = p.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut out: PathBuf = b[common..].iter().map(|_| Component::ParentDir).collect();
    out.extend(&p[common..]);
    out
}

// ---------------------------------------------------------------- binary names

/// Names at the edge of what cargo accepts: plain words, words with one odd
/// character, leading `-`, `_` or digits, cargo's reserved names, and any text.
fn binary_name_candidate() -> impl Strategy<Value = String> {
    let edges = [
        "deps",
        "build",
        "examples",
        "incremental",
        "Deps",
        "builds",
        "test",
        "main",
        "bench",
        "doc",
        "_",
        "-",
        "1",
        "-x",
        "x-",
        "a--b",
    ];
    prop_oneof![
        4 => "[a-zA-Z0-9_-]{1,8}",
        2 => "[a-z]{0,3}[-_0-9.+ é$;:/\\\\]{1}[a-z0-9]{0,3}",
        2 => proptest::sample::select(edges.to_vec()).prop_map(String::from),
        1 => "\\PC{0,6}",
    ]
}

/// Names cargo refuses for a `[[bin]]` ("conflicts with cargo's build
/// directory names"): refused up front with INVALID_OPTION.
const CARGO_RESERVED_BIN_NAMES: [&str; 4] = ["deps", "examples", "build", "incremental"];

/// A scratch package to ask cargo about binary names, with one target folder
/// for every question (each `cargo check` then takes a fraction of a second).
struct CargoOracle {
    dir: tempfile::TempDir,
}

impl CargoOracle {
    fn new() -> CargoOracle {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("src")).unwrap();
        std::fs::write(dir.path().join("src/main.rs"), "fn main() {}\n").unwrap();
        CargoOracle { dir }
    }

    /// Whether cargo builds a `[[bin]]` named `name`, asked the way our build
    /// command asks (`--bin <name>` as its own argument). `name` is put into
    /// TOML as a basic string, escaped.
    fn builds_bin(&self, name: &str) -> Result<(), String> {
        let quoted = serde_json::to_string(name).unwrap(); // JSON string escapes are TOML's
        let manifest = self.dir.path().join("Cargo.toml");
        std::fs::write(
            &manifest,
            format!(
                "[package]\nname = \"probe\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[[bin]]\nname = {quoted}\npath = \"src/main.rs\"\n"
            ),
        )
        .unwrap();
        let out = Command::new("cargo")
            .args(["check", "--quiet", "--offline", "--manifest-path"])
            .arg(&manifest)
            .arg("--bin")
            .arg(name)
            .env("CARGO_TARGET_DIR", self.dir.path().join("target"))
            .output()
            .unwrap();
        if out.status.success() {
            Ok(())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    }
}

#[test]
fn binary_names_we_accept_are_names_cargo_builds() {
    // A hand-run proptest, to count how many cases reached cargo.
    let oracle = CargoOracle::new();
    let (accepted, refused) = (Cell::new(0u32), Cell::new(0u32));
    let mut runner = TestRunner::new(Config { cases: cases(32), failure_persistence: None, ..Config::default() });
    let result = runner.run(&binary_name_candidate(), |name| {
        match validate_binary_name(&name) {
            Ok(()) => {
                accepted.set(accepted.get() + 1);
                if let Err(cargo_says) = oracle.builds_bin(&name) {
                    prop_assert!(false, "validate_binary_name accepts {name:?}, cargo refuses it:\n{cargo_says}");
                }
            }
            Err(e) => {
                refused.set(refused.get() + 1);
                prop_assert_eq!(e.code(), ErrorCode::InvalidOption);
            }
        }
        Ok(())
    });
    if let Err(failure) = result {
        panic!("{failure}");
    }
    // The generator reached both sides of the rule.
    let total = runner.config().cases;
    assert!(accepted.get() >= total / 4, "only {} of {total} names reached cargo", accepted.get());
    assert!(refused.get() >= total / 8, "only {} of {total} names were refused", refused.get());
}

#[test]
fn cargo_refuses_the_names_we_refuse_that_it_could_misread() {
    // The other direction is not a rule (we may refuse more than cargo, e.g.
    // non-ASCII letters); these are the names the README promises to refuse
    // because cargo, or its command line, would.
    let oracle = CargoOracle::new();
    for name in ["", "a b", "a;b", "$(touch x)", "a/b", "a.b", "-x"] {
        assert_eq!(validate_binary_name(name).unwrap_err().code(), ErrorCode::InvalidOption, "{name:?}");
        assert!(oracle.builds_bin(name).is_err(), "cargo builds a binary named {name:?}");
    }
}

#[test]
fn cargos_reserved_binary_names_are_refused_up_front_as_cargo_refuses_them() {
    let oracle = CargoOracle::new();
    for name in CARGO_RESERVED_BIN_NAMES {
        let cargo_says = oracle.builds_bin(name).unwrap_err();
        assert!(cargo_says.contains("forbidden"), "{cargo_says}");
        let err = validate_binary_name(name).unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidOption);
        assert!(err.message().contains("reserved"), "{err}");
    }
}

// ---------------------------------------------------------------- binary selection

const BIN_POOL: [&str; 6] = ["api", "worker", "tool", "p1", "a-b", "x_1"];

prop_compose! {
    /// A workspace cargo would accept: unique package names, unique binaries
    /// per package, binary names drawn from a small pool so that packages
    /// share them and packages are often named like one of their binaries.
    fn workspace()(members in proptest::collection::vec((proptest::sample::subsequence(BIN_POOL.to_vec(), 0..4), any::<bool>()), 0..6)) -> WorkspaceInfo {
        WorkspaceInfo {
            workspace_root: "/ws".into(),
            target_directory: "/ws/target".into(),
            members: members.into_iter().enumerate().map(|(i, (bins, is_lambda))| {
                let name = format!("p{i}");
                PackageInfo {
                    manifest_path: PathBuf::from(format!("/ws/{name}/Cargo.toml")),
                    name,
                    has_lib: bins.is_empty(),
                    bins: bins.into_iter().map(String::from).collect(),
                    path_deps: vec![],
                    is_lambda,
                }
            }).collect(),
        }
    }
}

/// A workspace, the index of the entry's package (past the end: the root
/// manifest) and a `binaryName`: mostly one that exists.
fn selection_case() -> impl Strategy<Value = (WorkspaceInfo, usize, Option<String>)> {
    workspace().prop_flat_map(|ws| {
        let wanted = prop_oneof![
            3 => proptest::sample::select(BIN_POOL.to_vec()).prop_map(|b| Some(b.to_string())),
            1 => Just(None),
            1 => "[a-z][a-z_-]{0,5}".prop_map(Some),
        ];
        let entries = ws.members.len() + 1;
        (Just(ws), 0..entries, wanted)
    })
}

proptest! {
    #[test]
    fn binary_selection_follows_the_readme_rules((ws, pick, wanted) in selection_case()) {
        let entry = ws.members.get(pick);
        let manifest = entry.map(|p| p.manifest_path.clone()).unwrap_or_else(|| PathBuf::from("/ws/Cargo.toml"));
        let got = select_binary(&ws, &manifest, wanted.as_deref()).map(|s| (s.package.name, s.binary)).map_err(|e| (e.code(), e.message()));
        let has = |p: &PackageInfo, b: &str| p.bins.iter().any(|x| x == b);
        // "Which binary is built", in the README's words.
        let want: Result<(String, String), ErrorCode> = match (&wanted, entry) {
            (Some(w), Some(p)) if has(p, w) => Ok((p.name.clone(), w.clone())),
            (Some(w), _) => {
                let owners: Vec<&PackageInfo> = ws.members.iter().filter(|p| has(p, w)).collect();
                match owners.as_slice() {
                    [one] => Ok((one.name.clone(), w.clone())),
                    [] => Err(ErrorCode::UnknownBinary),
                    _ => Err(ErrorCode::AmbiguousBinary),
                }
            }
            (None, None) => Err(ErrorCode::AmbiguousBinary),
            (None, Some(p)) if has(p, &p.name) => Ok((p.name.clone(), p.name.clone())),
            (None, Some(p)) => match p.bins.as_slice() {
                [one] => Ok((p.name.clone(), one.clone())),
                [] => Err(ErrorCode::LibraryOnly),
                _ => Err(ErrorCode::AmbiguousBinary),
            },
        };
        match (&got, &want) {
            (Ok(g), Ok(w)) => prop_assert_eq!(g, w),
            (Err((code, message)), Err(w)) => {
                prop_assert_eq!(code, w, "{}", message);
                if *code == ErrorCode::UnknownBinary {
                    for bin in ws.members.iter().flat_map(|p| p.bins.iter()) {
                        prop_assert!(message.contains(bin.as_str()), "{} misses {}", message, bin);
                    }
                }
            }
            _ => prop_assert!(false, "got {got:?}, the README says {want:?}"),
        }
    }
}

// ---------------------------------------------------------------- ELF

/// This test binary: a real, dynamically linked ELF with glibc version needs.
fn this_binary() -> &'static [u8] {
    static BYTES: OnceLock<Vec<u8>> = OnceLock::new();
    BYTES.get_or_init(|| std::fs::read(std::env::current_exe().unwrap()).unwrap())
}

/// Byte ranges of this binary's ELF structures: the section header table,
/// `.gnu.version_r` and the string table it links to (the glibc version
/// needs are read through these). Hand-read: ELF64, little-endian.
struct Layout {
    len: usize,
    section_headers: std::ops::Range<usize>,
    version_needs: std::ops::Range<usize>,
    version_names: std::ops::Range<usize>,
}

fn layout(elf: &[u8]) -> Layout {
    let u = |at: usize, n: usize| elf[at..at + n].iter().rev().fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
    let (shoff, shentsize, shnum) = (u(40, 8), u(58, 2), u(60, 2));
    let section = |i: usize| {
        let sh = shoff + i * shentsize;
        (u(sh + 4, 4), u(sh + 24, 8)..u(sh + 24, 8) + u(sh + 32, 8), u(sh + 40, 4))
    };
    let (_, version_needs, link) = (0..shnum).map(section).find(|(kind, _, _)| *kind == 0x6fff_fffe).unwrap();
    Layout {
        len: elf.len(),
        section_headers: shoff..shoff + shnum * shentsize,
        version_needs,
        version_names: section(link).1,
    }
}

/// A cut and some byte overwrites of an ELF laid out as `l`: cuts inside the
/// first 4 KiB (ELF and program headers), inside the section header table,
/// anywhere, or none; writes into the headers, the section header table, the
/// version needs and their names, or anywhere.
fn elf_mutation(l: &Layout) -> impl Strategy<Value = (usize, Vec<(usize, u8)>)> {
    let len = l.len;
    let cut = prop_oneof![
        2 => 0..4096usize.min(len + 1),
        1 => l.section_headers.start..=len,
        1 => 0..=len,
        2 => Just(len),
    ];
    let at =
        prop_oneof![0..256usize, l.section_headers.clone(), l.version_needs.clone(), l.version_names.clone(), 0..len,];
    (cut, proptest::collection::vec((at, any::<u8>()), 0..16))
}

proptest! {
    #[test]
    fn elf_parsing_never_panics_on_cut_and_overwritten_binaries((cut, writes) in elf_mutation(&layout(this_binary()))) {
        let mut bytes = this_binary()[..cut].to_vec();
        for (at, value) in writes {
            if let Some(b) = bytes.get_mut(at) {
                *b = value;
            }
        }
        let _ = read_elf_info(&bytes);
    }
}

#[test]
fn elf_mutations_reach_the_headers_the_section_table_and_the_version_needs() {
    // A slip such as `64 * 1024.max(cut)` (which keeps the whole file in 63
    // cases of 64) would make the property above parse intact files only.
    let l = layout(this_binary());
    assert!(
        l.section_headers.start > 4096 && l.section_headers.end == l.len,
        "section headers at {:?} of {}",
        l.section_headers,
        l.len
    );
    assert!(!l.version_needs.is_empty() && !l.version_names.is_empty());
    let strategy = elf_mutation(&l);
    let mut runner = TestRunner::deterministic();
    let samples: Vec<_> = (0..1000).map(|_| strategy.new_tree(&mut runner).unwrap().current()).collect();
    type Writes = [(usize, u8)];
    let count = |f: &dyn Fn(usize, &Writes) -> bool| samples.iter().filter(|(cut, w)| f(*cut, w)).count();
    let intact_but =
        |cut: usize, w: &Writes, r: &std::ops::Range<usize>| cut == l.len && w.iter().any(|(at, _)| r.contains(at));
    assert!(count(&|cut, _| cut < 64) >= 3, "cuts inside the ELF header");
    assert!(count(&|cut, _| cut < 4096) >= 250, "cuts inside the program headers");
    assert!(count(&|cut, _| l.section_headers.contains(&cut)) >= 100, "cuts inside the section header table");
    assert!(count(&|cut, w| intact_but(cut, w, &l.section_headers)) >= 50, "writes into an intact section table");
    assert!(count(&|cut, w| intact_but(cut, w, &l.version_needs)) >= 50, "writes into intact version needs");
    assert!(count(&|cut, w| intact_but(cut, w, &l.version_names)) >= 50, "writes into intact version names");
}

/// What readelf says about an ELF file.
struct ReadelfSays {
    machine: u16,
    /// `GLIBC_x.y` versions needed (from `.gnu.version_r`), sorted.
    glibc: Vec<(u32, u32)>,
    /// No INTERP program header and no NEEDED entry.
    is_static: bool,
}

fn readelf(path: &Path) -> Option<ReadelfSays> {
    let run = |flag: &str| -> Option<String> {
        let out = Command::new("readelf").args([flag, "--wide"]).arg(path).env("LC_ALL", "C").output().ok()?;
        out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let header = run("-h")?;
    let machine = match header.lines().find(|l| l.trim_start().starts_with("Machine:"))?.split(':').nth(1)?.trim() {
        "Advanced Micro Devices X86-64" => 62,
        "AArch64" => 183,
        _ => return None,
    };
    let versions = run("-V")?;
    let needs = versions.split("Version needs section").nth(1).map(|s| s.split("\nVersion ").next().unwrap_or(s));
    let mut glibc: Vec<(u32, u32)> = needs
        .into_iter()
        .flat_map(str::lines)
        .filter_map(|l| l.split("Name: GLIBC_").nth(1)?.split_whitespace().next().map(str::to_owned))
        .filter_map(|v| {
            let mut parts = v.split('.').map(|p| p.parse::<u32>().ok());
            Some((parts.next()??, parts.next().unwrap_or(Some(0))?))
        })
        .collect();
    glibc.sort_unstable();
    glibc.dedup();
    let is_static = !run("-l")?.contains(" INTERP ") && !run("-d")?.contains("(NEEDED)");
    Some(ReadelfSays { machine, glibc, is_static })
}

#[test]
fn elf_readings_agree_with_readelf_on_this_machines_binaries() {
    if Command::new("readelf").arg("--version").output().is_err() {
        assert!(!under_ci(), "under CI, readelf (binutils) must be installed: it is the oracle of the ELF reader");
        eprintln!("readelf not installed: ELF reader not compared with it");
        return;
    }
    // Executables and libraries of this machine, plus the aarch64 sysroot of
    // scripts/setup-qemu.sh when present: real files from many linkers.
    let qemu = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.cache/qemu/usr/aarch64-linux-gnu/lib");
    let mut files: Vec<PathBuf> = ["/usr/bin", "/usr/lib/x86_64-linux-gnu", "/usr/libexec"]
        .iter()
        .map(PathBuf::from)
        .chain([qemu])
        .filter_map(|d| std::fs::read_dir(d).ok())
        .flat_map(|d| d.filter_map(|e| e.ok()).map(|e| e.path()).collect::<Vec<_>>())
        .filter(|p| p.is_file() && std::fs::read(p).is_ok_and(|b| b.starts_with(b"\x7fELF")))
        .collect();
    files.sort();
    // Every 7th, at most 60: a fixed sample that spans the alphabet.
    let sample: Vec<PathBuf> =
        files.into_iter().step_by(7).take(60).chain([std::env::current_exe().unwrap()]).collect();
    let mut compared = 0;
    for file in &sample {
        let Some(ReadelfSays { machine, glibc, is_static }) = readelf(file) else { continue };
        let info = read_elf_info_file(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        assert_eq!(info.machine, Machine::from_e_machine(machine), "{}", file.display());
        assert_eq!(info.glibc_versions, glibc, "{}", file.display());
        assert_eq!(info.is_static, is_static, "{}", file.display());
        compared += 1;
    }
    assert!(compared >= 10, "only {compared} ELF files compared with readelf");
}

// ---------------------------------------------------------------- commands

fn name() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9_-]{0,6}"
}

proptest! {
    #[test]
    fn user_values_never_become_docker_script_text(arg in "\\PC{1,12}", bin in name()) {
        // The script text must not depend on user values at all: they travel
        // as positional arguments.
        let argv = container_command("pkg", &bin, &config(vec![arg.clone()], vec![]));
        let reference = container_command("other", "x", &config(vec!["y".into()], vec![]));
        prop_assert_eq!(&argv[2], &reference[2]);
        prop_assert_eq!(argv.last().unwrap(), &arg);
    }

    #[test]
    fn displayed_commands_split_back_into_the_same_argv(args in proptest::collection::vec("[ -~\n]{0,10}", 0..4)) {
        // What users copy from our logs must run the same command.
        let cmd = build_command(Path::new("/w s"), Path::new("/t"), &config(args, vec![]), &BuildTargets { binaries: vec![("p".into(), "b".into())] });
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("for a in {}; do printf '%s\\0' \"$a\"; done", cmd.display()))
            .output()
            .unwrap();
        // Every word is NUL-terminated, so empty arguments survive the split.
        let mut split: Vec<String> = out.stdout.split(|b| *b == 0).map(|s| String::from_utf8_lossy(s).into_owned()).collect();
        prop_assert_eq!(split.pop(), Some(String::new()));
        let mut expected = vec![cmd.program.clone()];
        expected.extend(cmd.args.iter().cloned());
        prop_assert_eq!(split, expected);
    }
}

// ---------------------------------------------------------------- manifests

proptest! {
    // Each case runs `cargo metadata`: few cases in CI, many in scripts/fuzz.sh.
    #![proptest_config(ProptestConfig::with_cases(cases(12)))]

    #[test]
    fn arbitrary_manifests_give_a_coded_error_or_a_workspace(body in manifest_text()) {
        let dir = tempfile::tempdir().unwrap();
        let manifest = dir.path().join("Cargo.toml");
        std::fs::create_dir_all(dir.path().join("src")).unwrap();
        std::fs::write(dir.path().join("src/main.rs"), "fn main() {}").unwrap();
        std::fs::write(&manifest, &body).unwrap();
        let (core, _) = common::core(None);
        match core.workspaces.load(&manifest, &[]) {
            Ok(ws) => prop_assert!(!ws.members.is_empty() || body.contains("[workspace]")),
            Err(e) => {
                prop_assert_eq!(e.code(), ErrorCode::ManifestInvalid, "{}", e);
                prop_assert!(!e.message().contains("panicked"));
            }
        }
    }
}

/// Manifests near the valid ones: real keys, odd values, broken syntax.
fn manifest_text() -> impl Strategy<Value = String> {
    let line = prop_oneof![
        Just("[package]".to_string()),
        Just("[workspace]".to_string()),
        Just("[[bin]]".to_string()),
        Just("[dependencies]".to_string()),
        "name = \"[a-z\\-_ $]{0,8}\"",
        Just("version = \"0.1.0\"".to_string()),
        Just("edition = \"2021\"".to_string()),
        "path = \"[a-z/.]{0,10}\"",
        "members = \\[\"[a-z*/.]{0,6}\"\\]",
        "version.workspace = (true|false)",
        "[\\PC]{0,20}",
    ];
    proptest::collection::vec(line, 0..8).prop_map(|lines| lines.join("\n"))
}

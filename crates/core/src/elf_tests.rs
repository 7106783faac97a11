//! Unit tests of `elf.rs`, kept apart to keep that module readable.

use super::*;
use crate::errors::ErrorCode;

/// Assembles a minimal ELF: header, optional PT_INTERP/PT_DYNAMIC, and
/// sections null, .dynstr, [.gnu.version_r], [.dynamic]. Default: ELF64 LE.
#[derive(Default)]
struct TestElf {
    class32: bool,
    big_endian: bool,
    machine: u16,
    interp: bool,
    dynamic: bool, // PT_DYNAMIC even without DT_NEEDED (static-pie)
    needed: Vec<&'static str>,
    verneed: Vec<(&'static str, Vec<&'static str>)>,
    raw_verneed: Option<(Vec<u8>, u32)>, // replaces .gnu.version_r bytes and sh_info
    verneed_link: Option<u32>,
}

fn elf(machine: u16) -> TestElf {
    TestElf { machine, ..Default::default() }
}

fn glibc_app(machine: u16) -> TestElf {
    let libc = vec!["GLIBC_2.2.5", "GLIBC_2.34", "GLIBC_PRIVATE", "GLIBC_2.17", "GLIBC_ABI_DT_RELR"];
    TestElf {
        interp: true,
        needed: vec!["libc.so.6", "libgcc_s.so.1"],
        verneed: vec![
            ("libgcc_s.so.1", vec!["GCC_3.0", "GLIBCXX_3.4"]),
            ("libc.so.6", libc),
            ("libm.so.6", vec!["GLIBC_2.29", "GLIBC_2.2.5"]),
        ],
        ..elf(machine)
    }
}

/// Appends `(value, width)` fields in the file's byte order; width 0 is a class word.
struct W(Vec<u8>, bool, bool);
impl W {
    fn put(&mut self, fields: &[(u64, usize)]) {
        for &(v, len) in fields {
            let len = match (len, self.2) {
                (0, true) => 4,
                (0, false) => 8,
                _ => len,
            };
            let b = &v.to_le_bytes()[..len];
            let b: Vec<u8> = if self.1 { b.iter().rev().copied().collect() } else { b.to_vec() };
            self.0.extend(b);
        }
    }
}

impl TestElf {
    fn build(&self) -> Vec<u8> {
        let new = || W(Vec::new(), self.big_endian, self.class32);
        let mut strs = vec![0u8];
        let mut add = |s: &str| {
            strs.extend(s.as_bytes().iter().chain([&0]));
            (strs.len() - s.len() - 1) as u64
        };
        let (mut vn, mut dynamic) = (new(), new());
        for (i, (file, names)) in self.verneed.iter().enumerate() {
            let n = names.len() as u64;
            let next = if i + 1 == self.verneed.len() { 0 } else { 16 + 16 * n };
            vn.put(&[(1, 2), (n, 2), (add(file), 4), (16, 4), (next, 4)]);
            for (j, name) in names.iter().enumerate() {
                let next = if j + 1 == names.len() { 0 } else { 16 };
                vn.put(&[(0, 4), (0, 2), (j as u64 + 2, 2), (add(name), 4), (next, 4)]);
            }
        }
        for lib in &self.needed {
            dynamic.put(&[(DT_NEEDED, 0), (add(lib), 0)]);
        }
        if self.dynamic || !self.needed.is_empty() {
            dynamic.put(&[(DT_NULL, 0), (0, 0)]);
        }
        let (vn, vn_info) = self.raw_verneed.clone().unwrap_or((vn.0, self.verneed.len() as u32));
        let (dynamic, c64) = (dynamic.0, !self.class32);
        let (eh, ph, sh) = if c64 { (64, 56, 64) } else { (52, 32, 40) };
        let phdrs: Vec<u32> = [(PT_INTERP, self.interp), (PT_DYNAMIC, !dynamic.is_empty())]
            .into_iter()
            .filter_map(|(kind, on)| on.then_some(kind))
            .collect();
        let str_off = eh + ph * phdrs.len() as u64;
        let vn_off = str_off + strs.len() as u64;
        let dyn_off = vn_off + vn.len() as u64;
        let sh_off = dyn_off + dynamic.len() as u64;
        // (type, offset, size, link, info)
        let mut sections = vec![(0, 0, 0, 0, 0), (3, str_off, strs.len() as u64, 0, 0)];
        if !vn.is_empty() {
            let link = self.verneed_link.unwrap_or(1);
            sections.push((SHT_GNU_VERNEED, vn_off, vn.len() as u64, link, vn_info));
        }
        if !dynamic.is_empty() {
            sections.push((6, dyn_off, dynamic.len() as u64, 1, 0));
        }

        let mut o = new();
        o.0.extend([0x7f, b'E', b'L', b'F', if c64 { 2 } else { 1 }, if self.big_endian { 2 } else { 1 }, 1]);
        o.0.resize(16, 0);
        let e_phoff = if phdrs.is_empty() { 0 } else { eh };
        o.put(&[(ET_DYN.into(), 2), (self.machine.into(), 2), (1, 4), (0, 0), (e_phoff, 0), (sh_off, 0), (0, 4)]);
        o.put(&[(eh, 2), (ph, 2), (phdrs.len() as u64, 2), (sh, 2), (sections.len() as u64, 2), (0, 2)]);
        for &kind in &phdrs {
            let (off, size) = if kind == PT_DYNAMIC { (dyn_off, dynamic.len() as u64) } else { (str_off, 1) };
            let mut fields = vec![(kind.into(), 4), (off, 0), (0, 0), (0, 0), (size, 0), (size, 0), (8, 0)];
            fields.insert(if c64 { 1 } else { 6 }, (4, 4)); // p_flags moved in ELF64
            o.put(&fields);
        }
        o.0.extend(strs.iter().chain(&vn).chain(&dynamic));
        for (kind, off, size, link, info) in sections {
            o.put(&[(0, 4), (kind.into(), 4), (0, 0), (0, 0), (off, 0), (size, 0)]);
            o.put(&[(link.into(), 4), (info.into(), 4)]);
            o.put(&[(1, 0), (0, 0)]);
        }
        o.0
    }
}

fn not_elf(bytes: &[u8]) -> String {
    let err = read_elf_info(bytes).unwrap_err();
    assert_eq!(err.code(), ErrorCode::NotElf, "{err}");
    err.message()
}

#[test]
fn parses_machine_and_glibc_needs_in_every_class_and_byte_order() {
    for (machine, expected) in [(EM_X86_64, Machine::X86_64), (EM_AARCH64, Machine::Aarch64), (40, Machine::Other(40))]
    {
        for (class32, big_endian) in [(false, false), (false, true), (true, false), (true, true)] {
            let info = read_elf_info(&TestElf { class32, big_endian, ..glibc_app(machine) }.build()).unwrap();
            assert_eq!((info.machine, info.class64, info.little_endian), (expected, !class32, !big_endian));
            // GLIBC_2.2.5 counts as 2.2; PRIVATE, ABI_DT_RELR, GLIBCXX and GCC do not count.
            assert_eq!(info.glibc_versions, vec![(2, 2), (2, 17), (2, 29), (2, 34)]);
            assert_eq!(info.max_glibc(), Some((2, 34)));
            assert!(!info.is_static);
        }
    }
    assert_eq!(Machine::Aarch64.name(), "arm64 (aarch64)");
}

#[test]
fn parses_version_names() {
    assert_eq!(glibc_version(b"GLIBC_2.2.5"), Some((2, 2)));
    assert_eq!(glibc_version(b"GLIBC_2.39"), Some((2, 39)));
    assert_eq!(glibc_version(b"GLIBC_3"), Some((3, 0)));
    for name in "GLIBC_PRIVATE GLIBC_ABI_DT_RELR GLIBCXX_3.4 GLIBC_2.x GLIBC_+2.3 GLIBC_2..1 GLIBC_ GLIBC_9999999999.1"
        .split(' ')
    {
        assert_eq!(glibc_version(name.as_bytes()), None, "{name}");
    }
}

#[test]
fn static_binaries() {
    let info = read_elf_info(&elf(EM_X86_64).build()).unwrap();
    assert!(info.is_static && info.glibc_versions.is_empty());
    // static-pie: PT_DYNAMIC without DT_NEEDED, no interpreter.
    let pie = TestElf { dynamic: true, ..elf(EM_X86_64) }.build();
    assert!(read_elf_info(&pie).unwrap().is_static);
    let needed_only = TestElf { needed: vec!["libc.so.6"], ..elf(EM_X86_64) }.build();
    assert!(!read_elf_info(&needed_only).unwrap().is_static);
    let interp_only = TestElf { interp: true, ..elf(EM_X86_64) }.build();
    assert!(!read_elf_info(&interp_only).unwrap().is_static);
}

#[test]
fn every_truncation_fails_cleanly() {
    for build in [glibc_app(EM_X86_64), TestElf { class32: true, big_endian: true, ..glibc_app(EM_AARCH64) }] {
        let full = build.build();
        assert!(read_elf_info(&full).is_ok());
        // Section headers come last, so every strict prefix is corrupt.
        for len in 0..full.len() {
            assert_eq!(read_elf_info(&full[..len]).unwrap_err().code(), ErrorCode::NotElf, "prefix of {len}");
        }
    }
}

#[test]
fn random_corruption_never_panics() {
    let full = glibc_app(EM_X86_64).build();
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut rand = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for _ in 0..20_000 {
        let mut bytes = full.clone();
        for _ in 0..1 + rand() % 4 {
            let at = (rand() % bytes.len() as u64) as usize;
            bytes[at] = [0, 0xff, 0x7f, 0x80, rand() as u8][(rand() % 5) as usize];
        }
        let _ = read_elf_info(&bytes);
    }
}

#[test]
fn rejects_garbage() {
    assert!(not_elf(b"").contains("magic"));
    assert!(not_elf(b"#!/bin/sh\necho hello\n").contains("magic"));
    assert!(not_elf(&[0x5a; 4096]).contains("magic"));
    let mut bad_class = elf(EM_X86_64).build();
    bad_class[4] = 9;
    assert!(not_elf(&bad_class).contains("class"));
    let mut object = elf(EM_X86_64).build();
    object[16] = 1; // ET_REL
    assert!(not_elf(&object).contains("not an executable"));
}

#[test]
fn crafted_version_chains_fail_fast() {
    // Eight Verneeds sharing one chain of eight Vernaux: each entry is
    // valid alone, but the walk would visit far more entries than fit.
    let mut w = W(Vec::new(), false, false);
    for i in 0..8 {
        w.put(&[(1, 2), (8, 2), (0, 4), (16 * (8 - i), 4), (16, 4)]);
    }
    for _ in 0..8 {
        w.put(&[(0, 4), (0, 4), (0, 4), (16, 4)]);
    }
    let looped = TestElf { raw_verneed: Some((w.0, u32::MAX)), ..elf(EM_X86_64) }.build();
    assert!(not_elf(&looped).contains("loops"));
    let bad_link = TestElf { verneed_link: Some(99), ..glibc_app(EM_X86_64) }.build();
    assert!(not_elf(&bad_link).contains("string table"));
}

#[test]
#[cfg(target_os = "linux")]
fn reads_this_test_binary() {
    let exe = std::env::current_exe().unwrap();
    let info = read_elf_info_file(&exe).unwrap();
    assert!(info.class64 && info.little_endian);
    if cfg!(all(target_arch = "x86_64", target_env = "gnu")) {
        assert_eq!(info.machine, Machine::X86_64);
        assert!(!info.glibc_versions.is_empty() && !info.is_static);
    } else if cfg!(target_arch = "aarch64") {
        assert_eq!(info.machine, Machine::Aarch64);
    }
    // Cross-check against binutils where it is installed.
    let Ok(out) = std::process::Command::new("readelf").arg("-V").arg(&exe).output() else { return };
    let text = String::from_utf8_lossy(&out.stdout);
    // Only the needs section: definitions and per-symbol lists also name versions.
    let needs = text.split("Version needs section").nth(1).unwrap_or("");
    let needs = needs.split("Version definition section").next().unwrap_or("");
    let mut expected: Vec<_> = needs.split_whitespace().filter_map(|word| glibc_version(word.as_bytes())).collect();
    expected.sort_unstable();
    expected.dedup();
    assert_eq!(info.glibc_versions, expected);
}

#[test]
fn file_errors_name_the_path() {
    let err = read_elf_info_file(Path::new("/nonexistent/target/bootstrap")).unwrap_err();
    assert_eq!(err.code(), ErrorCode::BinaryNotFound);
    assert!(err.message().contains("/nonexistent/target/bootstrap"), "{}", err.message());
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("bootstrap");
    std::fs::write(&script, "#!/bin/sh\n").unwrap();
    let err = read_elf_info_file(&script).unwrap_err();
    assert_eq!(err.code(), ErrorCode::NotElf);
    assert!(err.message().contains(&*script.to_string_lossy()), "{}", err.message());
}

#[test]
fn check_bootstrap_explains_arch_mismatch() {
    let x86 = read_elf_info(&glibc_app(EM_X86_64).build()).unwrap();
    let err = check_bootstrap(&x86, Machine::Aarch64, (2, 34), "provided.al2023", "target/bootstrap").unwrap_err();
    assert_eq!(err.code(), ErrorCode::ArchMismatch);
    for part in ["target/bootstrap", "x86_64", "arm64", "--target aarch64-unknown-linux-gnu", "`Architecture.X86_64`"] {
        assert!(err.message().contains(part), "missing {part}: {}", err.message());
    }
    let arm = read_elf_info(&elf(EM_AARCH64).build()).unwrap();
    let msg = check_bootstrap(&arm, Machine::X86_64, (2, 34), "provided.al2023", "b").unwrap_err().message();
    assert!(msg.contains("--target x86_64-unknown-linux-gnu") && msg.contains("Architecture.ARM_64"), "{msg}");
    // Right e_machine, but Lambda cannot run 32-bit or big-endian code; no architecture fits.
    for (class32, big_endian) in [(true, false), (false, true)] {
        let info = read_elf_info(&TestElf { class32, big_endian, ..elf(EM_AARCH64) }.build()).unwrap();
        let err = check_bootstrap(&info, Machine::Aarch64, (2, 34), "provided.al2023", "b").unwrap_err();
        assert_eq!(err.code(), ErrorCode::ArchMismatch);
        assert!(!err.message().contains("Architecture."), "{}", err.message());
    }
}

#[test]
fn check_bootstrap_explains_new_glibc() {
    let needs = |v: Vec<&'static str>| {
        read_elf_info(&TestElf { interp: true, verneed: vec![("libc.so.6", v)], ..elf(EM_X86_64) }.build()).unwrap()
    };
    let too_new = needs(vec!["GLIBC_2.2.5", "GLIBC_2.39", "GLIBC_2.34"]);
    let err = check_bootstrap(&too_new, Machine::X86_64, (2, 34), "provided.al2023", "target/bootstrap").unwrap_err();
    assert_eq!(err.code(), ErrorCode::GlibcTooNew);
    let parts =
        "GLIBC_2.39|`provided.al2023`|glibc 2.34|CARGO_LAMBDA|cargo-zigbuild|built another way|target/bootstrap";
    for part in parts.split('|').chain(["x86_64-unknown-linux-gnu.2.34", "x86_64-unknown-linux-musl"]) {
        assert!(err.message().contains(part), "missing {part}: {}", err.message());
    }
    let at_limit = needs(vec!["GLIBC_2.17", "GLIBC_2.34", "GLIBC_PRIVATE"]);
    check_bootstrap(&at_limit, Machine::X86_64, (2, 34), "provided.al2023", "b").unwrap();
    let static_bin = read_elf_info(&elf(EM_X86_64).build()).unwrap();
    check_bootstrap(&static_bin, Machine::X86_64, (2, 26), "provided.al2", "b").unwrap();
}

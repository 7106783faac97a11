//! Reads just enough of a built `bootstrap` to tell whether Lambda can run it:
//! its machine, whether it is static, and the glibc symbol versions it needs.
//! Hand-parsed: the input is whatever file a build left behind, so every offset
//! and count is checked and every loop is bounded by the size of the data.

use std::fmt;
use std::path::Path;

use crate::errors::{CoreError, CoreResult, ErrorCode};

const EM_X86_64: u16 = 62;
const EM_AARCH64: u16 = 183;
const ET_EXEC: u16 = 2;
const ET_DYN: u16 = 3;
const PT_DYNAMIC: u32 = 2;
const PT_INTERP: u32 = 3;
const SHT_GNU_VERNEED: u32 = 0x6fff_fffe;
const DT_NULL: u64 = 0;
const DT_NEEDED: u64 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Machine {
    X86_64,
    Aarch64,
    Other(u16),
}

impl Machine {
    pub fn from_e_machine(value: u16) -> Machine {
        match value {
            EM_X86_64 => Machine::X86_64,
            EM_AARCH64 => Machine::Aarch64,
            other => Machine::Other(other),
        }
    }

    /// Human name, e.g. `arm64 (aarch64)`.
    pub fn name(&self) -> String {
        self.to_string()
    }

    /// The glibc target triple that builds for this machine.
    pub fn gnu_target(&self) -> Option<&'static str> {
        match self {
            Machine::X86_64 => Some("x86_64-unknown-linux-gnu"),
            Machine::Aarch64 => Some("aarch64-unknown-linux-gnu"),
            Machine::Other(_) => None,
        }
    }

    fn lambda_architecture(&self) -> Option<&'static str> {
        match self {
            Machine::X86_64 => Some("Architecture.X86_64"),
            Machine::Aarch64 => Some("Architecture.ARM_64"),
            Machine::Other(_) => None,
        }
    }
}

impl fmt::Display for Machine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Machine::X86_64 => f.write_str("x86_64"),
            Machine::Aarch64 => f.write_str("arm64 (aarch64)"),
            Machine::Other(3) => f.write_str("x86 (i386)"),
            Machine::Other(40) => f.write_str("arm (32-bit)"),
            Machine::Other(243) => f.write_str("riscv"),
            Machine::Other(n) => write!(f, "ELF machine {n}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElfInfo {
    pub machine: Machine,
    pub class64: bool,
    pub little_endian: bool,
    /// Sorted, unique `(major, minor)` of every `GLIBC_x.y[.z]` version needed.
    pub glibc_versions: Vec<(u32, u32)>,
    /// No PT_INTERP and no DT_NEEDED (static-pie counts as static).
    pub is_static: bool,
}

impl ElfInfo {
    pub fn max_glibc(&self) -> Option<(u32, u32)> {
        self.glibc_versions.last().copied()
    }
}

pub fn read_elf_info(bytes: &[u8]) -> CoreResult<ElfInfo> {
    parse(bytes).map_err(|why| CoreError::new(ErrorCode::NotElf, format!("not an ELF executable: {why}")))
}

pub fn read_elf_info_file(path: &Path) -> CoreResult<ElfInfo> {
    let bytes = std::fs::read(path).map_err(|e| {
        CoreError::new(ErrorCode::BinaryNotFound, format!("cannot read the built binary `{}`: {e}", path.display()))
    })?;
    read_elf_info(&bytes).map_err(|e| CoreError::new(e.code, format!("`{}` is {}", path.display(), e.message)))
}

pub fn check_bootstrap(
    info: &ElfInfo,
    expected: Machine,
    max_glibc: (u32, u32),
    runtime_name: &str,
    binary_path: &str,
) -> CoreResult<()> {
    // Lambda only runs 64-bit little-endian code, whatever e_machine says.
    let runnable = info.class64 && info.little_endian;
    if !runnable || info.machine != expected {
        let found = match (info.class64, info.little_endian) {
            (true, true) => info.machine.to_string(),
            (false, _) => format!("32-bit {}", info.machine),
            (true, false) => format!("big-endian {}", info.machine),
        };
        let mut msg =
            format!("`{binary_path}` is built for {found}, but the function's architecture needs {expected}.");
        if let Some(target) = expected.gnu_target() {
            msg += &format!(" Build it with `--target {target}`");
            match info.machine.lambda_architecture().filter(|_| runnable) {
                Some(arch) => {
                    msg += &format!(", or set the function's `architecture` to `{arch}` to match the binary.")
                }
                None => msg += ".",
            }
        }
        return Err(CoreError::new(ErrorCode::ArchMismatch, msg));
    }
    if let Some((major, minor)) = info.max_glibc().filter(|&v| v > max_glibc) {
        let (rt_major, rt_minor) = max_glibc;
        let target = expected.gnu_target().unwrap_or("x86_64-unknown-linux-gnu");
        let musl = target.replace("-gnu", "-musl");
        let msg = format!(
            "`{binary_path}` needs GLIBC_{major}.{minor}, but the `{runtime_name}` runtime has glibc \
             {rt_major}.{rt_minor}, so it would fail to start on Lambda. Build it with cargo-lambda \
             (`cargo lambda build --release --target {target}`) or cargo-zigbuild (`cargo zigbuild \
             --release --target {target}.{rt_major}.{rt_minor}`), which link against an older glibc, \
             or target `{musl}` for a static binary."
        );
        return Err(CoreError::new(ErrorCode::GlibcTooNew, msg));
    }
    Ok(())
}

type Parse<T> = Result<T, &'static str>;

const OUT_OF_BOUNDS: &str = "a header or table is truncated or points past the end of the file";

/// Endian- and class-aware reads; every read is bounds-checked.
struct Reader<'a> {
    data: &'a [u8],
    class64: bool,
    le: bool,
}

impl<'a> Reader<'a> {
    fn bytes(&self, off: u64, len: u64) -> Parse<&'a [u8]> {
        let start = usize::try_from(off).map_err(|_| OUT_OF_BOUNDS)?;
        let end = usize::try_from(off.checked_add(len).ok_or(OUT_OF_BOUNDS)?).map_err(|_| OUT_OF_BOUNDS)?;
        self.data.get(start..end).ok_or(OUT_OF_BOUNDS)
    }

    fn uint(&self, off: u64, len: u64) -> Parse<u64> {
        let b = self.bytes(off, len)?;
        let fold = |acc: u64, &x: &u8| (acc << 8) | u64::from(x);
        Ok(if self.le { b.iter().rev().fold(0, fold) } else { b.iter().fold(0, fold) })
    }

    fn u16(&self, off: u64) -> Parse<u16> {
        Ok(self.uint(off, 2)? as u16)
    }

    fn u32(&self, off: u64) -> Parse<u32> {
        Ok(self.uint(off, 4)? as u32)
    }

    /// An address/offset/size field: 8 bytes in ELF64, 4 in ELF32.
    fn word(&self, off: u64) -> Parse<u64> {
        self.uint(off, if self.class64 { 8 } else { 4 })
    }

    /// Offsets of `count` entries of `entsize` bytes, all inside the data.
    fn table(&self, off: u64, count: u64, entsize: u16, min: u16) -> Parse<impl Iterator<Item = u64>> {
        if count > 0 {
            if entsize < min {
                return Err("a header table declares entries smaller than the ELF format allows");
            }
            self.bytes(off, count.checked_mul(u64::from(entsize)).ok_or(OUT_OF_BOUNDS)?)?;
        }
        Ok((0..count).map(move |i| off + i * u64::from(entsize)))
    }
}

fn add(a: u64, b: impl Into<u64>) -> Parse<u64> {
    a.checked_add(b.into()).ok_or(OUT_OF_BOUNDS)
}

fn parse(data: &[u8]) -> Parse<ElfInfo> {
    if data.len() < 16 || data[..4] != *b"\x7fELF" {
        return Err("the file does not start with the ELF magic bytes");
    }
    let class64 = match data[4] {
        1 => false,
        2 => true,
        _ => return Err("unknown ELF class (neither 32- nor 64-bit)"),
    };
    let le = match data[5] {
        1 => true,
        2 => false,
        _ => return Err("unknown ELF data encoding (neither little- nor big-endian)"),
    };
    let r = Reader { data, class64, le };
    if !matches!(r.u16(16)?, ET_EXEC | ET_DYN) {
        return Err("the ELF file is not an executable (an object file, core dump or unknown type)");
    }
    let machine = Machine::from_e_machine(r.u16(18)?);
    // Field offsets differ between the two classes from e_entry on.
    let (phoff, shoff, tail) = if class64 { (r.word(32)?, r.word(40)?, 52) } else { (r.word(28)?, r.word(32)?, 40) };
    let (phentsize, phnum) = (r.u16(tail + 2)?, r.u16(tail + 4)?);
    let (shentsize, mut shnum) = (r.u16(tail + 6)?, u64::from(r.u16(tail + 8)?));
    let (ph_min, sh_min) = if class64 { (56, 64) } else { (32, 40) };

    let (mut interp, mut needed) = (false, false);
    for ph in r.table(phoff, u64::from(phnum), phentsize, ph_min)? {
        match r.u32(ph)? {
            PT_INTERP => interp = true,
            PT_DYNAMIC => {
                let (off, size) =
                    if class64 { (r.word(ph + 8)?, r.word(ph + 32)?) } else { (r.word(ph + 4)?, r.word(ph + 16)?) };
                needed |= has_dt_needed(&r, off, size)?;
            }
            _ => {}
        }
    }

    // Extended numbering: with 0xff00+ sections the real count sits in section 0.
    if shnum == 0 && shoff != 0 {
        shnum = r.word(add(shoff, if class64 { 32u8 } else { 20 })?)?;
    }
    // (sh_type, sh_offset, sh_size, sh_link, sh_info) of section header `sh`.
    let section = |sh: u64| -> Parse<(u32, u64, u64, u32, u32)> {
        let (o, s, l) = if class64 { (24, 32, 40) } else { (16, 20, 24) };
        Ok((r.u32(sh + 4)?, r.word(sh + o)?, r.word(sh + s)?, r.u32(sh + l)?, r.u32(sh + l + 4)?))
    };
    let mut glibc = Vec::new();
    for sh in r.table(shoff, shnum, shentsize, sh_min)? {
        let (kind, off, size, link, count) = section(sh)?;
        if kind != SHT_GNU_VERNEED {
            continue;
        }
        if u64::from(link) >= shnum {
            return Err("the .gnu.version_r section links to a string table that does not exist");
        }
        let (_, str_off, str_size, _, _) = section(shoff + u64::from(link) * u64::from(shentsize))?;
        let strtab = r.bytes(str_off, str_size)?;
        let verneed = Reader { data: r.bytes(off, size)?, class64, le };
        walk_verneed(&verneed, count, strtab, &mut glibc)?;
    }
    glibc.sort_unstable();
    glibc.dedup();
    Ok(ElfInfo { machine, class64, little_endian: le, glibc_versions: glibc, is_static: !interp && !needed })
}

fn has_dt_needed(r: &Reader, off: u64, size: u64) -> Parse<bool> {
    let entsize: u16 = if r.class64 { 16 } else { 8 };
    for entry in r.table(off, size / u64::from(entsize), entsize, entsize)? {
        match r.word(entry)? {
            DT_NULL => break,
            DT_NEEDED => return Ok(true),
            _ => {}
        }
    }
    Ok(false)
}

/// Walks the Verneed chain (`count` = sh_info) and each one's Vernaux chain.
fn walk_verneed(vn: &Reader, count: u32, strtab: &[u8], out: &mut Vec<(u32, u32)>) -> Parse<()> {
    // Real entries are 16 bytes and never overlap; visiting more than fit means
    // a crafted chain, which would otherwise cost up to 2^32 * 2^16 steps.
    let mut budget = vn.data.len() / 16;
    let mut spend = || -> Parse<()> {
        budget = budget.checked_sub(1).ok_or("the version needs chain loops or overlaps")?;
        Ok(())
    };
    let mut need = 0u64;
    for _ in 0..count {
        spend()?;
        let (cnt, aux, next) = (vn.u16(need + 2)?, vn.u32(need + 8)?, vn.u32(need + 12)?);
        let mut entry = add(need, aux)?;
        for _ in 0..cnt {
            spend()?;
            let (name, aux_next) = (vn.u32(entry + 8)?, vn.u32(entry + 12)?);
            if let Some(version) = glibc_version(c_str(strtab, name)?) {
                out.push(version);
            }
            if aux_next == 0 {
                break;
            }
            entry = add(entry, aux_next)?;
        }
        if next == 0 {
            break;
        }
        need = add(need, next)?;
    }
    Ok(())
}

fn c_str(strtab: &[u8], off: u32) -> Parse<&[u8]> {
    let rest = strtab.get(off as usize..).ok_or("a version name points outside its string table")?;
    let len = rest.iter().position(|&b| b == 0).ok_or("a version name is not NUL-terminated")?;
    Ok(&rest[..len])
}

/// `GLIBC_2.34` -> (2, 34), `GLIBC_2.2.5` -> (2, 2); `GLIBC_PRIVATE` and other
/// non-numeric names -> None.
fn glibc_version(name: &[u8]) -> Option<(u32, u32)> {
    let rest = std::str::from_utf8(name.strip_prefix(b"GLIBC_")?).ok()?;
    let number = |s: &str| s.bytes().all(|b| b.is_ascii_digit()).then(|| s.parse::<u32>().ok()).flatten();
    let mut parts = rest.split('.').map(number);
    let major = parts.next()??;
    let minor = parts.next().unwrap_or(Some(0))?;
    parts.all(|p| p.is_some()).then_some((major, minor))
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(err.code, ErrorCode::NotElf, "{err}");
        err.message
    }

    #[test]
    fn parses_machine_and_glibc_needs_in_every_class_and_byte_order() {
        for (machine, expected) in
            [(EM_X86_64, Machine::X86_64), (EM_AARCH64, Machine::Aarch64), (40, Machine::Other(40))]
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
        for name in
            "GLIBC_PRIVATE GLIBC_ABI_DT_RELR GLIBCXX_3.4 GLIBC_2.x GLIBC_+2.3 GLIBC_2..1 GLIBC_ GLIBC_9999999999.1"
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
                assert_eq!(read_elf_info(&full[..len]).unwrap_err().code, ErrorCode::NotElf, "prefix of {len}");
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
        assert_eq!(err.code, ErrorCode::BinaryNotFound);
        assert!(err.message.contains("/nonexistent/target/bootstrap"), "{}", err.message);
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("bootstrap");
        std::fs::write(&script, "#!/bin/sh\n").unwrap();
        let err = read_elf_info_file(&script).unwrap_err();
        assert_eq!(err.code, ErrorCode::NotElf);
        assert!(err.message.contains(&*script.to_string_lossy()), "{}", err.message);
    }

    #[test]
    fn check_bootstrap_explains_arch_mismatch() {
        let x86 = read_elf_info(&glibc_app(EM_X86_64).build()).unwrap();
        let err = check_bootstrap(&x86, Machine::Aarch64, (2, 34), "provided.al2023", "target/bootstrap").unwrap_err();
        assert_eq!(err.code, ErrorCode::ArchMismatch);
        for part in
            ["target/bootstrap", "x86_64", "arm64", "--target aarch64-unknown-linux-gnu", "`Architecture.X86_64`"]
        {
            assert!(err.message.contains(part), "missing {part}: {}", err.message);
        }
        let arm = read_elf_info(&elf(EM_AARCH64).build()).unwrap();
        let msg = check_bootstrap(&arm, Machine::X86_64, (2, 34), "provided.al2023", "b").unwrap_err().message;
        assert!(msg.contains("--target x86_64-unknown-linux-gnu") && msg.contains("Architecture.ARM_64"), "{msg}");
        // Right e_machine, but Lambda cannot run 32-bit or big-endian code; no architecture fits.
        for (class32, big_endian) in [(true, false), (false, true)] {
            let info = read_elf_info(&TestElf { class32, big_endian, ..elf(EM_AARCH64) }.build()).unwrap();
            let err = check_bootstrap(&info, Machine::Aarch64, (2, 34), "provided.al2023", "b").unwrap_err();
            assert_eq!(err.code, ErrorCode::ArchMismatch);
            assert!(!err.message.contains("Architecture."), "{}", err.message);
        }
    }

    #[test]
    fn check_bootstrap_explains_new_glibc() {
        let needs = |v: Vec<&'static str>| {
            read_elf_info(&TestElf { interp: true, verneed: vec![("libc.so.6", v)], ..elf(EM_X86_64) }.build()).unwrap()
        };
        let too_new = needs(vec!["GLIBC_2.2.5", "GLIBC_2.39", "GLIBC_2.34"]);
        let err =
            check_bootstrap(&too_new, Machine::X86_64, (2, 34), "provided.al2023", "target/bootstrap").unwrap_err();
        assert_eq!(err.code, ErrorCode::GlibcTooNew);
        let parts = "GLIBC_2.39|`provided.al2023`|glibc 2.34|cargo lambda build|cargo-zigbuild|target/bootstrap";
        for part in parts.split('|').chain(["x86_64-unknown-linux-gnu.2.34", "x86_64-unknown-linux-musl"]) {
            assert!(err.message.contains(part), "missing {part}: {}", err.message);
        }
        let at_limit = needs(vec!["GLIBC_2.17", "GLIBC_2.34", "GLIBC_PRIVATE"]);
        check_bootstrap(&at_limit, Machine::X86_64, (2, 34), "provided.al2023", "b").unwrap();
        let static_bin = read_elf_info(&elf(EM_X86_64).build()).unwrap();
        check_bootstrap(&static_bin, Machine::X86_64, (2, 26), "provided.al2", "b").unwrap();
    }
}

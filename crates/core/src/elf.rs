//! Reads just enough of a built `bootstrap` to tell whether Lambda can run it:
//! its machine, whether it is static, and the glibc symbol versions it needs.
//! Hand-parsed: the input is whatever file a build left behind, so every offset
//! and count is checked and every loop is bounded by the size of the data.

use std::fmt;
use std::path::Path;

use crate::errors::{Error, Result};
use crate::target::{runtime_max_glibc, Arch};

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

pub fn read_elf_info(bytes: &[u8]) -> Result<ElfInfo> {
    parse(bytes).map_err(|why| Error::NotElf { path: None, why })
}

pub fn read_elf_info_file(path: &Path) -> Result<ElfInfo> {
    let bytes =
        std::fs::read(path).map_err(|e| Error::BinaryUnreadable { path: path.to_path_buf(), detail: e.to_string() })?;
    parse(&bytes).map_err(|why| Error::NotElf { path: Some(path.to_path_buf()), why })
}

/// Checks a built binary's ELF machine against the function's architecture
/// and its glibc needs against the runtime.
pub fn verify_bootstrap(binary: &Path, arch: Arch, runtime: &str) -> Result<()> {
    let info = read_elf_info_file(binary)?;
    let expected = match arch {
        Arch::X86_64 => Machine::X86_64,
        Arch::Arm64 => Machine::Aarch64,
    };
    let max_glibc = runtime_max_glibc(runtime).unwrap_or((u32::MAX, u32::MAX));
    check_bootstrap(&info, expected, max_glibc, runtime, &binary.to_string_lossy())
}

pub fn check_bootstrap(
    info: &ElfInfo,
    expected: Machine,
    max_glibc: (u32, u32),
    runtime_name: &str,
    binary_path: &str,
) -> Result<()> {
    // Lambda only runs 64-bit little-endian code, whatever e_machine says.
    let runnable = info.class64 && info.little_endian;
    if !runnable || info.machine != expected {
        let found = match (info.class64, info.little_endian) {
            (true, true) => info.machine.to_string(),
            (false, _) => format!("32-bit {}", info.machine),
            (true, false) => format!("big-endian {}", info.machine),
        };
        return Err(Error::ArchMismatch {
            binary: binary_path.to_string(),
            found,
            expected: expected.to_string(),
            target: expected.gnu_target(),
            matching_architecture: info.machine.lambda_architecture().filter(|_| runnable),
        });
    }
    if let Some(needs) = info.max_glibc().filter(|&v| v > max_glibc) {
        return Err(Error::GlibcTooNew {
            binary: binary_path.to_string(),
            needs,
            runtime: runtime_name.to_string(),
            has: max_glibc,
            target: expected.gnu_target().unwrap_or("x86_64-unknown-linux-gnu").to_string(),
        });
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
#[path = "elf_tests.rs"]
mod tests;

#!/usr/bin/env python3
"""Static checks of the addons this machine cannot run (README "Building the
platform packages"), read from the files themselves, no Apple or Microsoft tool:

  python3 scripts/platforms/check-static.py [npm-dir]     (default npm/)

- darwin-arm64, darwin-x64: a 64-bit Mach-O of the right CPU, a dylib/bundle,
  minimum macOS 11.0 (arm64) / 10.13 (x64) in LC_BUILD_VERSION, the symbol
  `_napi_register_module_v1` defined and exported, no dependency outside
  /usr/lib and /System. arm64 also needs an intact ad-hoc code signature
  (macOS kills arm64 code without one): the CodeDirectory's SHA-256 of every
  page up to its code limit is recomputed and compared, and the code limit
  must cover the whole file up to the signature.
- linux-*-gnu: the highest GLIBC_ symbol version needed is at most 2.17;
  linux-*-musl: no GLIBC version at all, musl's libc needed and no glibc library.
  ELF machine matches the platform.
- win32-x64-msvc: a PE32+ x86-64 DLL exporting `napi_register_module_v1`
  and importing only Windows system DLLs (nothing of Node's: N-API is looked
  up in the host process when it loads).
Prints one line per file, exits non-zero on any failure.
"""

import hashlib
import os
import re
import struct
import sys

FAIL = []


def fail(platform, message):
    FAIL.append(f"{platform}: {message}")


# ---------------------------------------------------------------- Mach-O
LC_SYMTAB, LC_LOAD_DYLIB, LC_ID_DYLIB, LC_CODE_SIGNATURE = 0x2, 0xC, 0xD, 0x1D
LC_VERSION_MIN_MACOSX, LC_BUILD_VERSION = 0x24, 0x32
LC_REQ_DYLD = 0x80000000
CPU = {"arm64": 0x0100000C, "x64": 0x01000007}
MIN_OS = {"arm64": (11, 0), "x64": (10, 13)}


def macho(platform, data):
    arch = platform.split("-")[1]
    magic, cputype, _sub, filetype, ncmds, _size, _flags, _res = struct.unpack_from("<IiiIIIII", data, 0)
    if magic != 0xFEEDFACF:
        return fail(platform, f"not a 64-bit little-endian Mach-O (magic {magic:#x})")
    if cputype != CPU[arch]:
        return fail(platform, f"CPU type {cputype:#x}, want {CPU[arch]:#x}")
    if filetype not in (6, 8):
        fail(platform, f"file type {filetype}, want a dylib (6) or bundle (8)")
    off, minos, symtab, sig, dylibs = 32, None, None, None, []
    for _ in range(ncmds):
        cmd, size = struct.unpack_from("<II", data, off)
        base = cmd & ~LC_REQ_DYLD
        if cmd == LC_BUILD_VERSION:
            _plat, v, _sdk, _nt = struct.unpack_from("<IIII", data, off + 8)
            minos = (v >> 16, (v >> 8) & 0xFF)
        elif cmd == LC_VERSION_MIN_MACOSX:
            (v,) = struct.unpack_from("<I", data, off + 8)
            minos = (v >> 16, (v >> 8) & 0xFF)
        elif cmd == LC_SYMTAB:
            symtab = struct.unpack_from("<IIII", data, off + 8)
        elif cmd == LC_CODE_SIGNATURE:
            sig = struct.unpack_from("<II", data, off + 8)
        elif base in (LC_LOAD_DYLIB, 0x18, 0x1F, 0x23):  # load, weak, reexport, lazy
            (name_off,) = struct.unpack_from("<I", data, off + 8)
            dylibs.append(data[off + name_off : off + size].split(b"\0")[0].decode())
        off += size
    want = MIN_OS[arch]
    if minos != want:
        fail(platform, f"minimum macOS {minos}, want {want} (MACOSX_DEPLOYMENT_TARGET)")
    foreign = [d for d in dylibs if not (d.startswith("/usr/lib/") or d.startswith("/System/"))]
    if foreign:
        fail(platform, f"needs libraries outside the system: {foreign}")
    exported = False
    if symtab:
        symoff, nsyms, stroff, _strsize = symtab
        for i in range(nsyms):
            strx, ntype, nsect, _desc, _value = struct.unpack_from("<IBBHQ", data, symoff + 16 * i)
            name = data[stroff + strx :].split(b"\0", 1)[0]
            if name == b"_napi_register_module_v1" and ntype & 0x01 and (ntype & 0x0E) == 0x0E and nsect:
                exported = True
    if not exported:
        fail(platform, "`_napi_register_module_v1` is not defined and exported")
    signed = "no signature"
    if sig:
        signed = code_signature(platform, data, *sig)
    elif arch == "arm64":
        fail(platform, "no code signature: macOS refuses unsigned arm64 code")
    return f"Mach-O {arch}, macOS >= {minos[0]}.{minos[1]}, exports _napi_register_module_v1, {signed}, links {', '.join(dylibs)}"


def code_signature(platform, data, dataoff, datasize):
    blob = data[dataoff : dataoff + datasize]
    magic, _length, count = struct.unpack_from(">III", blob, 0)
    if magic != 0xFADE0CC0:
        fail(platform, f"signature superblob magic {magic:#x}")
        return "bad signature"
    for i in range(count):
        _type, offset = struct.unpack_from(">II", blob, 12 + 8 * i)
        (cd_magic,) = struct.unpack_from(">I", blob, offset)
        if cd_magic != 0xFADE0C02:
            continue
        (_m, _len, _ver, flags, hash_off, ident_off, _nspecial, ncode, code_limit, hash_size, hash_type, _plat, page_log) = struct.unpack_from(
            ">IIIIIIIIIBBBB", blob, offset
        )
        ident = blob[offset + ident_off :].split(b"\0", 1)[0].decode()
        if hash_type != 2 or hash_size != 32:
            fail(platform, f"hash type {hash_type}/{hash_size}, want SHA-256")
            return "bad signature"
        if code_limit != dataoff:
            fail(platform, f"the signature covers {code_limit} bytes, the code is {dataoff}: edited after signing")
        page = 1 << page_log
        bad = 0
        for n in range(ncode):
            start = n * page
            want = blob[offset + hash_off + 32 * n : offset + hash_off + 32 * (n + 1)]
            if hashlib.sha256(data[start : min(start + page, code_limit)]).digest() != want:
                bad += 1
        if bad:
            fail(platform, f"{bad} of {ncode} code pages do not match the signature: edited after signing")
        kind = "ad-hoc" if flags & 0x2 else f"flags {flags:#x}"
        return f"{kind} signature intact ({ncode} pages of {page} bytes, identifier {ident})"
    fail(platform, "no CodeDirectory in the signature")
    return "bad signature"


# ---------------------------------------------------------------- ELF
ELF_MACHINE = {"x64": 62, "arm64": 183}


def elf(platform, data, path):
    _os, arch, libc = platform.split("-")
    if data[:4] != b"\x7fELF" or data[4] != 2:
        return fail(platform, "not a 64-bit ELF")
    (machine,) = struct.unpack_from("<H", data, 18)
    if machine != ELF_MACHINE[arch]:
        fail(platform, f"ELF machine {machine}, want {ELF_MACHINE[arch]}")
    versions = sorted({tuple(int(p) for p in v.split(b".")) for v in re.findall(rb"GLIBC_(\d+\.\d+(?:\.\d+)?)", data_versions(data))})
    needed = elf_needed(data)
    if libc == "gnu":
        top = versions[-1] if versions else None
        if not top or top > (2, 17):
            fail(platform, f"needs GLIBC_{'.'.join(map(str, top)) if top else '?'}, want at most 2.17")
        return f"ELF {arch}, highest GLIBC_{'.'.join(map(str, top))}, needs {', '.join(needed)}"
    if versions:
        fail(platform, f"a musl addon needs glibc versions {versions}")
    # Zig links musl as `libc.so`, which musl's loader takes as itself (Alpine's own builds say libc.musl-<arch>.so.1).
    musl = {"libc.so", f"libc.musl-{'x86_64' if arch == 'x64' else 'aarch64'}.so.1"}
    if not musl & set(needed) or any(n.endswith(".so.6") or n.startswith("ld-linux") for n in needed):
        fail(platform, f"does not link musl alone: {needed}")
    return f"ELF {arch}, no GLIBC versions, needs {', '.join(needed)}"


def elf_sections(data):
    shoff, = struct.unpack_from("<Q", data, 40)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 58)
    secs = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)]
    names = secs[shstrndx]
    named = {}
    for s in secs:
        name = data[names[4] + s[0] :].split(b"\0", 1)[0].decode()
        named[name] = s
    return named


def data_versions(data):
    """The .gnu.version_r section (what the file needs), with its string table."""
    named = elf_sections(data)
    out = b""
    if ".gnu.version_r" in named and ".dynstr" in named:
        s, dynstr = named[".gnu.version_r"], named[".dynstr"]
        off = s[4]
        while True:
            _ver, cnt, _file, aux, nxt = struct.unpack_from("<HHIII", data, off)
            a = off + aux
            for _ in range(cnt):
                _hash, _flags, _other, name, anext = struct.unpack_from("<IHHII", data, a)
                out += data[dynstr[4] + name :].split(b"\0", 1)[0] + b" "
                a += anext
            if not nxt:
                break
            off += nxt
    return out


def elf_needed(data):
    named = elf_sections(data)
    dyn, dynstr = named[".dynamic"], named[".dynstr"]
    needed = []
    for i in range(dyn[5] // 16):
        tag, val = struct.unpack_from("<qQ", data, dyn[4] + 16 * i)
        if tag == 1:
            needed.append(data[dynstr[4] + val :].split(b"\0", 1)[0].decode())
    return needed


# ---------------------------------------------------------------- PE
SYSTEM_DLLS = re.compile(r"^(kernel32|ntdll|advapi32|bcrypt|bcryptprimitives|ws2_32|userenv|user32|shell32|ole32|oleaut32|secur32|crypt32|synchronization|msvcrt|ucrtbase|api-ms-win-[a-z0-9-]+)\.dll$", re.I)


def pe(platform, data):
    if data[:2] != b"MZ":
        return fail(platform, "not a PE file")
    (peoff,) = struct.unpack_from("<I", data, 0x3C)
    if data[peoff : peoff + 4] != b"PE\0\0":
        return fail(platform, "no PE signature")
    machine, nsec, _ts, _sym, _nsym, opt_size, chars = struct.unpack_from("<HHIIIHH", data, peoff + 4)
    if machine != 0x8664:
        fail(platform, f"machine {machine:#x}, want x86-64")
    if not chars & 0x2000:
        fail(platform, "not a DLL")
    opt = peoff + 24
    if struct.unpack_from("<H", data, opt)[0] != 0x20B:
        fail(platform, "not PE32+")
    dirs = opt + 112
    sections = [struct.unpack_from("<8sIIII", data, opt + opt_size + 40 * i) for i in range(nsec)]

    def at(rva):
        for _n, vsize, vaddr, rawsize, rawptr in sections:
            if vaddr <= rva < vaddr + max(vsize, rawsize):
                return rva - vaddr + rawptr
        raise ValueError(f"rva {rva:#x}")

    def cstr(rva):
        o = at(rva)
        return data[o : data.index(b"\0", o)].decode()

    exp_rva, _ = struct.unpack_from("<II", data, dirs)
    exports = []
    if exp_rva:
        e = at(exp_rva)
        nnames, names_rva = struct.unpack_from("<I", data, e + 24)[0], struct.unpack_from("<I", data, e + 32)[0]
        exports = [cstr(struct.unpack_from("<I", data, at(names_rva) + 4 * i)[0]) for i in range(nnames)]
    if "napi_register_module_v1" not in exports:
        fail(platform, "does not export napi_register_module_v1")
    imp_rva, _ = struct.unpack_from("<II", data, dirs + 8)
    imports = []
    o = at(imp_rva)
    while True:
        _ilt, _ts, _fwd, name_rva, _iat = struct.unpack_from("<IIIII", data, o)
        if not name_rva:
            break
        imports.append(cstr(name_rva))
        o += 20
    foreign = [d for d in imports if not SYSTEM_DLLS.match(d)]
    if foreign:
        fail(platform, f"imports DLLs that are not Windows' own: {foreign}")
    return f"PE32+ x86-64 DLL, exports napi_register_module_v1, imports {', '.join(imports)}"


def main():
    npm = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..", "npm")
    passed = 0
    for platform in ["darwin-arm64", "darwin-x64", "linux-x64-gnu", "linux-arm64-gnu", "linux-x64-musl", "linux-arm64-musl", "win32-x64-msvc"]:
        path = os.path.join(npm, platform, f"cdk-lambda-rust.{platform}.node")
        if not os.path.exists(path):
            fail(platform, f"{path} is missing: run scripts/build-addons.sh {platform}")
            continue
        data = open(path, "rb").read()
        before = len(FAIL)
        kind = platform.split("-")[0]
        try:
            what = {"darwin": macho, "win32": pe}.get(kind, lambda p, d: elf(p, d, path))(platform, data)
        except (struct.error, ValueError, IndexError, KeyError, TypeError) as e:
            fail(platform, f"unreadable: {e!r}")
            what = None
        status = "ok" if len(FAIL) == before else "FAIL"
        passed += status == "ok"
        print(f"{status:4} {platform:17} {len(data):>9} bytes  {what or ''}")
    for f in FAIL:
        print(f"check-static: {f}", file=sys.stderr)
    print(f"check-static: {passed} passed, {7 - passed} failed")
    sys.exit(1 if FAIL else 0)


if __name__ == "__main__":
    main()

/**
 * Zip helpers for tests: extraction through the `unzip` CLI, and a small
 * central-directory reader to inspect entry names and unix permissions
 * without extracting anything.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';

export interface ZipEntry {
  /** Path inside the archive, `/`-separated; directories end with `/`. */
  name: string;
  /** Unix mode from the external attributes (`attrs >>> 16`), e.g. 0o100755; 0 if none was recorded. */
  mode: number;
  /** Uncompressed size in bytes. */
  size: number;
  /** Compression method (0 = stored, 8 = deflate). */
  method: number;
}

/** Extracts `zipPath` into `destDir` (created if needed), keeping the unix permissions stored in the archive. */
export function extractZip(zipPath: string, destDir: string): void {
  fs.mkdirSync(destDir, { recursive: true });
  execFileSync('unzip', ['-q', '-o', zipPath, '-d', destDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

const EOCD_SIG = 0x06054b50;
const ZIP64_LOCATOR_SIG = 0x07064b50;
const ZIP64_EOCD_SIG = 0x06064b50;
const CDH_SIG = 0x02014b50;

/** Lists the entries of a zip archive, in central-directory order. */
export function zipEntries(zipPath: string): ZipEntry[] {
  const buf = fs.readFileSync(zipPath);

  // The End Of Central Directory record is 22 bytes plus a comment of up to 64 KiB.
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 0xffff); i--) {
    if (buf.readUInt32LE(i) === EOCD_SIG) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error(`${zipPath}: not a zip archive (no end of central directory record)`);

  let count: number = buf.readUInt16LE(eocd + 10);
  let cdSize: number = buf.readUInt32LE(eocd + 12);
  let cdOffset: number = buf.readUInt32LE(eocd + 16);

  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const loc = eocd - 20;
    if (loc < 0 || buf.readUInt32LE(loc) !== ZIP64_LOCATOR_SIG) {
      throw new Error(`${zipPath}: zip64 values without a zip64 locator`);
    }
    const z64 = Number(buf.readBigUInt64LE(loc + 8));
    if (buf.readUInt32LE(z64) !== ZIP64_EOCD_SIG) throw new Error(`${zipPath}: bad zip64 end of central directory`);
    count = Number(buf.readBigUInt64LE(z64 + 32));
    cdSize = Number(buf.readBigUInt64LE(z64 + 40));
    cdOffset = Number(buf.readBigUInt64LE(z64 + 48));
  }
  if (cdOffset + cdSize > buf.length) throw new Error(`${zipPath}: central directory out of bounds`);

  const entries: ZipEntry[] = [];
  let p = cdOffset;
  for (let n = 0; n < count; n++) {
    if (p + 46 > buf.length || buf.readUInt32LE(p) !== CDH_SIG) {
      throw new Error(`${zipPath}: bad central directory header for entry #${n}`);
    }
    const flags = buf.readUInt16LE(p + 8);
    const method = buf.readUInt16LE(p + 10);
    let size: number = buf.readUInt32LE(p + 24);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    const attrs = buf.readUInt32LE(p + 38);
    const nameBytes = buf.subarray(p + 46, p + 46 + nameLen);
    const extra = buf.subarray(p + 46 + nameLen, p + 46 + nameLen + extraLen);
    let name = decodeName(nameBytes, (flags & 0x800) !== 0);

    for (let e = 0; e + 4 <= extra.length; ) {
      const id = extra.readUInt16LE(e);
      const len = extra.readUInt16LE(e + 2);
      const data = extra.subarray(e + 4, e + 4 + len);
      if (id === 0x0001 && size === 0xffffffff && data.length >= 8) {
        // Zip64 extended information: the 64-bit uncompressed size comes first.
        size = Number(data.readBigUInt64LE(0));
      } else if (id === 0x7075 && data.length >= 5 && data[0] === 1) {
        // Info-ZIP Unicode Path: version, CRC-32 of the raw name, UTF-8 name.
        name = data.subarray(5).toString('utf8');
      }
      e += 4 + len;
    }

    entries.push({ name, mode: attrs >>> 16, size, method });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Bit 11 of the flags marks UTF-8 names. Without it the name is nominally CP437,
 * but Unix tools (zip(1) in a non-UTF-8 locale, many libraries) store raw UTF-8
 * bytes anyway, so use UTF-8 when the bytes are valid UTF-8 and latin1 otherwise.
 */
function decodeName(bytes: Buffer, utf8Flag: boolean): string {
  if (utf8Flag) return bytes.toString('utf8');
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return bytes.toString('latin1');
  }
}

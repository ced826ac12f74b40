// @ts-nocheck
// Crash-safe files without an external store: write a temp file, fsync it, rename it over
// the target, fsync the directory. A reader sees the old file or the new one, never half.
import { open, rename, mkdir, readFile, readdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';

export async function writeAtomic(path: string, data: Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
  await syncDir(dirname(path));
}

export async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export async function listFiles(dir: string, suffix: string): Promise<string[]> {
  try {
    return (await readdir(dir)).filter((f) => f.endsWith(suffix)).sort().map((f) => join(dir, f));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}

export const readBytes = async (path: string): Promise<Uint8Array> => new Uint8Array(await readFile(path));

export async function remove(path: string): Promise<void> {
  await rm(path, { force: true });
}

/** CRC-32 (IEEE), to tell a torn or corrupted record from a whole one. */
const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** A sealed blob: [u32 length][u32 crc32][bytes]. */
export function seal(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + bytes.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, bytes.length, true);
  v.setUint32(4, crc32(bytes), true);
  out.set(bytes, 8);
  return out;
}

/** Reads consecutive sealed records; stops at the first torn or corrupt one (a crash mid-append). */
export function unseal(buf: Uint8Array): { records: Uint8Array[]; validBytes: number } {
  const records: Uint8Array[] = [];
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let at = 0;
  while (at + 8 <= buf.length) {
    const len = v.getUint32(at, true);
    if (at + 8 + len > buf.length) break;
    const body = buf.subarray(at + 8, at + 8 + len);
    if (crc32(body) !== v.getUint32(at + 4, true)) break;
    records.push(body);
    at += 8 + len;
  }
  return { records, validBytes: at };
}

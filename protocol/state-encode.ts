// Encodes wire v2 state frames (state-wire.ts) as plain MessagePack, the smallest encoding of
// each value as the format defines it, straight into one reused buffer: the shard's hot path
// (a general encoder spends more on type dispatch than on these flat arrays of small ints).
// Any MessagePack library decodes the result; tests check it against msgpackr.
import type { StateFrameV2 } from './state-wire.js';
import type { FieldValue } from './view-schema.js';

const utf8 = new TextEncoder();

class Writer {
  buf = new Uint8Array(1 << 16);
  view = new DataView(this.buf.buffer);
  at = 0;

  room(n: number): void {
    if (this.at + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.at + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.at));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  byte(b: number): void {
    this.room(1);
    this.buf[this.at++] = b;
  }

  head(len: number, fix: number, fixMax: number, c16: number): void {
    this.room(5);
    if (len <= fixMax) this.buf[this.at++] = fix | len;
    else if (len <= 0xffff) {
      this.buf[this.at++] = c16;
      this.view.setUint16(this.at, len);
      this.at += 2;
    } else {
      this.buf[this.at++] = c16 + 1;
      this.view.setUint32(this.at, len);
      this.at += 4;
    }
  }

  str(s: string): void {
    const n = s.length;
    this.room(5 + n * 3);
    // ASCII (ids, kinds, field names): one byte per character, written directly.
    let ascii = n < 32;
    if (ascii) for (let i = 0; i < n; i++) if (s.charCodeAt(i) > 0x7f) ascii = false;
    if (ascii) {
      this.buf[this.at++] = 0xa0 | n;
      for (let i = 0; i < n; i++) this.buf[this.at++] = s.charCodeAt(i);
      return;
    }
    const bytes = utf8.encode(s);
    if (bytes.length < 32) this.buf[this.at++] = 0xa0 | bytes.length;
    else if (bytes.length <= 0xff) {
      this.buf[this.at++] = 0xd9;
      this.buf[this.at++] = bytes.length;
    } else if (bytes.length <= 0xffff) {
      this.buf[this.at++] = 0xda;
      this.view.setUint16(this.at, bytes.length);
      this.at += 2;
    } else {
      this.buf[this.at++] = 0xdb;
      this.view.setUint32(this.at, bytes.length);
      this.at += 4;
    }
    this.buf.set(bytes, this.at);
    this.at += bytes.length;
  }

  num(v: number): void {
    this.room(9);
    const b = this.buf;
    if (Number.isInteger(v) && Math.abs(v) <= 0xffffffff) {
      if (v >= 0) {
        if (v < 128) b[this.at++] = v;
        else if (v <= 0xff) (b[this.at++] = 0xcc), (b[this.at++] = v);
        else if (v <= 0xffff) (b[this.at++] = 0xcd), this.view.setUint16(this.at, v), (this.at += 2);
        else (b[this.at++] = 0xce), this.view.setUint32(this.at, v), (this.at += 4);
      } else if (v >= -32) b[this.at++] = v & 0xff;
      else if (v >= -128) (b[this.at++] = 0xd0), (b[this.at++] = v & 0xff);
      else if (v >= -32768) (b[this.at++] = 0xd1), this.view.setInt16(this.at, v), (this.at += 2);
      else if (v >= -2147483648) (b[this.at++] = 0xd2), this.view.setInt32(this.at, v), (this.at += 4);
      else (b[this.at++] = 0xcb), this.view.setFloat64(this.at, v), (this.at += 8);
      return;
    }
    b[this.at++] = 0xcb;
    this.view.setFloat64(this.at, v);
    this.at += 8;
  }

  value(v: FieldValue): void {
    if (typeof v === 'number') this.num(v);
    else if (typeof v === 'string') this.str(v);
    else if (v === true) this.byte(0xc3);
    else if (v === false) this.byte(0xc2);
    else this.byte(0xc0);
  }

  array(a: readonly FieldValue[]): void {
    this.head(a.length, 0x90, 15, 0xdc);
    for (const v of a) this.value(v);
  }
}

const w = new Writer();

/** The frame's bytes (a fresh copy), fields in a fixed order, absent ones left out. */
export function encodeStateFrame(f: StateFrameV2): Uint8Array {
  w.at = 0;
  let n = 5;
  if (f.cell !== undefined) n++;
  if (f.key !== undefined) n++;
  if (f.fields !== undefined) n++;
  if (f.scale !== undefined) n++;
  if (f.spawn !== undefined) n++;
  if (f.update !== undefined) n++;
  if (f.gone !== undefined) n++;
  w.head(n, 0x80, 15, 0xde);
  w.str('op');
  w.str(f.op);
  w.str('realm');
  w.str(f.realm);
  if (f.cell !== undefined) {
    w.str('cell');
    w.array(f.cell);
  }
  w.str('seq');
  w.num(f.seq);
  w.str('tick');
  w.num(f.tick);
  w.str('at');
  w.room(9);
  w.buf[w.at++] = 0xcb; // always float64: the same shape whatever the clock reads
  w.view.setFloat64(w.at, f.at);
  w.at += 8;
  if (f.key !== undefined) {
    w.str('key');
    w.value(f.key);
  }
  const lists: [string, readonly FieldValue[] | undefined][] = [
    ['fields', f.fields],
    ['scale', f.scale],
    ['spawn', f.spawn],
    ['update', f.update],
    ['gone', f.gone],
  ];
  for (const [k, a] of lists) {
    if (a === undefined) continue;
    w.str(k);
    w.array(a);
  }
  return w.buf.slice(0, w.at);
}

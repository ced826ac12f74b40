// @ts-nocheck
// A dependency-free WebSocket client for Node (RFC 6455 over node:net / node:tls), for
// Node 20 where there is no global WebSocket. It implements the browser-like surface the
// SDK needs, plus a few hooks tests and benchmarks use: raw frames, custom headers, and
// pausing the socket to simulate a client that stops reading. Node-only: not for bundles.
import { createHash, randomBytes, randomFillSync } from 'node:crypto';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { WebSocketLike } from './websocket.js';

export const WsOpcode = { CONTINUATION: 0x0, TEXT: 0x1, BINARY: 0x2, CLOSE: 0x8, PING: 0x9, PONG: 0xa } as const;

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
/** One read buffer for every plain-TCP NodeWebSocket: reads are handled synchronously, so it is never shared at once. */
const sharedReadBuffer = Buffer.allocUnsafe(256 * 1024);
const CONNECTING = 0;
const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;

export interface NodeWebSocketOptions {
  /** Extra handshake headers (e.g. Origin, Authorization). */
  headers?: Record<string, string>;
  /** Largest message accepted from the server, bytes. Default 64 MiB. */
  maxMessageBytes?: number;
  /** Give up on the handshake after this long, ms. Default 10,000. */
  handshakeTimeoutMs?: number;
}

export interface NodeMessageEvent {
  /** ArrayBuffer when binaryType is "arraybuffer", else a Buffer; a string for text messages. */
  data: ArrayBuffer | Buffer | string;
}

export class NodeWebSocket implements WebSocketLike {
  static readonly CONNECTING = CONNECTING;
  static readonly OPEN = OPEN;
  static readonly CLOSING = CLOSING;
  static readonly CLOSED = CLOSED;

  /**
   * "nodebuffer" (default): a Buffer the receiver owns; "arraybuffer": an ArrayBuffer (what the
   * SDK asks for, as in browsers); "transient": a view valid only during the message callback
   * (no copy; for benchmarks).
   */
  binaryType: string = 'nodebuffer';
  readyState = CONNECTING;
  onopen: ((ev: unknown) => void) | null = null;
  /** `ev.data` is a NodeMessageEvent['data']. */
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  /** HTTP status of a refused upgrade (e.g. 403 for a disallowed origin). */
  httpStatus: number | null = null;

  private readonly socket: Socket;
  private readonly key = randomBytes(16).toString('base64');
  private readonly maxMessage: number;
  /** Bytes of an incomplete frame (or handshake), owned by this object. */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Bytes the incomplete frame needs in total (0 = its header is not complete yet). */
  private need = 0;
  private handshaken = false;
  private fragments: Buffer[] = [];
  private fragmentOpcode = 0;
  private fragmentBytes = 0;
  private closeCode = 1006;
  private closeReason = '';
  private closeSent = false;
  private closedFired = false;
  private readonly mask = Buffer.alloc(4);
  private handshakeTimer: ReturnType<typeof setTimeout> | undefined;

  /** A constructor with fixed options, for ClientOptions.WebSocket. */
  static with(options: NodeWebSocketOptions): new (url: string) => NodeWebSocket {
    return class extends NodeWebSocket {
      constructor(url: string) {
        super(url, options);
      }
    };
  }

  constructor(url: string, options: NodeWebSocketOptions = {}) {
    const u = new URL(url);
    const secure = u.protocol === 'wss:';
    if (!secure && u.protocol !== 'ws:') throw new Error(`NodeWebSocket: unsupported URL ${url}`);
    const port = Number(u.port || (secure ? 443 : 80));
    const host = u.hostname.replace(/^\[|\]$/g, '');
    this.maxMessage = options.maxMessageBytes ?? 64 << 20;
    const headers: Record<string, string> = {
      Host: u.host,
      Upgrade: 'websocket',
      Connection: 'Upgrade',
      'Sec-WebSocket-Key': this.key,
      'Sec-WebSocket-Version': '13',
      ...options.headers,
    };
    const request = `GET ${u.pathname}${u.search} HTTP/1.1\r\n${Object.entries(headers)
      .map(([k, v]) => `${k}: ${v}`)
      .join('\r\n')}\r\n\r\n`;
    // Plain TCP reads straight into one buffer shared by every NodeWebSocket (no stream
    // machinery, no allocation per read); TLS goes through 'data' events.
    this.socket = secure
      ? tlsConnect({ host, port, servername: host })
      : netConnect({ host, port, onread: { buffer: sharedReadBuffer, callback: (n, buf) => this.onBytes(buf as Buffer, n, false) } });
    this.socket.setNoDelay(true);
    this.handshakeTimer = setTimeout(() => this.fail('handshake timed out'), options.handshakeTimeoutMs ?? 10_000);
    this.socket.once(secure ? 'secureConnect' : 'connect', () => this.socket.write(request));
    if (secure) this.socket.on('data', (chunk: Buffer) => this.onBytes(chunk, chunk.length, true));
    this.socket.on('error', (err) => {
      clearTimeout(this.handshakeTimer);
      this.onerror?.(err);
    });
    this.socket.on('close', () => {
      clearTimeout(this.handshakeTimer);
      this.fireClose();
    });
  }

  /** Bytes written to the socket but not yet flushed to the kernel. */
  get bufferedAmount(): number {
    return this.socket.writableLength;
  }

  send(data: Uint8Array | ArrayBuffer | string): void {
    if (typeof data === 'string') this.sendFrame(WsOpcode.TEXT, Buffer.from(data, 'utf8'));
    else this.sendFrame(WsOpcode.BINARY, data instanceof ArrayBuffer ? new Uint8Array(data) : data);
  }

  ping(payload: Uint8Array = new Uint8Array(0)): void {
    this.sendFrame(WsOpcode.PING, payload);
  }

  close(code = 1000, reason = ''): void {
    if (this.readyState === CLOSED || this.readyState === CLOSING) return;
    if (this.readyState === CONNECTING) {
      this.readyState = CLOSING;
      this.closeCode = 1006;
      this.socket.destroy();
      return;
    }
    this.readyState = CLOSING;
    this.sendClose(code, reason);
    // The server answers with its close frame and ends the TCP connection; don't wait forever.
    setTimeout(() => this.socket.destroy(), 5_000).unref();
  }

  /** Sends one frame (masked, as a client must). `fin: false` starts or continues a fragmented message. */
  sendFrame(opcode: number, payload: Uint8Array, fin = true): void {
    if (this.readyState !== OPEN && !(opcode === WsOpcode.CLOSE && this.readyState === CLOSING)) {
      throw new Error('NodeWebSocket is not open');
    }
    const len = payload.length;
    const headLen = len < 126 ? 2 : len < 65536 ? 4 : 10;
    const frame = Buffer.allocUnsafe(headLen + 4 + len);
    frame[0] = (fin ? 0x80 : 0) | (opcode & 0x0f);
    if (len < 126) frame[1] = 0x80 | len;
    else if (len < 65536) {
      frame[1] = 0x80 | 126;
      frame.writeUInt16BE(len, 2);
    } else {
      frame[1] = 0x80 | 127;
      frame.writeBigUInt64BE(BigInt(len), 2);
    }
    randomFillSync(this.mask);
    this.mask.copy(frame, headLen);
    const m = this.mask;
    const at = headLen + 4;
    for (let i = 0; i < len; i++) frame[at + i] = payload[i]! ^ m[i & 3]!;
    this.socket.write(frame);
  }

  /** Writes raw bytes to the socket (for malformed-framing tests). */
  sendRaw(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  /** Stops reading from the socket (the kernel buffers fill and the server sees backpressure). */
  pauseReading(): void {
    this.socket.pause();
  }

  resumeReading(): void {
    this.socket.resume();
  }

  /** Drops the TCP connection without a close handshake. */
  terminate(): void {
    this.socket.destroy();
  }

  // ---- internals ----

  /**
   * New bytes from the socket. Unless `owned`, `buf` is the shared read buffer: complete
   * frames are handled in place, and only an incomplete tail is copied.
   */
  private onBytes(buf: Buffer, n: number, owned: boolean): boolean {
    let data = buf.subarray(0, n);
    if (this.pendingBytes > 0) {
      this.pending.push(owned ? data : Buffer.from(data));
      this.pendingBytes += n;
      if (this.need > 0 && this.pendingBytes < this.need) return true;
      data = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes);
      this.pending = [];
      this.pendingBytes = 0;
      this.need = 0;
      owned = true;
    }
    let pos = 0;
    if (!this.handshaken) {
      pos = this.readHandshake(data);
      if (pos < 0) {
        if (pos === -1) this.keep(data, 0, owned, 0);
        return true;
      }
    }
    pos = this.readFrames(data, pos);
    if (pos < data.length) this.keep(data, pos, owned, this.need);
    return true;
  }

  private keep(data: Buffer, from: number, owned: boolean, need: number): void {
    const rest = data.subarray(from);
    this.pending = [owned ? rest : Buffer.from(rest)];
    this.pendingBytes = rest.length;
    this.need = need;
  }

  /** Position after the HTTP response head; -1 = incomplete, -2 = failed. */
  private readHandshake(data: Buffer): number {
    const end = data.indexOf('\r\n\r\n');
    if (end < 0) {
      if (data.length > 16384) {
        this.fail('handshake response too large');
        return -2;
      }
      return -1;
    }
    const lines = data.subarray(0, end).toString('latin1').split('\r\n');
    const status = /^HTTP\/1\.1 (\d{3})/.exec(lines[0] ?? '');
    const code = status === null ? 0 : Number(status[1]);
    if (code !== 101) {
      this.httpStatus = code;
      this.fail(`upgrade refused: HTTP ${code}`);
      return -2;
    }
    const accept = lines.find((l) => /^sec-websocket-accept:/i.test(l))?.split(':')[1]?.trim();
    const want = createHash('sha1').update(this.key + GUID).digest('base64');
    if (accept !== want) {
      this.fail('bad Sec-WebSocket-Accept');
      return -2;
    }
    clearTimeout(this.handshakeTimer);
    this.handshaken = true;
    this.readyState = OPEN;
    this.onopen?.({});
    return end + 4;
  }

  /** Handles every complete frame from `pos`; returns where the first incomplete one starts (setting `need`). */
  private readFrames(d: Buffer, pos: number): number {
    this.need = 0;
    while (this.readyState !== CLOSED) {
      const left = d.length - pos;
      if (left < 2) return pos;
      const b0 = d[pos]!;
      const b1 = d[pos + 1]!;
      if ((b1 & 0x80) !== 0) {
        this.protocolError(1002, 'server frames must not be masked');
        return d.length;
      }
      let len = b1 & 0x7f;
      let head = 2;
      if (len === 126) {
        if (left < 4) return pos;
        len = d.readUInt16BE(pos + 2);
        head = 4;
      } else if (len === 127) {
        if (left < 10) return pos;
        const big = d.readBigUInt64BE(pos + 2);
        if (big > BigInt(this.maxMessage)) {
          this.protocolError(1009, 'message too big');
          return d.length;
        }
        len = Number(big);
        head = 10;
      }
      if (left < head + len) {
        this.need = head + len;
        return pos;
      }
      this.onFrame((b0 & 0x80) !== 0, b0 & 0x0f, d.subarray(pos + head, pos + head + len));
      pos += head + len;
    }
    return d.length;
  }

  private onFrame(fin: boolean, opcode: number, payload: Buffer): void {
    switch (opcode) {
      case WsOpcode.PING:
        if (this.readyState === OPEN) this.sendFrame(WsOpcode.PONG, payload);
        return;
      case WsOpcode.PONG:
        return;
      case WsOpcode.CLOSE: {
        this.closeCode = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
        this.closeReason = payload.length > 2 ? payload.subarray(2).toString('utf8') : '';
        if (!this.closeSent) {
          this.readyState = CLOSING;
          this.sendClose(this.closeCode === 1005 ? 1000 : this.closeCode, '');
        }
        this.socket.end();
        return;
      }
      case WsOpcode.TEXT:
      case WsOpcode.BINARY:
      case WsOpcode.CONTINUATION: {
        if (opcode !== WsOpcode.CONTINUATION) {
          this.fragmentOpcode = opcode;
          this.fragments = [];
          this.fragmentBytes = 0;
        }
        if (fin && this.fragments.length === 0) {
          this.deliver(this.fragmentOpcode, payload);
          return;
        }
        this.fragments.push(Buffer.from(payload));
        this.fragmentBytes += payload.length;
        if (this.fragmentBytes > this.maxMessage) return this.protocolError(1009, 'message too big');
        if (fin) {
          const whole = Buffer.concat(this.fragments);
          this.fragments = [];
          this.fragmentBytes = 0;
          this.deliver(this.fragmentOpcode, whole);
        }
        return;
      }
      default:
        this.protocolError(1002, `unknown opcode ${opcode}`);
    }
  }

  private deliver(opcode: number, payload: Buffer): void {
    if (this.onmessage === null) return;
    if (opcode === WsOpcode.TEXT) this.onmessage({ data: payload.toString('utf8') });
    else if (this.binaryType === 'arraybuffer') this.onmessage({ data: payload.buffer.slice(payload.byteOffset, payload.byteOffset + payload.length) as ArrayBuffer });
    else if (this.binaryType === 'transient') this.onmessage({ data: payload });
    else this.onmessage({ data: Buffer.from(payload) });
  }

  private sendClose(code: number, reason: string): void {
    if (this.closeSent) return;
    this.closeSent = true;
    const r = Buffer.from(reason, 'utf8').subarray(0, 123);
    const p = Buffer.alloc(2 + r.length);
    p.writeUInt16BE(code, 0);
    r.copy(p, 2);
    try {
      this.sendFrame(WsOpcode.CLOSE, p);
    } catch {
      // socket already gone
    }
  }

  private protocolError(code: number, reason: string): void {
    this.closeCode = code;
    this.closeReason = reason;
    this.readyState = CLOSING;
    this.sendClose(code, reason);
    this.socket.end();
  }

  private fail(reason: string): void {
    this.closeCode = 1006;
    this.closeReason = reason;
    this.onerror?.(new Error(reason));
    this.socket.destroy();
  }

  private fireClose(): void {
    if (this.closedFired) return;
    this.closedFired = true;
    this.readyState = CLOSED;
    this.onclose?.({ code: this.closeCode, reason: this.closeReason });
  }
}

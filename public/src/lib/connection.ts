// One WebSocket per page through the client SDK: the status pill in the header
// ("Connecting…", "Live", "Disconnected — retrying"), topic subscriptions restored on every
// (re)connect, and the admin token (kept for this browser tab only, in sessionStorage).
import { Backoff, ErrorCode, TickverseClient, isTickverseError, type HelloPush } from '../../../client/index.js';

export type ConnState = 'connecting' | 'live' | 'retrying' | 'offline';

type OpenFn = (hello: HelloPush, resumed: boolean) => void;

const TOKEN_KEY = 'tickverse.adminToken';
const RECONNECT = { initialMs: 500, maxMs: 5000, factor: 2, jitter: 0.2 } as const;

export function wsUrl(loc: Location = location): string {
  return `${loc.protocol === 'https:' ? 'wss' : 'ws'}://${loc.host}/ws`;
}

/** Turns any failure into a sentence for the page (never an empty string). */
export function describeError(e: unknown): string {
  if (isTickverseError(e)) {
    switch (e.code) {
      case ErrorCode.UNAUTHORIZED:
        return `Not allowed: ${e.message}. Check the admin token.`;
      case ErrorCode.DISCONNECTED:
        return 'Not connected to the server, so nothing was sent. Try again once the status says Live.';
      case ErrorCode.TIMEOUT:
        return `The server did not answer in time (${e.message}).`;
      case ErrorCode.RATE_LIMITED:
        return `Too many requests: ${e.message}`;
      default:
        return `${e.message} (${e.code})`;
    }
  }
  if (e instanceof Error) return e.message || e.name;
  return String(e);
}

/** The admin token for this tab and whether the current connection is authenticated with it. */
export class AdminSession {
  private authedSession: string | null = null;
  private _token: string | null;
  /** The server refused the token on the last check. */
  refused = false;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly client: TickverseClient) {
    let t: string | null = null;
    try {
      t = sessionStorage.getItem(TOKEN_KEY);
    } catch {
      // storage disabled: the token lives in memory only
    }
    this._token = t;
  }

  get token(): string | null {
    return this._token;
  }

  /** True when the live connection has been authenticated with the token. */
  get active(): boolean {
    return this._token !== null && this.authedSession !== null && this.authedSession === this.client.session;
  }

  onChange(fn: () => void): void {
    this.listeners.add(fn);
  }

  /** Checks a token with the server; keeps it only if accepted. */
  async use(token: string): Promise<void> {
    const t = token.trim();
    if (t === '') throw new Error('Enter the admin token first.');
    try {
      await this.client.auth(t);
    } catch (e) {
      if (isTickverseError(e) && e.code === ErrorCode.UNAUTHORIZED) {
        this.refused = true;
        this.changed();
        throw new Error(`The server refused this token (${e.message}).`);
      }
      throw e;
    }
    this.refused = false;
    this._token = t;
    this.authedSession = this.client.session;
    try {
      sessionStorage.setItem(TOKEN_KEY, t);
    } catch {
      // memory only
    }
    this.changed();
  }

  forget(): void {
    this._token = null;
    this.refused = false;
    this.authedSession = null;
    try {
      sessionStorage.removeItem(TOKEN_KEY);
    } catch {
      // nothing stored
    }
    this.changed();
  }

  /** Before an admin action: authenticates this connection with the kept token if needed. */
  async ensure(): Promise<void> {
    if (this._token === null) throw new Error('Enter the admin token first (Admin → Token).');
    if (this.active) return;
    await this.use(this._token);
  }

  /** After every (re)connect: the new connection is not authenticated yet. */
  reconnected(): void {
    this.authedSession = null;
    if (this._token === null) {
      this.changed();
      return;
    }
    this.use(this._token).catch(() => this.changed());
  }

  private changed(): void {
    for (const fn of this.listeners) fn();
  }
}

export interface PageConnection {
  readonly client: TickverseClient;
  readonly admin: AdminSession;
  readonly hello: HelloPush | null;
  readonly state: ConnState;
  /** Called after every successful (re)connect, once subscriptions are in place. */
  onOpen(fn: OpenFn): void;
  onState(fn: (s: ConnState) => void): void;
}

/** Connects the page and keeps it connected; `topics` are (re)subscribed after each connect. */
export function connectPage(topics: readonly string[] = []): PageConnection {
  const client = new TickverseClient({ url: wsUrl(), reconnect: RECONNECT, requestTimeoutMs: 8000 });
  const admin = new AdminSession(client);
  const pill = document.getElementById('conn-status');
  const openFns: OpenFn[] = [];
  const stateFns: ((s: ConnState) => void)[] = [];
  const firstTries = new Backoff(RECONNECT);
  let state: ConnState = 'connecting';
  let hello: HelloPush | null = null;
  let retryAt = 0;
  let countdown: ReturnType<typeof setInterval> | null = null;

  const render = (): void => {
    if (pill === null) return;
    pill.dataset.state = state;
    let text = '';
    if (state === 'connecting') text = 'Connecting…';
    else if (state === 'live') text = 'Live';
    else if (state === 'offline') text = 'Disconnected';
    else {
      const s = Math.max(0, Math.ceil((retryAt - Date.now()) / 1000));
      text = s > 0 ? `Disconnected — retrying in ${s}s` : 'Disconnected — retrying…';
    }
    if (pill.textContent !== text) pill.textContent = text;
  };
  const setState = (s: ConnState, delayMs = 0): void => {
    state = s;
    if (s === 'retrying') {
      retryAt = Date.now() + delayMs;
      countdown ??= setInterval(render, 250);
    } else if (countdown !== null) {
      clearInterval(countdown);
      countdown = null;
    }
    document.documentElement.dataset.conn = s;
    render();
    for (const fn of stateFns) fn(s);
  };

  // On a server that needs the token for reading, subscriptions made before the token was
  // given were refused: subscribe again once it is accepted.
  admin.onChange(() => {
    if (admin.active && topics.length > 0 && client.state === 'open') client.subscribe(...topics).catch(() => {});
  });

  client.on('open', (h, { resumed }) => {
    hello = h;
    firstTries.reset();
    admin.reconnected();
    const subscribed = topics.length > 0 ? client.subscribe(...topics).then(() => undefined) : Promise.resolve();
    subscribed
      .catch(() => {
        // The connection dropped again; the next open retries.
      })
      .finally(() => {
        if (client.state !== 'open') return;
        setState('live');
        for (const fn of openFns) fn(h, resumed);
      });
  });
  client.on('close', (info) => {
    // Before the first success the retry loop in start() takes over right after this.
    setState(info.willReconnect ? 'retrying' : 'offline', 0);
  });
  client.on('reconnecting', ({ delayMs }) => setState('retrying', delayMs));
  client.on('error', () => {
    // Reported in context (failed joins, give-ups); the status pill shows the connection.
  });

  const start = (): void => {
    if (state !== 'retrying') setState('connecting');
    client.connect().catch(() => {
      // Never connected yet: the SDK reconnects only after a first success, so retry here.
      if (client.state === 'open' || client.state === 'reconnecting') return;
      const delay = firstTries.next() ?? RECONNECT.maxMs;
      setState('retrying', delay);
      setTimeout(start, delay);
    });
  };
  start();

  return {
    client,
    admin,
    get hello() {
      return hello;
    },
    get state() {
      return state;
    },
    onOpen(fn) {
      openFns.push(fn);
      if (state === 'live' && hello !== null) fn(hello, false);
    },
    onState(fn) {
      stateFns.push(fn);
    },
  };
}

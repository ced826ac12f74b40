// Waiting for a state over HTTP, shared by the cluster benchmark (./procs.ts) and the tests
// (tests/gateway-helpers.ts): a request whose body is parsed as JSON when it is JSON, and a
// bounded poll that fails naming what it waited for.
export async function httpJson(url: string, init: RequestInit = {}): Promise<{ status: number; body: unknown }> {
  const r = await fetch(url, init);
  const text = await r.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: r.status, body };
}

/** Polls `check` every `everyMs` until it holds; throws naming `what` after `ms`. */
export async function pollUntil<T>(what: string, check: () => T | undefined | null | false | Promise<T | undefined | null | false>, ms: number, everyMs: number): Promise<T> {
  const deadline = performance.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== null && v !== false) return v;
    if (performance.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

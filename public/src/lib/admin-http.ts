// Admin HTTP calls from the pages: the JSON answer, or an HttpError carrying the server's code
// (or NETWORK when it could not be reached), with the tab's admin token as a Bearer header.

/** A refusal from the server: its code and message, or a failure to reach it. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export async function adminCall<T>(token: string, method: 'GET' | 'POST' | 'DELETE', path: string): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, { method, cache: 'no-store', headers: { authorization: `Bearer ${token}` } });
  } catch {
    throw new HttpError(0, 'NETWORK', 'the server could not be reached');
  }
  const body = (await res.json().catch(() => null)) as unknown;
  if (!res.ok) {
    const err = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
    throw new HttpError(res.status, typeof err?.code === 'string' ? err.code : `HTTP ${res.status}`, typeof err?.message === 'string' ? err.message : res.statusText);
  }
  return body as T;
}

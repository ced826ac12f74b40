// The child side of the harness's IPC channel: typed send and receive, and an exit when the
// parent goes away (so a crashed harness never leaves servers or clients running).
export function toParent<M extends { type: string }>(msg: M): void {
  if (process.send !== undefined && process.connected) process.send(msg);
}

export function fromParent<M extends { type: string }>(handler: (msg: M) => void | Promise<void>): void {
  process.on('message', (m: M) => {
    Promise.resolve(handler(m)).catch((e: unknown) => fatal(e));
  });
  process.on('disconnect', () => process.exit(0));
}

/** Reports an error to the parent, then exits (after the message has had time to leave). */
export function fatal(e: unknown): void {
  const message = e instanceof Error ? (e.stack ?? e.message) : String(e);
  toParent({ type: 'fatal', message });
  process.stderr.write(`${message}\n`);
  process.exitCode = 1;
  setTimeout(() => process.exit(1), 200);
}

/** The realm (Colyseus: room) id of realm i, the same in both servers. */
export const realmId = (i: number): string => `stress-${i}`;

/** The open world's one realm (Colyseus: room). */
export const openRealmId = 'open-0';

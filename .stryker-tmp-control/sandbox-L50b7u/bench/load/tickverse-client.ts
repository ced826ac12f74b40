// @ts-nocheck
// A Tickverse client as a game would write it: the SDK (TickverseClient over NodeWebSocket,
// which Node 20 needs), joined to one realm, its live entity map kept by the SDK. The socket
// is wrapped only to count bytes received.
import { TickverseClient } from '../../client/index.js';
import { NodeWebSocket } from '../../client/node-ws.js';
import { byteLength, type ClientStats, type CloseClient } from './client-stats.js';

function countingSocket(stats: ClientStats): new (url: string) => NodeWebSocket {
  return class CountingWebSocket extends NodeWebSocket {
    constructor(url: string) {
      super(url, { handshakeTimeoutMs: 30_000 });
      let handler: ((ev: { data: unknown }) => void) | null = null;
      Object.defineProperty(this, 'onmessage', {
        get: () => handler,
        set: (fn: ((ev: { data: unknown }) => void) | null) => {
          handler =
            fn === null
              ? null
              : (ev) => {
                  stats.received(byteLength(ev.data));
                  fn(ev);
                };
        },
      });
    }
  };
}

export async function connectTickverse(url: string, realm: string, stats: ClientStats): Promise<CloseClient> {
  const client = new TickverseClient({ url, WebSocket: countingSocket(stats), reconnect: false, requestTimeoutMs: 60_000 });
  client.on('state', (f) => stats.frame(f.at, f.key, f.ents.length));
  client.on('close', () => stats.disconnect());
  await client.connect();
  const view = await client.join(realm);
  let gaps = view.gaps;
  view.onChange((v) => {
    if (v.gaps !== gaps) {
      stats.gap();
      gaps = v.gaps;
    }
  });
  stats.open++;
  return () => client.close();
}

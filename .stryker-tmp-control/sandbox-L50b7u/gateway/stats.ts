// @ts-nocheck
// Plain counters the gateway bumps on its hot paths; /metrics and the `stats` op read them.

export interface LiveStats {
  connections: number;
  connectionsOpened: number;
  lagging: number;
  messagesIn: number;
  framesPublished: number;
  framesSent: number;
  framesDropped: number;
  backpressureCloses: number;
  /** Messages uWS refused at its hard backpressure limit (flow control keeps this at 0). */
  sendDrops: number;
  eventsPushed: number;
  eventsDropped: number;
  /** Error replies by code (WebSocket and HTTP). */
  readonly errors: Map<string, number>;
  /** Closes by reason. */
  readonly closes: Map<string, number>;
  /** HTTP responses by status. */
  readonly http: Map<string, number>;
}

export function newStats(): LiveStats {
  return {
    connections: 0,
    connectionsOpened: 0,
    lagging: 0,
    messagesIn: 0,
    framesPublished: 0,
    framesSent: 0,
    framesDropped: 0,
    backpressureCloses: 0,
    sendDrops: 0,
    eventsPushed: 0,
    eventsDropped: 0,
    errors: new Map(),
    closes: new Map(),
    http: new Map(),
  };
}

export function bump(map: Map<string, number>, key: string, by = 1): void {
  map.set(key, (map.get(key) ?? 0) + by);
}

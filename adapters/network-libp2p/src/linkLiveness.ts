/**
 * How a sync node tells a dead link from a busy peer (libp2p 3's connection monitor pings every
 * connection and aborts one whose ping is not answered in time). libp2p's defaults, a ping every
 * 10 s and a timeout of 1.2x the recent round trip but at least 5 s, abort a healthy connection
 * whenever the peer's event loop is busy for 5 s: a cloud peer applying a week of a site's documents,
 * or any process on an overloaded machine. The abort drops every document in flight, the site redials
 * and sends them again (bench:sync's week part saw 3 to 6 connections and 2.3x to 4.1x the bytes under
 * load). A sync link is kept while data moves, so the floor is long; a dead link is still dropped
 * within `pingIntervalMs + pingTimeoutCeilingMs`, and a reset TCP link at once.
 */
export interface LinkLiveness {
  /** Milliseconds between two pings of a connection. */
  readonly pingIntervalMs: number;
  /** The shortest wait for a ping's answer before the connection is aborted. */
  readonly pingTimeoutFloorMs: number;
  /** The longest wait (the adaptive timeout grows after slow answers up to this). */
  readonly pingTimeoutCeilingMs: number;
}

/** The liveness every sync node uses unless told otherwise. */
export const SYNC_LINK_LIVENESS: LinkLiveness = Object.freeze({
  pingIntervalMs: 15_000,
  pingTimeoutFloorMs: 30_000,
  pingTimeoutCeilingMs: 90_000,
});

/** libp2p's connection-monitor init for `liveness`; throws a RangeError for a value below 1 or a ceiling under the floor. */
export function connectionMonitorInit(liveness: LinkLiveness = SYNC_LINK_LIVENESS): {
  pingInterval: number;
  pingTimeout: { minTimeout: number; maxTimeout: number };
} {
  for (const [key, value] of Object.entries(liveness))
    if (!Number.isInteger(value) || value < 1)
      throw new RangeError(`link liveness ${key} must be an integer >= 1, got ${value}`);
  if (liveness.pingTimeoutCeilingMs < liveness.pingTimeoutFloorMs)
    throw new RangeError("link liveness pingTimeoutCeilingMs must not be below pingTimeoutFloorMs");
  return {
    pingInterval: liveness.pingIntervalMs,
    pingTimeout: { minTimeout: liveness.pingTimeoutFloorMs, maxTimeout: liveness.pingTimeoutCeilingMs },
  };
}

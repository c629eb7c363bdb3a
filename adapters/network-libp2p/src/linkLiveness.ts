/**
 * How a sync node tells a dead link from a busy peer (libp2p 3's connection monitor pings every
 * connection and aborts one whose ping is not answered in time). libp2p's defaults, a ping every
 * 10 s and a timeout of 1.2x the recent round trip but at least 5 s, abort a healthy connection
 * whenever the peer's event loop is busy for 5 s: a cloud peer applying a week of a site's documents,
 * or any process on an overloaded machine. The abort drops every document in flight, the site redials
 * and sends them again (bench:sync's week part saw 3 to 6 connections and 2.3x to 4.1x the bytes under
 * load). A sync link is kept while data moves, so the floor is long; a dead link is still dropped
 * within `pingIntervalMs + pingTimeoutCeilingMs`, and a reset TCP link at once.
 *
 * A ping also waits behind whatever the muxer already sent on the same connection: yamux lets a
 * stream's window grow to 16 MiB, so a site pushing a week of documents to a peer that applies them
 * at 100 KB/s put minutes of data ahead of every ping, and pings timed out even at a 30 s floor
 * (bench:sync, 2026-12-02: 8 aborts in one week part). The stream window is therefore capped: at most
 * `streamWindowBytes` of one stream is ever unread by the peer, which still carries 5 MB/s at a
 * 200 ms round trip.
 */
export interface LinkLiveness {
  /** Milliseconds between two pings of a connection. */
  readonly pingIntervalMs: number;
  /** The shortest wait for a ping's answer before the connection is aborted. */
  readonly pingTimeoutFloorMs: number;
  /** The longest wait (the adaptive timeout grows after slow answers up to this). */
  readonly pingTimeoutCeilingMs: number;
  /** The most of one stream's data in flight, unread by the peer (yamux's window; at least 256 KiB). */
  readonly streamWindowBytes: number;
}

/** The liveness every sync node uses unless told otherwise. */
export const SYNC_LINK_LIVENESS: LinkLiveness = Object.freeze({
  pingIntervalMs: 15_000,
  pingTimeoutFloorMs: 30_000,
  pingTimeoutCeilingMs: 90_000,
  streamWindowBytes: 1024 * 1024,
});

/** yamux's smallest window, which is also its initial one. */
const YAMUX_INITIAL_WINDOW = 256 * 1024;

/** libp2p's connection-monitor init for `liveness`; throws a RangeError for a value below 1 or a ceiling under the floor. */
export function connectionMonitorInit(liveness: LinkLiveness = SYNC_LINK_LIVENESS): {
  pingInterval: number;
  pingTimeout: { minTimeout: number; maxTimeout: number };
} {
  checkLiveness(liveness);
  return {
    pingInterval: liveness.pingIntervalMs,
    pingTimeout: { minTimeout: liveness.pingTimeoutFloorMs, maxTimeout: liveness.pingTimeoutCeilingMs },
  };
}

/** yamux's stream options for `liveness`; throws a RangeError like `connectionMonitorInit`, or for a window under 256 KiB. */
export function yamuxStreamOptions(liveness: LinkLiveness = SYNC_LINK_LIVENESS): {
  initialStreamWindowSize: number;
  maxStreamWindowSize: number;
} {
  checkLiveness(liveness);
  return { initialStreamWindowSize: YAMUX_INITIAL_WINDOW, maxStreamWindowSize: liveness.streamWindowBytes };
}

function checkLiveness(liveness: LinkLiveness): void {
  for (const [key, value] of Object.entries(liveness))
    if (!Number.isInteger(value) || value < 1)
      throw new RangeError(`link liveness ${key} must be an integer >= 1, got ${value}`);
  if (liveness.pingTimeoutCeilingMs < liveness.pingTimeoutFloorMs)
    throw new RangeError("link liveness pingTimeoutCeilingMs must not be below pingTimeoutFloorMs");
  if (liveness.streamWindowBytes < YAMUX_INITIAL_WINDOW)
    throw new RangeError(`link liveness streamWindowBytes must be at least ${YAMUX_INITIAL_WINDOW}`);
}

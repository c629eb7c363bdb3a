/**
 * How many connections a sync node holds and how fast it accepts new ones (libp2p 3's connection
 * manager). Unset fields keep libp2p's defaults: 300 connections, 5 new inbound connections per
 * second per remote host, 10 inbound connections upgrading at once, 10 s to upgrade one.
 */
export interface ConnectionLimits {
  /** Connections held before libp2p refuses new inbound ones and prunes the least valued. */
  readonly maxConnections?: number;
  /** New inbound connections accepted per second from one remote host (IP); more are refused. */
  readonly inboundConnectionThreshold?: number;
  /** Inbound connections allowed to be in their upgrade (Noise, yamux) at once; more are refused. */
  readonly maxIncomingPendingConnections?: number;
  /** Milliseconds an inbound connection may take to upgrade before it is dropped. */
  readonly inboundUpgradeTimeout?: number;
}

/**
 * Limits for a cloud peer that holds thousands of sites: sites sit behind shared NAT or carrier-grade
 * NAT addresses (many sites, one host) and all redial at once when a region comes back.
 */
export const CLOUD_CONNECTION_LIMITS: Readonly<Required<ConnectionLimits>> = Object.freeze({
  maxConnections: 10_000,
  inboundConnectionThreshold: 1_000,
  maxIncomingPendingConnections: 256,
  inboundUpgradeTimeout: 30_000,
});

/** The connection-manager init for libp2p: only the limits that are set (libp2p's defaults otherwise); throws on a limit below 1. */
export function connectionManagerInit(limits: ConnectionLimits = {}): ConnectionLimits {
  const init: { -readonly [K in keyof ConnectionLimits]: ConnectionLimits[K] } = {};
  for (const key of Object.keys(limits) as (keyof ConnectionLimits)[]) {
    const value = limits[key];
    if (value === undefined) continue;
    if (!Number.isInteger(value) || value < 1)
      throw new RangeError(`connection limit ${key} must be an integer >= 1, got ${value}`);
    init[key] = value;
  }
  return init;
}

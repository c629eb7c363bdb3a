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
  /** Inbound connections one remote host may have in their upgrade at once (unset: no per-host cap). */
  readonly maxPendingUpgradesPerHost?: number;
  /**
   * Milliseconds any inbound TCP socket may stay silent before it is closed (libp2p's TCP default: 30 s).
   * It applies to upgraded connections too, so keep it above the muxer's keep-alive; silent sockets
   * that never upgrade are dropped by `inboundUpgradeTimeout` instead.
   */
  readonly inboundSocketInactivityTimeout?: number;
}

/**
 * Limits for a cloud peer that holds thousands of sites: sites sit behind shared NAT or carrier-grade
 * NAT addresses (many sites, one host) and all redial at once when a region comes back.
 */
export const CLOUD_CONNECTION_LIMITS: Readonly<
  Required<Omit<ConnectionLimits, "inboundSocketInactivityTimeout">>
> = Object.freeze({
  maxConnections: 10_000,
  inboundConnectionThreshold: 1_000,
  maxIncomingPendingConnections: 256,
  // A Noise + yamux upgrade takes a few round trips; 5 s covers a slow cellular link, and a socket that
  // says nothing frees its slot after that instead of 30 s.
  inboundUpgradeTimeout: 5_000,
  // One address never holds more than an eighth of the pending slots.
  maxPendingUpgradesPerHost: 32,
});

type ManagerLimits = Omit<ConnectionLimits, "maxPendingUpgradesPerHost" | "inboundSocketInactivityTimeout">;

/** The connection-manager init for libp2p: only the limits that are set (libp2p's defaults otherwise); throws on a limit below 1. */
export function connectionManagerInit(limits: ConnectionLimits = {}): ManagerLimits {
  const init: { -readonly [K in keyof ManagerLimits]: ManagerLimits[K] } = {};
  for (const key of [
    "maxConnections",
    "inboundConnectionThreshold",
    "maxIncomingPendingConnections",
    "inboundUpgradeTimeout",
  ] as const) {
    const value = limits[key];
    if (value === undefined) continue;
    if (!Number.isInteger(value) || value < 1)
      throw new RangeError(`connection limit ${key} must be an integer >= 1, got ${value}`);
    init[key] = value;
  }
  return init;
}

import "./promiseWithResolversPolyfill.js";
import { createLibp2p } from "libp2p";
import type { Libp2p } from "libp2p";
import { tcp } from "@libp2p/tcp";
import { webSockets } from "@libp2p/websockets";
import { noise } from "@chainsafe/libp2p-noise";
import { yamux } from "@chainsafe/libp2p-yamux";
import type { ConnectionGater, PrivateKey } from "@libp2p/interface";
import { connectionManagerInit } from "./connectionLimits.js";
import { limitPendingUpgradesPerHost } from "./pendingUpgradeLimit.js";
import type { ConnectionLimits } from "./connectionLimits.js";
import { connectionMonitorInit, yamuxStreamOptions } from "./linkLiveness.js";
import type { LinkLiveness } from "./linkLiveness.js";

export interface SyncNodeOptions {
  /** The node's Ed25519 identity (kept by the node across restarts: its peer ID is its registry entry). */
  readonly privateKey: PrivateKey;
  /** Multiaddrs to listen on, e.g. `/ip4/127.0.0.1/tcp/0` or `/ip4/0.0.0.0/tcp/4002/ws`; none for a site behind NAT. */
  readonly listen?: readonly string[];
  readonly connectionGater?: ConnectionGater;
  /** Connection-manager limits; libp2p's defaults (fit for a site) where unset. A cloud peer passes `CLOUD_CONNECTION_LIMITS`. */
  readonly connectionLimits?: ConnectionLimits;
  /** Hears each inbound connection refused because its host already has `maxPendingUpgradesPerHost` upgrading. */
  readonly onPendingRefused?: (host: string) => void;
  /** When a silent connection counts as dead (default `SYNC_LINK_LIVENESS`). */
  readonly liveness?: LinkLiveness;
}

/** A libp2p node for sync: TCP and WebSockets, Noise (mutually authenticated Ed25519 identities), yamux; rejects (RangeError) a connection limit or liveness value below 1. */
export async function createSyncNode(opts: SyncNodeOptions): Promise<Libp2p> {
  return createLibp2p({
    privateKey: opts.privateKey,
    addresses: { listen: [...(opts.listen ?? [])] },
    transports: [
      tcp(
        opts.connectionLimits?.inboundSocketInactivityTimeout === undefined
          ? {}
          : { inboundSocketInactivityTimeout: opts.connectionLimits.inboundSocketInactivityTimeout },
      ),
      webSockets(),
    ],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux({ streamOptions: yamuxStreamOptions(opts.liveness) })],
    connectionManager: connectionManagerInit(opts.connectionLimits),
    connectionMonitor: connectionMonitorInit(opts.liveness),
    ...(opts.connectionLimits?.maxPendingUpgradesPerHost !== undefined
      ? {
          connectionGater: limitPendingUpgradesPerHost(
            opts.connectionGater,
            opts.connectionLimits.maxPendingUpgradesPerHost,
            opts.onPendingRefused,
          ),
        }
      : opts.connectionGater
        ? { connectionGater: opts.connectionGater }
        : {}),
  });
}

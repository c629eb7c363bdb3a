import type { Clock } from "@chargemesh/shared-model";
import type { SyncState } from "@chargemesh/shared-model/contracts";

/** The part of a libp2p node the sync view reads. */
export interface SyncNodeView {
  getConnections(): readonly {
    readonly remotePeer: { toString(): string };
    readonly remoteAddr: { toString(): string };
  }[];
  addEventListener(type: "connection:open" | "connection:close", listener: () => void): void;
  removeEventListener(type: "connection:open" | "connection:close", listener: () => void): void;
}

/** Reads the site's sync state for the kiosk; `close` detaches from the node. */
export interface SyncStateSource {
  (): SyncState;
  close(): void;
}

/**
 * The site's sync state from its libp2p node and the cloud peers it dials (multiaddrs ending in
 * /p2p/<peer ID>): which are connected, the last contact, and since when none is (site clock; the
 * start counts as the first moment of no contact). `documentsPending` is null: the site does not
 * track acknowledgements per document yet.
 */
export function syncStateSource(
  node: SyncNodeView,
  cloudPeers: readonly string[],
  clock: Clock,
  documents: () => number,
): SyncStateSource {
  const peers = cloudPeers.map((a) => ({ address: a, peerId: /\/p2p\/([^/]+)$/.exec(a)?.[1] ?? a }));
  let lastContactMs: number | null = null;
  let unreachableSinceMs: number | null = clock.now();
  const connectedPeers = () => new Set(node.getConnections().map((c) => c.remotePeer.toString()));
  const observe = () => {
    const any = peers.some((p) => connectedPeers().has(p.peerId));
    const now = clock.now();
    if (any) {
      lastContactMs = now;
      unreachableSinceMs = null;
    } else if (unreachableSinceMs === null) unreachableSinceMs = now;
  };
  node.addEventListener("connection:open", observe);
  node.addEventListener("connection:close", observe);
  const read = (() => {
    observe();
    const connected = connectedPeers();
    return {
      enabled: peers.length > 0,
      peers: peers.map((p) => ({ peerId: p.peerId, address: p.address, connected: connected.has(p.peerId) })),
      lastContactMs,
      unreachableSinceMs,
      documents: documents(),
      documentsPending: null,
    };
  }) as SyncStateSource;
  read.close = () => {
    node.removeEventListener("connection:open", observe);
    node.removeEventListener("connection:close", observe);
  };
  return read;
}

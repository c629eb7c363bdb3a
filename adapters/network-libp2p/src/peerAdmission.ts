import type { ConnectionGater, PeerId } from "@libp2p/interface";

export type PeerRole = "site" | "cloud";

/** The registry's view of which libp2p peer IDs belong to registered sites and cloud peers. */
export class PeerRegistry {
  private readonly peers = new Map<string, { role: PeerRole; name: string }>();

  register(peerId: string, role: PeerRole, name: string): void {
    this.peers.set(peerId, { role, name });
  }

  unregister(peerId: string): void {
    this.peers.delete(peerId);
  }

  lookup(peerId: string): { role: PeerRole; name: string } | undefined {
    return this.peers.get(peerId);
  }
}

/**
 * A connection gater that admits only registered peers. The check runs after the Noise handshake
 * (`deny*EncryptedConnection`), where the remote peer ID is authenticated, not merely claimed.
 * `onRefused` hears every refusal (logs, metrics, the audit entry).
 */
export function registeredPeersGater(
  registry: PeerRegistry,
  onRefused?: (peerId: string, direction: "inbound" | "outbound") => void,
): ConnectionGater {
  const deny = (peer: PeerId, direction: "inbound" | "outbound") => {
    const refused = registry.lookup(peer.toString()) === undefined;
    if (refused) onRefused?.(peer.toString(), direction);
    return refused;
  };
  return {
    denyInboundEncryptedConnection: (peer) => deny(peer, "inbound"),
    denyOutboundEncryptedConnection: (peer) => deny(peer, "outbound"),
  };
}

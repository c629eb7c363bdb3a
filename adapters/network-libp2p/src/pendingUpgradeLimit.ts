import type { ConnectionGater } from "@libp2p/interface";
import type { MultiaddrConnection } from "@libp2p/interface";

/** Hosts tracked at most; past it the oldest host's entry is forgotten (its sockets still time out). */
const MAX_HOSTS = 10_000;

/**
 * Wraps a connection gater so that one remote host (IP) holds at most `perHost` inbound connections
 * still in their upgrade (Noise, yamux) at once: silent or slow sockets from one address can never
 * take the pending slots that registered peers need. Upgraded and closed connections free their slot,
 * so any number of upgraded connections may come from one host (sites behind one carrier NAT).
 */
export function limitPendingUpgradesPerHost(
  inner: ConnectionGater | undefined,
  perHost: number,
  onRefused?: (host: string) => void,
): ConnectionGater {
  if (!Number.isInteger(perHost) || perHost < 1)
    throw new RangeError(`pending upgrades per host must be an integer >= 1, got ${perHost}`);
  const pending = new Map<string, Set<MultiaddrConnection>>();
  // libp2p 3 never sets `timeline.upgraded` on the raw connection: an upgrade frees its slot through
  // the gater's last upgrade hook below, a failed or silent one when its socket closes.
  const live = (c: MultiaddrConnection) => c.timeline.close === undefined;
  // The address component of /ip4/<a>/tcp/<p> (or ip6, dns): the remote host.
  const hostOf = (c: MultiaddrConnection) =>
    c.remoteAddr.getComponents()[0]?.value ?? c.remoteAddr.toString();
  return {
    ...inner,
    denyInboundUpgradedConnection: async (peerId, maConn) => {
      pending.get(hostOf(maConn))?.delete(maConn);
      return (await inner?.denyInboundUpgradedConnection?.(peerId, maConn)) ?? false;
    },
    denyInboundConnection: async (maConn) => {
      if (await inner?.denyInboundConnection?.(maConn)) return true;
      const host = hostOf(maConn);
      const set = pending.get(host) ?? new Set<MultiaddrConnection>();
      for (const c of set) if (!live(c)) set.delete(c);
      if (set.size >= perHost) {
        onRefused?.(host);
        return true;
      }
      set.add(maConn);
      pending.delete(host);
      pending.set(host, set);
      if (pending.size > MAX_HOSTS) pending.delete(pending.keys().next().value!);
      return false;
    },
  };
}

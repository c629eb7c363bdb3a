import type { Server } from "node:http";
import type { Socket } from "node:net";

export interface ConnectionLimitOptions {
  /** Open connections (HTTP and WebSocket) at most (default 25,000). */
  readonly maxConnections?: number;
  /** Open connections per remote address at most (default 1,000: a carrier NAT holds many phones). */
  readonly maxPerAddress?: number;
}

/**
 * Caps connections before any byte is parsed: past the per-address or total bound a new socket is
 * destroyed at once. Every socket gets an error listener. Returns a counter of refusals.
 */
export function limitConnections(
  server: Server,
  opts: ConnectionLimitOptions = {},
): { refused: () => number } {
  const maxPerAddress = opts.maxPerAddress ?? 1_000;
  server.maxConnections = opts.maxConnections ?? 25_000;
  const perAddress = new Map<string, number>();
  let refused = 0;
  server.on("connection", (socket: Socket) => {
    socket.on("error", () => socket.destroy());
    const address = socket.remoteAddress ?? "?";
    const n = (perAddress.get(address) ?? 0) + 1;
    if (n > maxPerAddress) {
      refused++;
      socket.destroy();
      return;
    }
    perAddress.set(address, n);
    socket.once("close", () => {
      const left = (perAddress.get(address) ?? 1) - 1;
      if (left <= 0) perAddress.delete(address);
      else perAddress.set(address, left);
    });
  });
  return { refused: () => refused };
}

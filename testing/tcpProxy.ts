import { createConnection, createServer } from "node:net";
import type { Server, Socket } from "node:net";
import type { AddressInfo } from "node:net";

/**
 * A controllable TCP proxy between two peers for partition tests: `cut()` resets every connection and
 * refuses new ones until `restore()`; `reset()` resets them and accepts new ones; `delayMs` holds each
 * chunk that long in both directions; `throttleBytesPerSec` caps each direction's rate.
 */
export class TcpProxy {
  private readonly sockets = new Set<Socket>();
  private cutOff = false;
  delayMs = 0;
  /** When set, each direction carries at most this many bytes per second. */
  throttleBytesPerSec: number | null = null;
  bytes = 0;
  /** When set, the proxy cuts itself once this many bytes have passed (an interrupted transfer). */
  cutAtBytes: number | null = null;

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(targetHost: string, targetPort: () => number): Promise<TcpProxy> {
    let proxy: TcpProxy | null = null;
    const server = createServer((client) => {
      if (!proxy || proxy.cutOff) return void client.destroy();
      const upstream = createConnection({ host: targetHost, port: targetPort() });
      const pipe = (from: Socket, to: Socket) =>
        from.on("data", (chunk) => {
          proxy!.bytes += chunk.length;
          if (proxy!.cutAtBytes !== null && proxy!.bytes >= proxy!.cutAtBytes) {
            proxy!.cutAtBytes = null;
            proxy!.cut();
            return;
          }
          const rate = proxy!.throttleBytesPerSec;
          // Throttled: the chunk goes out once it would have at that rate, and the sender waits meanwhile.
          const holdMs =
            proxy!.delayMs + (rate !== null && rate > 0 ? Math.ceil((chunk.length / rate) * 1000) : 0);
          if (holdMs === 0) return void (to.writable && to.write(chunk));
          if (rate !== null && rate > 0) from.pause();
          setTimeout(() => {
            if (to.writable) to.write(chunk);
            from.resume();
          }, holdMs);
        });
      pipe(client, upstream);
      pipe(upstream, client);
      for (const s of [client, upstream]) {
        proxy.sockets.add(s);
        s.on("error", () => {});
        s.on("close", () => {
          proxy?.sockets.delete(s);
          client.destroy();
          upstream.destroy();
        });
      }
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    proxy = new TcpProxy(server, (server.address() as AddressInfo).port);
    return proxy;
  }

  /** Resets every open connection; new ones are accepted (a flapping link, a NAT rebinding). */
  reset(): void {
    for (const s of this.sockets) s.destroy();
  }

  /** Resets every open connection and refuses new ones. */
  cut(): void {
    this.cutOff = true;
    for (const s of this.sockets) s.destroy();
  }

  restore(): void {
    this.cutOff = false;
  }

  get isCut(): boolean {
    return this.cutOff;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

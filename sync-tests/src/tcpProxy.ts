import { createConnection, createServer } from "node:net";
import type { Server, Socket } from "node:net";
import type { AddressInfo } from "node:net";

/**
 * A controllable TCP proxy between two peers for partition tests: `cut()` resets every connection and
 * refuses new ones until `restore()`; `delayMs` holds each chunk that long in both directions.
 */
export class TcpProxy {
  private readonly sockets = new Set<Socket>();
  private cutOff = false;
  delayMs = 0;
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
          if (proxy!.delayMs > 0) setTimeout(() => to.writable && to.write(chunk), proxy!.delayMs);
          else if (to.writable) to.write(chunk);
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

import { createConnection, createServer } from "node:net";
import type { AddressInfo, Socket } from "node:net";
import { expect, test } from "vitest";
import { TcpProxy } from "../../testing/tcpProxy.js";

/** An echo server on localhost; resolves with its port. */
async function echoServer(): Promise<{ port: number; close: () => void }> {
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on("error", () => {});
    s.pipe(s);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => (sockets.forEach((s) => s.destroy()), server.close()),
  };
}

/** Sends `bytes` through the proxy and resolves when they have all come back. */
function roundTrip(port: number, bytes: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const c = createConnection({ host: "127.0.0.1", port });
    let got = 0;
    c.on("data", (d) => {
      got += d.length;
      if (got >= bytes) c.end(resolve);
    });
    c.on("error", reject);
    c.on("close", () => got < bytes && reject(new Error(`connection closed after ${got} of ${bytes} bytes`)));
    c.write(Buffer.alloc(bytes, 7));
  });
}

test("the proxy throttles, resets (accepting again) and cuts (refusing) its connections", async () => {
  const echo = await echoServer();
  const proxy = await TcpProxy.start("127.0.0.1", () => echo.port);
  try {
    await roundTrip(proxy.port, 64 * 1024);
    // 128 KiB each way at 64 KiB/s cannot take less than about two seconds.
    proxy.throttleBytesPerSec = 64 * 1024;
    const t0 = performance.now();
    await roundTrip(proxy.port, 128 * 1024);
    expect(performance.now() - t0).toBeGreaterThan(1_500);
    proxy.throttleBytesPerSec = null;

    const open = createConnection({ host: "127.0.0.1", port: proxy.port });
    const closed = new Promise<void>((r) => open.on("close", () => r()));
    open.on("error", () => {});
    await new Promise((r) => open.on("connect", r));
    await new Promise((r) => setTimeout(r, 50));
    proxy.reset();
    await closed;
    await roundTrip(proxy.port, 1024); // a new connection goes through after a reset

    proxy.cut();
    await expect(roundTrip(proxy.port, 1024)).rejects.toThrow();
    proxy.restore();
    await roundTrip(proxy.port, 1024);
  } finally {
    await proxy.close();
    echo.close();
  }
});

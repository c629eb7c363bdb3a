import { afterEach, expect, test } from "vitest";
import { generateKeyPair } from "@libp2p/crypto/keys";
import { multiaddr } from "@multiformats/multiaddr";
import type { Connection } from "@libp2p/interface";
import type { Libp2p } from "libp2p";
import { createSyncNode } from "../src/syncNode.js";
import { SYNC_LINK_LIVENESS, connectionMonitorInit, yamuxStreamOptions } from "../src/linkLiveness.js";
import type { LinkLiveness } from "../src/linkLiveness.js";
import { TcpProxy } from "../../../testing/tcpProxy.js";
import { until } from "../../../testing/until.js";

const nodes: Libp2p[] = [];
const proxies: TcpProxy[] = [];
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.stop()));
  await Promise.all(proxies.splice(0).map((p) => p.close()));
});

/** A dialer connected to a listener through a proxy that, once connected, holds every chunk `delayMs` each way (a busy peer). */
async function slowLink(liveness: LinkLiveness, delayMs: number) {
  const listener = await createSyncNode({
    privateKey: await generateKeyPair("Ed25519"),
    listen: ["/ip4/127.0.0.1/tcp/0"],
  });
  const dialer = await createSyncNode({ privateKey: await generateKeyPair("Ed25519"), liveness });
  nodes.push(listener, dialer);
  const port = Number(listener.getMultiaddrs()[0]!.toString().split("/tcp/")[1]!.split("/")[0]);
  const proxy = await TcpProxy.start("127.0.0.1", () => port);
  proxies.push(proxy);
  const conn = await dialer.dial(
    multiaddr(`/ip4/127.0.0.1/tcp/${proxy.port}/p2p/${listener.peerId.toString()}`),
  );
  proxy.delayMs = delayMs;
  // Count the pings the connection monitor completes (each sets the connection's round trip).
  let pings = 0;
  let rtt = conn.rtt;
  Object.defineProperty(conn, "rtt", {
    get: () => rtt,
    set: (v: number) => {
      rtt = v;
      pings++;
    },
  });
  let closed = 0;
  dialer.addEventListener("connection:close", () => closed++);
  return { conn: conn as Connection, pings: () => pings, closed: () => closed };
}

test("a peer slow to answer (a busy event loop) but inside the ping floor keeps its connection through several pings", async () => {
  // Every chunk held 1 s: each ping takes over 1 s; the floor is 12 s, so no ping times out.
  const link = await slowLink(
    {
      pingIntervalMs: 200,
      pingTimeoutFloorMs: 12_000,
      pingTimeoutCeilingMs: 12_000,
      streamWindowBytes: 1_048_576,
    },
    1_000,
  );
  await until("three pings answered", () => link.pings() >= 3, 90_000, 50);
  expect(link.closed()).toBe(0);
  expect(link.conn.status).toBe("open");
  expect(link.conn.rtt).toBeGreaterThanOrEqual(1_000);
}, 120_000);

test("the same slow peer under a floor shorter than its answers loses the connection (the floor is what keeps it)", async () => {
  const link = await slowLink(
    { pingIntervalMs: 200, pingTimeoutFloorMs: 500, pingTimeoutCeilingMs: 500, streamWindowBytes: 1_048_576 },
    1_000,
  );
  await until("the connection aborted by a ping timeout", () => link.closed() >= 1, 90_000, 50);
  expect(link.conn.status).not.toBe("open");
}, 120_000);

test("sync nodes wait at least 30 s for a ping, cap a stream's window at 1 MiB, and bad liveness values are refused", () => {
  expect(SYNC_LINK_LIVENESS.pingTimeoutFloorMs).toBeGreaterThanOrEqual(30_000);
  expect(connectionMonitorInit()).toEqual({
    pingInterval: 15_000,
    pingTimeout: { minTimeout: 30_000, maxTimeout: 90_000 },
  });
  expect(yamuxStreamOptions()).toEqual({ initialStreamWindowSize: 262_144, maxStreamWindowSize: 1_048_576 });
  expect(() => yamuxStreamOptions({ ...SYNC_LINK_LIVENESS, streamWindowBytes: 65_536 })).toThrow(RangeError);
  expect(() => connectionMonitorInit({ ...SYNC_LINK_LIVENESS, pingIntervalMs: 0 })).toThrow(RangeError);
  expect(() => connectionMonitorInit({ ...SYNC_LINK_LIVENESS, pingTimeoutCeilingMs: 1_000 })).toThrow(
    /ceiling/i,
  );
});

import { afterEach, describe, expect, test } from "vitest";
import { generateKeyPair } from "@libp2p/crypto/keys";
import { multiaddr } from "@multiformats/multiaddr";
import type { Libp2p } from "libp2p";
import { createConnection } from "node:net";
import type { Socket } from "node:net";
import { createSyncNode } from "../src/syncNode.js";
import { CLOUD_CONNECTION_LIMITS } from "../src/connectionLimits.js";
import type { ConnectionLimits } from "../src/connectionLimits.js";

const nodes: Libp2p[] = [];
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.stop()));
});

async function listener(connectionLimits?: ConnectionLimits): Promise<Libp2p> {
  const n = await createSyncNode({
    privateKey: await generateKeyPair("Ed25519"),
    listen: ["/ip4/127.0.0.1/tcp/0"],
    ...(connectionLimits ? { connectionLimits } : {}),
  });
  nodes.push(n);
  return n;
}

async function dialers(count: number): Promise<Libp2p[]> {
  const made = await Promise.all(
    Array.from({ length: count }, async () =>
      createSyncNode({ privateKey: await generateKeyPair("Ed25519") }),
    ),
  );
  nodes.push(...made);
  return made;
}

async function until(cond: () => boolean, ms = 3_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not reached in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Dials `target` from every dialer at once (all from 127.0.0.1); returns how many dials succeeded. */
async function dialAll(target: Libp2p, from: readonly Libp2p[]): Promise<number> {
  const addr = multiaddr(target.getMultiaddrs()[0]!.toString());
  const results = await Promise.allSettled(
    from.map((d) => d.dial(addr, { signal: AbortSignal.timeout(5_000) })),
  );
  return results.filter((r) => r.status === "fulfilled").length;
}

describe("createSyncNode connection limits", () => {
  test("a node created with maxConnections 3 holds no more than 3 connections", async () => {
    const target = await listener({ maxConnections: 3, inboundConnectionThreshold: 100 });
    const from = await dialers(6);
    for (const d of from)
      await d.dial(multiaddr(target.getMultiaddrs()[0]!.toString())).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 300));
    expect(target.getConnections().length).toBeLessThanOrEqual(3);
    const stillOpen = from.filter((d) => d.getConnections().some((c) => c.status === "open")).length;
    expect(stillOpen).toBeLessThanOrEqual(3);
    expect(stillOpen).toBeGreaterThan(0);
  });

  test("libp2p's default refuses a burst of new connections from one host; the cloud limits accept it", async () => {
    const burst = 20;
    const site = await listener();
    const acceptedByDefault = await dialAll(site, await dialers(burst));
    // Default: 5 new inbound connections per second per host and 10 upgrading at once.
    expect(acceptedByDefault).toBeLessThan(burst);

    const cloud = await listener(CLOUD_CONNECTION_LIMITS);
    const acceptedByCloud = await dialAll(cloud, await dialers(burst));
    expect(acceptedByCloud).toBe(burst);
    await until(() => cloud.getConnections().length === burst);
  });

  test("one host holds more upgraded connections than its pending-upgrade slots (sites behind one NAT)", async () => {
    const cloud = await listener(CLOUD_CONNECTION_LIMITS);
    const count = CLOUD_CONNECTION_LIMITS.maxPendingUpgradesPerHost + 8;
    const addr = multiaddr(cloud.getMultiaddrs()[0]!.toString());
    let connected = 0;
    // One at a time: at most one connection is ever in its upgrade, every earlier one is upgraded.
    for (const d of await dialers(count)) {
      await d.dial(addr, { signal: AbortSignal.timeout(10_000) });
      connected++;
    }
    expect(connected).toBe(count);
    await until(() => cloud.getConnections().length === count, 10_000);
  });

  test("300 silent TCP sockets from one address take at most its per-host pending slots: a registered peer from another address connects meanwhile", async () => {
    const refusedHosts: string[] = [];
    const cloud = await createSyncNode({
      privateKey: await generateKeyPair("Ed25519"),
      listen: ["/ip4/127.0.0.1/tcp/0"],
      connectionLimits: CLOUD_CONNECTION_LIMITS,
      onPendingRefused: (h) => refusedHosts.push(h),
    });
    nodes.push(cloud);
    const port = Number(cloud.getMultiaddrs()[0]!.toString().split("/")[4]);
    const silent: Socket[] = [];
    try {
      await Promise.all(
        Array.from(
          { length: 300 },
          () =>
            new Promise<void>((resolve) => {
              const s = createConnection({ host: "127.0.0.1", port, localAddress: "127.0.0.2" }, () =>
                resolve(),
              );
              s.on("error", () => resolve());
              s.on("close", () => resolve());
              silent.push(s);
            }),
        ),
      );
      await until(
        () => refusedHosts.length >= 300 - CLOUD_CONNECTION_LIMITS.maxPendingUpgradesPerHost,
        10_000,
      );
      expect(new Set(refusedHosts)).toEqual(new Set(["127.0.0.2"]));
      const [site] = await dialers(1);
      expect(await dialAll(cloud, [site!])).toBe(1);
    } finally {
      for (const s of silent) s.destroy();
    }
  });

  test("a limit below 1 is refused", async () => {
    await expect(
      createSyncNode({
        privateKey: await generateKeyPair("Ed25519"),
        connectionLimits: { maxConnections: 0 },
      }),
    ).rejects.toThrow(RangeError);
  });
});

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import pino from "pino";
import * as A from "@automerge/automerge";
import { generateKeyPair } from "@libp2p/crypto/keys";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import type { PrivateKey } from "@libp2p/interface";
import { SeededRandom, systemClock } from "@chargemesh/shared-model";
import { createSyncNode } from "@chargemesh/automerge-network-libp2p";
import { CloudPeer } from "@chargemesh/cloud-peer";
import { SimulatedSite } from "@chargemesh/simulation";
import { TcpProxy } from "../../testing/tcpProxy.js";

const dir = mkdtempSync(join(tmpdir(), "cm-regions-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const SEED = 11;
const until = async (cond: () => Promise<boolean>, ms: number) => {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error("did not converge in time");
    await new Promise((r) => setTimeout(r, 200));
  }
};
const portOf = (p: CloudPeer) =>
  Number(p.node.getMultiaddrs()[0]!.toString().split("/tcp/")[1]!.split("/")[0]);

test("three sites and two cloud regions converge to identical heads after random cuts, resets, delays, throttling and a region restart", async () => {
  console.log(`regions/partitions seed=${SEED}`);
  const rnd = new SeededRandom(SEED);
  const keys: Record<string, PrivateKey> = {
    a: await generateKeyPair("Ed25519"),
    b: await generateKeyPair("Ed25519"),
  };
  const regions: Record<string, CloudPeer> = {};
  const ports: Record<string, number> = {};
  const peerIds = {
    a: peerIdFromPrivateKey(keys.a!).toString(),
    b: peerIdFromPrivateKey(keys.b!).toString(),
  };
  const proxies: TcpProxy[] = [];
  const proxyTo = async (region: "a" | "b") => {
    const p = await TcpProxy.start("127.0.0.1", () => ports[region]!);
    proxies.push(p);
    return `/ip4/127.0.0.1/tcp/${p.port}/p2p/${peerIds[region]}`;
  };
  // Region a dials region b (the cross-region link), through a proxy like every other link.
  const crossLink = await proxyTo("b");
  const startRegion = async (name: "a" | "b") => {
    const listen = [`/ip4/127.0.0.1/tcp/${ports[name] ?? 0}`];
    regions[name] = await CloudPeer.start({
      dataDir: join(dir, `region-${name}`),
      privateKey: keys[name]!,
      listen,
      clock: systemClock,
      ...(name === "a" ? { peers: [crossLink] } : {}),
    });
    ports[name] = portOf(regions[name]!);
  };
  await startRegion("b");
  await startRegion("a");
  const sites: { id: string; site: SimulatedSite; peerId: string }[] = [];
  for (let i = 0; i < 3; i++) {
    const id = `site-${i + 1}`;
    const node = await createSyncNode({ privateKey: await generateKeyPair("Ed25519") });
    const site = await SimulatedSite.create({
      siteId: id,
      dataDir: join(dir, id),
      stalls: 3,
      vehicles: 10,
      seed: SEED + i,
      offline: false,
      startMs: Date.UTC(2026, 5, 1, 6),
      windowMs: 6 * 3_600_000,
      log: pino({ level: "silent" }),
      sync: { node, dial: [await proxyTo("a"), await proxyTo("b")] },
      // Pace a little so partitions happen during the simulated hours.
      onStep: async (now) => {
        if (now % 300_000 === 0) await new Promise((r) => setTimeout(r, 5));
      },
    });
    sites.push({ id, site, peerId: node.peerId.toString() });
  }
  const register = (r: CloudPeer) => {
    for (const s of sites) r.registerSite(s.id, s.peerId, s.site.controller.site.root.url);
    r.registerCloudPeer("region-a", regions.a!.node.peerId.toString());
    r.registerCloudPeer("region-b", regions.b!.node.peerId.toString());
  };
  register(regions.a!);
  register(regions.b!);

  // Chaos while the sites run: random cuts, restores and delays; region b restarts once.
  let chaos = true;
  let restarted = false;
  const chaosLoop = (async () => {
    while (chaos) {
      const p = proxies[rnd.int(0, proxies.length - 1)]!;
      const roll = rnd.next();
      if (roll < 0.4) p.cut();
      else if (roll < 0.5) p.reset();
      else p.restore();
      p.delayMs = rnd.next() < 0.3 ? rnd.int(5, 50) : 0;
      p.throttleBytesPerSec = rnd.next() < 0.2 ? rnd.int(16_000, 256_000) : null;
      if (!restarted && rnd.next() < 0.05) {
        restarted = true;
        await regions.b!.stop();
        await startRegion("b");
        register(regions.b!);
      }
      await new Promise((r) => setTimeout(r, rnd.int(50, 300)));
    }
  })();
  const summaries = await Promise.all(sites.map((s) => s.site.run()));
  chaos = false;
  await chaosLoop;
  if (!restarted) {
    await regions.b!.stop();
    await startRegion("b");
    register(regions.b!);
  }
  for (const p of proxies) {
    p.restore();
    p.delayMs = 0;
    p.throttleBytesPerSec = null;
  }
  expect(summaries.every((s) => s.sessions.completed > 0)).toBe(true);

  // Everything heals: every site's documents are identical at the site and in both regions.
  for (const { id, site } of sites) {
    await until(async () => {
      const urls = site.controller.site.documentUrls();
      for (const url of urls) {
        const local = JSON.stringify(
          A.getHeads((await site.controller.site.repo.find(url)).doc() as A.Doc<unknown>).sort(),
        );
        for (const r of [regions.a!, regions.b!]) {
          const h = await r.repo.find(url).catch(() => null);
          if (!h || JSON.stringify(A.getHeads(h.doc() as A.Doc<unknown>).sort()) !== local) return false;
        }
      }
      return true;
    }, 60_000);
    for (const r of [regions.a!, regions.b!])
      expect(r.syncState().find((s) => s.siteId === id)?.documentsBehind).toBe(0);
  }
  expect(proxies[0]!.bytes, "bytes over the cross-region link").toBeGreaterThan(0);
  for (const s of sites) await s.site.stop();
  for (const p of proxies) await p.close();
  await regions.a!.stop();
  await regions.b!.stop();
}, 180_000);

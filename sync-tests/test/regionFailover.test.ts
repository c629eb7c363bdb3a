import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import pino from "pino";
import * as A from "@automerge/automerge";
import type { AutomergeUrl } from "@automerge/automerge-repo";
import { generateKeyPair } from "@libp2p/crypto/keys";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import type { PrivateKey } from "@libp2p/interface";
import { systemClock } from "@chargemesh/shared-model";
import type { ConfigDocument } from "@chargemesh/shared-model";
import { createSyncNode } from "@chargemesh/automerge-network-libp2p";
import { CloudPeer } from "@chargemesh/cloud-peer";
import { SimulatedSite } from "@chargemesh/simulation";
import { until } from "../../testing/until.js";

const dir = mkdtempSync(join(tmpdir(), "cm-failover-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const portOf = (p: CloudPeer) =>
  Number(p.node.getMultiaddrs()[0]!.toString().split("/tcp/")[1]!.split("/")[0]);

test("a site fails over to the other region while its home region is down; the home region returns with nothing lost and goes on writing the same config", async () => {
  const keys: Record<"a" | "b", PrivateKey> = {
    a: await generateKeyPair("Ed25519"),
    b: await generateKeyPair("Ed25519"),
  };
  const ids = { a: peerIdFromPrivateKey(keys.a).toString(), b: peerIdFromPrivateKey(keys.b).toString() };
  const ports: Partial<Record<"a" | "b", number>> = {};
  const regions: Partial<Record<"a" | "b", CloudPeer>> = {};
  const addr = (r: "a" | "b") => `/ip4/127.0.0.1/tcp/${ports[r]}/p2p/${ids[r]}`;
  const startRegion = async (r: "a" | "b") => {
    const peer = await CloudPeer.start({
      dataDir: join(dir, `region-${r}`),
      privateKey: keys[r],
      listen: [`/ip4/127.0.0.1/tcp/${ports[r] ?? 0}`],
      clock: systemClock,
      acknowledgeEveryMs: 0,
      ...(r === "a" ? { peers: [addr("b")] } : {}),
    });
    ports[r] = portOf(peer);
    regions[r] = peer;
    return peer;
  };
  await startRegion("b");
  await startRegion("a");
  const node = await createSyncNode({ privateKey: await generateKeyPair("Ed25519") });
  const site = await SimulatedSite.create({
    siteId: "corridor-7",
    dataDir: join(dir, "site"),
    stalls: 3,
    vehicles: 12,
    seed: 7,
    offline: false,
    startMs: Date.UTC(2026, 5, 1, 8),
    windowMs: 4 * 3_600_000,
    log: pino({ level: "silent" }),
    // Home region a first, region b as the fallback.
    sync: { node, dial: [addr("a"), addr("b")] },
  });
  const register = (r: CloudPeer) => {
    r.registerSite("corridor-7", node.peerId.toString(), site.controller.site.root.url);
    r.registerCloudPeer("region-a", ids.a);
    r.registerCloudPeer("region-b", ids.b);
  };
  register(regions.a!);
  register(regions.b!);
  const siteUrls = () => site.controller.site.documentUrls();
  const sameAsSite = async (r: CloudPeer) => {
    for (const url of siteUrls()) {
      const mine = A.getHeads(site.controller.site.currentDoc(url)!).sort().join();
      const theirs = r.currentDoc(url);
      if (!theirs || A.getHeads(theirs).sort().join() !== mine) return false;
    }
    return true;
  };
  try {
    const configUrl = regions.a!.configs.publish(
      "corridor-7",
      (d) => void (d.offlinePolicy.unknownContractMaxSessionsPerDay = 3),
    ) as AutomergeUrl;
    await site.controller.attachConfig(configUrl);
    await site.advance(2 * 3_600_000);
    await until(
      "both regions hold the site's documents",
      async () => (await sameAsSite(regions.a!)) && (await sameAsSite(regions.b!)),
    );
    // The config written in region a reached region b over the cross-region link.
    await until(
      "the config reached region b",
      async () => (regions.b!.currentDoc(configUrl) as ConfigDocument | null)?.version === 1,
    );
    // The registry hands every region the site's config URL: region b shares and writes the same document.
    await regions.b!.configs.adopt("corridor-7", configUrl);
    // Home has only the site: the fallback region never had a link from it.
    expect(regions.b!.syncState()[0]!.connected).toBe(false);

    // Region a dies. The site goes on charging and fails over to region b, which gets every new record.
    await regions.a!.stop();
    const before = siteUrls().length;
    const summary = await site.run();
    expect(summary.sessions.completed).toBeGreaterThan(3);
    expect(siteUrls().length).toBeGreaterThan(before);
    await until("the site failed over to region b", async () => regions.b!.syncState()[0]!.connected);
    await until("region b holds what the site wrote while a was down", () => sameAsSite(regions.b!));

    // Region a returns from its own storage: it catches up, and keeps writing the config the site holds.
    register(await startRegion("a"));
    await until("region a caught up", () => sameAsSite(regions.a!), 45_000);
    expect(regions.a!.configs.urlOf("corridor-7")).toBe(configUrl);
    regions.a!.configs.publish(
      "corridor-7",
      (d) => void (d.offlinePolicy.unknownContractMaxSessionsPerDay = 4),
    );
    await until(
      "the new config version reached the site",
      async () => (site.controller.site.currentDoc(configUrl) as ConfigDocument | null)?.version === 2,
    );
    for (const r of [regions.a!, regions.b!]) expect(r.writeGuard.flaggedPeers()).toEqual([]);
  } finally {
    await site.stop();
    await node.stop();
    for (const r of Object.values(regions)) await r.stop().catch(() => undefined);
  }
}, 150_000);

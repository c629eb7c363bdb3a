import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import pino from "pino";
import * as A from "@automerge/automerge";
import type { AutomergeUrl } from "@automerge/automerge-repo";
import { generateKeyPair } from "@libp2p/crypto/keys";
import { systemClock } from "@chargemesh/shared-model";
import { createSyncNode } from "@chargemesh/automerge-network-libp2p";
import { CloudPeer } from "@chargemesh/cloud-peer";
import { SimulatedSite } from "@chargemesh/simulation";
import { readLedgerSegment } from "@chargemesh/shared-model";
import type { LedgerSegment } from "@chargemesh/shared-model";
import { verifyChains } from "@chargemesh/shared-model";
import { nobleEd25519 } from "@chargemesh/shared-model";

const dir = mkdtempSync(join(tmpdir(), "cm-cloud-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const until = async (cond: () => boolean | Promise<boolean>, ms: number) => {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error("condition not reached in time");
    await new Promise((r) => setTimeout(r, 100));
  }
};

test("a site's documents reach a registered cloud peer over libp2p; the cloud verifies the same signed ledger", async () => {
  const refused: string[] = [];
  const cloud = await CloudPeer.start({
    dataDir: join(dir, "cloud"),
    privateKey: await generateKeyPair("Ed25519"),
    listen: ["/ip4/127.0.0.1/tcp/0"],
    clock: systemClock,
    onRefused: (p) => refused.push(p),
  });
  const siteNode = await createSyncNode({ privateKey: await generateKeyPair("Ed25519") });
  const site = await SimulatedSite.create({
    siteId: "cloud-site",
    dataDir: join(dir, "site"),
    stalls: 4,
    vehicles: 16,
    seed: 3,
    offline: false,
    startMs: Date.UTC(2026, 5, 1, 6),
    windowMs: 6 * 3_600_000,
    log: pino({ level: "silent" }),
    sync: { node: siteNode, dial: [cloud.node.getMultiaddrs()[0]!.toString()] },
  });
  try {
    // Until the registry knows the site, the cloud refuses it after the handshake.
    await until(() => refused.includes(siteNode.peerId.toString()), 10_000);
    cloud.registerSite("cloud-site", siteNode.peerId.toString(), site.controller.site.root.url);
    const summary = await site.run();
    expect(summary.sessions.completed).toBeGreaterThan(5);
    await until(async () => {
      const s = cloud.syncState()[0]!;
      if (!s.connected) return false;
      await cloud.siteDocuments("cloud-site").catch(() => null);
      return cloud.syncState()[0]!.documentsBehind === 0;
    }, 30_000);
    const siteRepo = site.controller.site.repo;
    const { root, documents } = await cloud.siteDocuments("cloud-site");
    // Identical heads for the root and every indexed document.
    await until(async () => {
      for (const h of [root, ...documents]) {
        const mine = await siteRepo.find(h.url as AutomergeUrl);
        if (
          JSON.stringify(A.getHeads(mine.doc() as A.Doc<unknown>).sort()) !==
          JSON.stringify(A.getHeads(h.doc() as A.Doc<unknown>).sort())
        )
          return false;
      }
      return true;
    }, 30_000);
    const state = cloud.syncState()[0]!;
    expect(state).toMatchObject({ siteId: "cloud-site", connected: true, documentsBehind: 0 });
    expect(state.lastContactMs).not.toBeNull();
    // Normal operation writes nothing the receiver refuses.
    expect(cloud.writeGuard.flaggedPeers()).toEqual([]);
    // The cloud verifies the site's signed chains from its own copies, with the site's certificates.
    const records: Uint8Array[] = [];
    for (const url of Object.values(root.doc().segments)) {
      const seg = (await cloud.repo.find<LedgerSegment>(url as AutomergeUrl)).doc();
      for (const e of readLedgerSegment(seg)) records.push(...e.values);
    }
    const report = verifyChains(
      {
        certificates: Object.values(root.doc().meterCertificates).flat(),
        operatorKeys: new Map(Object.entries(root.doc().operatorKeys)),
        records,
      },
      nobleEd25519,
    );
    expect(report.findings).toEqual([]);
    expect(report.sessions.filter((s) => s.complete).reduce((a, s) => a + s.energyWh, 0)).toBe(
      summary.energyWh,
    );
    // Share policy: the site may receive its own documents, another site none of them, a stranger nothing.
    cloud.registerSite(
      "other-site",
      "12D3KooWOtherSiteOtherSiteOtherSiteOtherSite1",
      "automerge:4x4x4x4x4x4x4x4x4x4x4x4x4x4x4",
    );
    cloud.registerCloudPeer("region-b", "12D3KooWRegionBRegionBRegionBRegionBRegionB1");
    const docId = documents[0]!.documentId;
    expect(cloud.sharing.mayShare(siteNode.peerId.toString(), docId)).toBe(true);
    expect(cloud.sharing.mayShare("12D3KooWOtherSiteOtherSiteOtherSiteOtherSite1", docId)).toBe(false);
    expect(cloud.sharing.mayShare("12D3KooWRegionBRegionBRegionBRegionBRegionB1", docId)).toBe(true);
    expect(cloud.sharing.mayShare("12D3KooWStrangerStrangerStrangerStrangerStran", docId)).toBe(false);
  } finally {
    await site.stop();
    await siteNode.stop();
    await cloud.stop();
  }
}, 120_000);

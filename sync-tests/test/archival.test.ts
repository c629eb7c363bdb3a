import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import pino from "pino";
import * as A from "@automerge/automerge";
import type { AutomergeUrl } from "@automerge/automerge-repo";
import { generateKeyPair } from "@libp2p/crypto/keys";
import { createSyncNode } from "@chargemesh/automerge-network-libp2p";
import { CloudPeer } from "@chargemesh/cloud-peer";
import { SimulatedSite } from "@chargemesh/simulation";
import { exportStore } from "@chargemesh/edge-node";
import { nodeEd25519 } from "@chargemesh/node-ed25519";
import { readLedgerSegment } from "@chargemesh/shared-model";
import { indexedDocuments } from "@chargemesh/shared-model";
import type { LedgerSegment } from "@chargemesh/shared-model";
import { verifyChains } from "@chargemesh/shared-model";
import { verifyAuditBundle } from "@chargemesh/shared-model";

const dir = mkdtempSync(join(tmpdir(), "cm-archive-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const DAY_MS = 86_400_000;
const START = Date.UTC(2026, 5, 1, 6);
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("a site archives the days its cloud peer acknowledged: live documents stay few, nothing is lost, the ledger verifies across the archive", async () => {
  let siteRef: SimulatedSite | null = null;
  // The cloud runs on the site's (virtual) clock, so both agree on which days are closed.
  const cloud = await CloudPeer.start({
    dataDir: join(dir, "cloud"),
    privateKey: await generateKeyPair("Ed25519"),
    listen: ["/ip4/127.0.0.1/tcp/0"],
    clock: { now: () => siteRef?.clock.now() ?? START },
    acknowledgeEveryMs: 0,
  });
  const node = await createSyncNode({ privateKey: await generateKeyPair("Ed25519") });
  const site = await SimulatedSite.create({
    siteId: "arch-site",
    dataDir: join(dir, "site"),
    stalls: 3,
    vehicles: 40,
    seed: 21,
    offline: false,
    startMs: START,
    windowMs: 4 * DAY_MS,
    log: pino({ level: "silent" }),
    sync: { node, dial: [cloud.node.getMultiaddrs()[0]!.toString()] },
    // Every simulated hour the cloud acknowledges what it holds; a short pause lets sync keep up.
    onStep: async (now) => {
      if (now % 3_600_000 === 0) {
        await cloud.archival.acknowledge("arch-site");
        await pause(15);
      }
    },
  });
  siteRef = site;
  const siteRepo = site.controller.site;
  try {
    cloud.registerSite("arch-site", node.peerId.toString(), siteRepo.root.url);
    await site.controller.attachConfig(cloud.configs.urlOf("arch-site"));
    await site.run();
    // Two quiet days more: the last days close, are acknowledged and archived.
    for (let i = 0; i < 8; i++) {
      await pause(300);
      await cloud.archival.acknowledge("arch-site");
      await pause(300);
      await site.advance(6 * 3_600_000);
    }
    const root = siteRepo.root.doc();
    const archived = Object.entries(root.archived ?? {});
    const live = indexedDocuments(root);
    console.log(`archival: ${archived.length} documents archived, ${live.length} live`);
    // Live: today's and yesterday's documents and each meter's newest segment; everything older is archived.
    const cutoff = new Date(site.clock.now() - DAY_MS).toISOString().slice(0, 10);
    expect(Object.keys(root.journals).every((day) => day >= cutoff)).toBe(true);
    expect(archived.filter(([k]) => k.startsWith("journals/")).length).toBeGreaterThanOrEqual(4);
    expect(live.length).toBeLessThanOrEqual(2 * (1 + 3));
    // Archived documents left the site's repo and storage; their bytes are in the archive.
    for (const [, url] of archived) {
      expect(siteRepo.currentDoc(url)).toBeNull();
      expect(
        existsSync(join(dir, "site", "store", "archive", `${url.replace("automerge:", "")}.automerge`)),
      ).toBe(true);
    }
    await pause(500);
    for (const [, url] of archived)
      expect(siteRepo.currentDoc(url), "the cloud offered an archived document back").toBeNull();

    // Nothing lost: the cloud holds every document, live and archived, and the chains verify there;
    // the energy in its sessions equals what the site's meters delivered.
    const records: Uint8Array[] = [];
    for (const url of [
      ...Object.values(root.segments),
      ...archived.filter(([k]) => k.startsWith("segments/")).map(([, u]) => u),
    ]) {
      const seg = (await cloud.repo.find<LedgerSegment>(url as AutomergeUrl)).doc();
      for (const e of readLedgerSegment(seg)) records.push(...e.values);
    }
    const report = verifyChains(
      {
        certificates: Object.values(root.meterCertificates).flat(),
        operatorKeys: new Map(Object.entries(root.operatorKeys)),
        records,
      },
      nodeEd25519,
    );
    expect(report.findings).toEqual([]);
    const metered = site.stalls.reduce((sum, s) => sum + s.meter.registerWh(), 0);
    expect(report.sessions.filter((s) => s.complete).reduce((a, s) => a + s.energyWh, 0)).toBe(metered);
    expect(cloud.syncState()[0]!.documentsBehind).toBe(0);
    // The cloud dropped the acknowledgements of what the site archived.
    await cloud.archival.acknowledge("arch-site");
    const config = (
      await cloud.repo.find<{ acknowledged?: Record<string, string[]> }>(
        cloud.configs.urlOf("arch-site") as AutomergeUrl,
      )
    ).doc();
    for (const [, url] of archived)
      expect(config.acknowledged?.[url.replace("automerge:", "")]).toBeUndefined();
    // Identical heads for the live documents at site and cloud.
    for (const url of [siteRepo.root.url, ...live]) {
      const mine = A.getHeads(siteRepo.currentDoc(url)!).sort().join();
      expect(
        A.getHeads((await cloud.repo.find(url as AutomergeUrl)).doc() as A.Doc<unknown>)
          .sort()
          .join(),
      ).toBe(mine);
    }
  } finally {
    await site.stop();
    await node.stop();
  }

  // The site restarts from its store: the ledger goes on from the live segments, and the auditor's
  // export (live and archived days) verifies end to end.
  const again = await SimulatedSite.create({
    siteId: "arch-site",
    dataDir: join(dir, "site"),
    stalls: 3,
    vehicles: 0,
    seed: 21,
    offline: true,
    startMs: START,
    windowMs: DAY_MS,
    log: pino({ level: "silent" }),
  });
  await again.advance(3_600_000);
  await again.stop();
  const bundle = await exportStore(join(dir, "site", "store"), "arch-site");
  const audit = verifyAuditBundle(bundle, nodeEd25519);
  expect(audit.findings.filter((f) => f.code !== "duplicate_record")).toEqual([]);
  expect(audit.ok).toBe(true);
  await cloud.stop();
}, 400_000);

import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import pino from "pino";
import * as A from "@automerge/automerge";
import type { AutomergeUrl } from "@automerge/automerge-repo";
import { generateKeyPair } from "@libp2p/crypto/keys";
import { createSyncNode } from "@chargemesh/automerge-network-libp2p";
import { SqliteStorageAdapter } from "@chargemesh/automerge-storage-sqlite";
import { CloudPeer } from "@chargemesh/cloud-peer";
import { SimulatedSite } from "@chargemesh/simulation";
import { checkRepairCopy, exportStore, siteLocalApiDeps, startLocalApi } from "@chargemesh/edge-node";
import { nodeEd25519 } from "@chargemesh/node-ed25519";
import { readLedgerSegment, verifyAuditBundle, verifyChains, writerActorId } from "@chargemesh/shared-model";
import type { LedgerSegment } from "@chargemesh/shared-model";
import type { SiteRoot } from "@chargemesh/edge-node";
import type { AlarmsResponse } from "@chargemesh/shared-model/contracts";
import { until } from "../../testing/until.js";

const dir = mkdtempSync(join(tmpdir(), "cm-integrity-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const DAY_MS = 86_400_000;
const START = Date.UTC(2026, 5, 1, 6);
const SITE = "repair-site";
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const bare = (u: string) => u.replace("automerge:", "");
const store = join(dir, "site", "store");

/** Every record of the site's segments (live and archived) as `cloud` holds them, and what the chains say. */
async function cloudLedger(cloud: CloudPeer, root: SiteRoot) {
  const records: Uint8Array[] = [];
  for (const url of [
    ...Object.values(root.segments),
    ...Object.entries(root.archived ?? {})
      .filter(([k]) => k.startsWith("segments/"))
      .map(([, u]) => u),
  ]) {
    const seg = (await cloud.repo.find<LedgerSegment>(url as AutomergeUrl)).doc();
    for (const e of readLedgerSegment(seg)) records.push(...e.values);
  }
  return verifyChains(
    {
      certificates: Object.values(root.meterCertificates).flat(),
      operatorKeys: new Map(Object.entries(root.operatorKeys)),
      records,
    },
    nodeEd25519,
  );
}

/** Flips one byte in the middle of `needle`'s only occurrence in `file`; fails when it is not found exactly once. */
function flipByteOf(file: string, needle: Uint8Array): void {
  const bytes = readFileSync(file);
  const at = bytes.indexOf(Buffer.from(needle));
  expect(at, `chunk bytes found in ${file}`).toBeGreaterThanOrEqual(0);
  expect(bytes.indexOf(Buffer.from(needle), at + 1)).toBe(-1);
  bytes[at + (needle.length >> 1)]! ^= 0x10;
  writeFileSync(file, bytes);
}

const segmentRecords = (doc: unknown) => Object.keys((doc as LedgerSegment).records ?? {}).length;

test("a flipped byte in one stored document and in one archive file: the site starts, names both, raises the alarms, repairs both from the cloud's verified copies; chains verify and energy is unchanged", async () => {
  const t0 = Date.now();
  const mark = (what: string) => console.log(`integrityRepair: ${what} at ${Date.now() - t0} ms`);
  let siteRef: SimulatedSite | null = null;
  const cloud = await CloudPeer.start({
    dataDir: join(dir, "cloud"),
    privateKey: await generateKeyPair("Ed25519"),
    listen: ["/ip4/127.0.0.1/tcp/0"],
    clock: { now: () => siteRef?.clock.now() ?? START },
    acknowledgeEveryMs: 0,
  });
  const dial = [cloud.node.getMultiaddrs()[0]!.toString()];
  const siteKey = await generateKeyPair("Ed25519");
  const node = await createSyncNode({ privateKey: siteKey });
  const site = await SimulatedSite.create({
    siteId: SITE,
    dataDir: join(dir, "site"),
    stalls: 3,
    vehicles: 16,
    seed: 33,
    offline: false,
    startMs: START,
    windowMs: DAY_MS,
    log: pino({ level: "silent" }),
    sync: { node, dial },
    onStep: async (now) => {
      if (now % 3_600_000 === 0) {
        await cloud.archival.acknowledge(SITE);
        await pause(15);
      }
    },
  });
  siteRef = site;
  cloud.registerSite(SITE, node.peerId.toString(), site.controller.site.root.url);
  await site.controller.attachConfig(cloud.configs.urlOf(SITE));
  await site.run();
  mark("simulated days run");
  // Quiet hours until the first day is closed, acknowledged and archived.
  const archivedSegmentCount = () =>
    Object.keys(site.controller.site.root.doc().archived ?? {}).filter((k) => k.startsWith("segments/"))
      .length;
  for (let i = 0; i < 8 && (i < 2 || archivedSegmentCount() === 0); i++) {
    await pause(200);
    await cloud.archival.acknowledge(SITE);
    await pause(200);
    await site.advance(6 * 3_600_000);
  }
  const repo = site.controller.site;
  const live = () => [
    repo.root.url,
    ...Object.values(repo.root.doc().segments),
    ...Object.values(repo.root.doc().journals),
  ];
  const sameAtCloud = async () => {
    for (const url of live()) {
      const mine = repo.currentDoc(url);
      const theirs = cloud.currentDoc(url);
      if (!mine || !theirs || A.getHeads(mine).sort().join() !== A.getHeads(theirs).sort().join())
        return false;
    }
    return cloud.syncState()[0]!.documentsBehind === 0;
  };
  await until("the cloud holds every live document at the site's heads", sameAtCloud, 60_000);
  mark(
    `cloud in sync: ${Object.keys(repo.root.doc().archived ?? {}).length} documents archived, ${Object.keys(repo.root.doc().segments).length} live segments`,
  );
  const root = repo.root.doc();
  const before = await cloudLedger(cloud, root);
  expect(before.findings.filter((f) => f.code !== "duplicate_record")).toEqual([]);
  const energyBefore = before.sessions.filter((s) => s.complete).reduce((a, s) => a + s.energyWh, 0);
  expect(energyBefore).toBeGreaterThan(0);
  const metered = site.stalls.reduce((sum, s) => sum + s.meter.registerWh(), 0);
  expect(energyBefore).toBe(metered);

  // The two victims: the live ledger segment with the most records, and the archived one with the most.
  const liveSegments = Object.entries(root.segments).map(([k, u]) => ({ key: `segments/${k}`, url: u }));
  const victim = liveSegments.sort(
    (a, b) => segmentRecords(repo.currentDoc(b.url)) - segmentRecords(repo.currentDoc(a.url)),
  )[0]!;
  expect(segmentRecords(repo.currentDoc(victim.url))).toBeGreaterThan(0);
  const archivedSegments = Object.entries(root.archived ?? {})
    .filter(([k]) => k.startsWith("segments/"))
    .map(([key, url]) => ({ key, url, records: segmentRecords(repo.archivedDocument(url)) }))
    .sort((a, b) => b.records - a.records);
  const archivedVictim = archivedSegments[0]!;
  expect(archivedVictim.records).toBeGreaterThan(0);
  const stoppedAtMs = site.clock.now();
  await site.stop();
  await node.stop();
  mark("site stopped");

  // While the site is stopped: one byte of one stored chunk of the live segment, one byte of the archive file.
  const sqlite = join(store, "site.sqlite");
  const peek = new SqliteStorageAdapter(sqlite);
  const chunks = await peek.loadRange([bare(victim.url)]);
  peek.close();
  const chunk = chunks
    .filter((c) => c.key[1] !== "sync-state")
    .sort((a, b) => b.data!.length - a.data!.length)[0]!;
  const mid = chunk.data!.length >> 1;
  flipByteOf(sqlite, chunk.data!.slice(mid - 24, mid + 24));
  const archiveFile = join(store, "archive", `${bare(archivedVictim.url)}.automerge`);
  expect(existsSync(`${archiveFile}.sha256.json`), "archive files carry a checksum sidecar").toBe(true);
  const archived = readFileSync(archiveFile);
  archived[archived.length >> 1]! ^= 0x01;
  writeFileSync(archiveFile, archived);

  // Restart, connected to the cloud (same libp2p identity, so the cloud admits it).
  const logged: { msg: string; document?: string; file?: string }[] = [];
  const log = pino(
    { level: "info" },
    {
      write: (line: string) =>
        void logged.push(JSON.parse(line) as { msg: string; document?: string; file?: string }),
    },
  );
  const node2 = await createSyncNode({ privateKey: siteKey });
  const again = await SimulatedSite.create({
    siteId: SITE,
    dataDir: join(dir, "site"),
    stalls: 3,
    vehicles: 0,
    seed: 33,
    offline: false,
    startMs: stoppedAtMs,
    windowMs: DAY_MS,
    log,
    sync: { node: node2, dial },
  });
  siteRef = again;
  mark("site restarted");
  const api = await startLocalApi(
    siteLocalApiDeps(again.controller, {
      clock: again.clock,
      power: again.power,
      hardware: again.config.stalls.map((c, i) => ({
        config: c,
        meter: again.stalls[i]!.meter,
        stage: again.stalls[i]!.stage,
        link: again.stalls[i]!.link,
      })),
      kioskDir: null,
    }),
    "127.0.0.1",
    0,
  );
  try {
    const integrity = again.controller.integrity;
    // It started and names both: document, file and what is wrong.
    const found = integrity.all();
    expect(found.map((d) => [d.where, d.key]).sort()).toEqual(
      [
        ["archive", archivedVictim.key],
        ["store", victim.key],
      ].sort(),
    );
    const storeDamage = found.find((d) => d.where === "store")!;
    expect(storeDamage.documentId).toBe(victim.url);
    expect(storeDamage.file).toBe(sqlite);
    expect(storeDamage.reason).toContain(`chunk ${bare(victim.url)}/${chunk.key[1]}/`);
    const archiveDamage = found.find((d) => d.where === "archive")!;
    expect(archiveDamage.file).toBe(archiveFile);
    expect(archiveDamage.reason).toMatch(/SHA-256/);
    for (const d of [victim.url, archivedVictim.url])
      expect(
        logged.some((l) => l.document === d && /damaged/.test(l.msg)),
        `log names ${d}`,
      ).toBe(true);
    // Damaged bytes are set aside, not deleted.
    const kept = new SqliteStorageAdapter(sqlite);
    expect(kept.quarantined([bare(victim.url)]).length).toBeGreaterThan(0);
    kept.close();
    expect(
      readdirSync(join(store, "archive", "quarantine")).some((f) => f.startsWith(bare(archivedVictim.url))),
    ).toBe(true);

    // The alarms and the metric, before the repair.
    const alarms = async () =>
      ((await (await fetch(`${api.url}/api/alarms`)).json()) as AlarmsResponse).alarms.filter(
        (a) => a.kind === "damaged_document",
      );
    const raised = await alarms();
    expect(raised.map((a) => a.id).sort()).toEqual(
      [`damaged_document:${victim.url}`, `damaged_document:${archivedVictim.url}`].sort(),
    );
    expect(raised.find((a) => a.id.endsWith(victim.url))!.detail).toContain(sqlite);
    expect(raised.find((a) => a.id.endsWith(archivedVictim.url))!.detail).toContain(archiveFile);
    expect(raised.every((a) => a.action.length > 0 && a.severity === "critical")).toBe(true);
    const metric = async (name: string) =>
      (await again.controller.metrics.registry.getSingleMetricAsString(name)).split("\n");
    const sample = (lines: string[], ...labels: string[]) =>
      lines
        .find((l) => !l.startsWith("#") && labels.every((x) => l.includes(x)))
        ?.split(" ")
        .at(-1);
    expect(sample(await metric("chargemesh_site_damaged_documents"), 'where="store"')).toBe("1");
    expect(sample(await metric("chargemesh_site_damaged_documents"), 'where="archive"')).toBe("1");

    // The site asks the cloud, checks the copies and takes them back; the alarms clear.
    const diagnose = async () =>
      JSON.stringify({
        pending: integrity.pending().map((d) => [d.key, d.lastAttempt]),
        counts: again.controller.repairer!.counts,
        cloud: (await cloud.guardMetrics.getSingleMetricAsString("chargemesh_cloud_repair_requests_total"))
          .split("\n")
          .filter((l) => !l.startsWith("#")),
        peers: again.controller.site.repo.peers,
      });
    await until(
      "both damaged documents repaired from the cloud",
      async () => {
        await again.advance(60_000);
        return integrity.pending().length === 0;
      },
      90_000,
      100,
    ).catch(async (e) => {
      throw new Error(`${(e as Error).message}: ${await diagnose()}`);
    });
    mark("repaired");
    expect(again.controller.repairer!.counts.accepted).toBe(2);
    expect(again.controller.repairer!.counts.refused).toBe(0);
    expect(await alarms()).toEqual([]);
    const events = await metric("chargemesh_site_integrity_events_total");
    for (const where of ["store", "archive"]) {
      expect(sample(events, 'event="damaged"', `where="${where}"`)).toBe("1");
      expect(sample(events, 'event="repaired"', `where="${where}"`)).toBe("1");
    }
    expect(sample(await metric("chargemesh_site_damaged_documents"), 'where="store"')).toBe("0");
    // The repaired documents are the cloud's copies, at the site's former heads.
    const repaired = again.controller.site.currentDoc(victim.url)!;
    expect(A.getHeads(repaired).sort()).toEqual(A.getHeads(cloud.currentDoc(victim.url)!).sort());
    expect(segmentRecords(repaired)).toBe(segmentRecords(cloud.currentDoc(victim.url)));
    expect(segmentRecords(again.controller.site.archivedDocument(archivedVictim.url))).toBe(
      archivedVictim.records,
    );
    expect(again.controller.checkArchive()).toEqual([]);

    // The same check refuses a copy whose records do not verify: one signed record altered by a
    // writer carrying the site's own tag (the write guard would not notice; the chain does).
    const forged = A.change(
      A.clone(cloud.currentDoc(victim.url) as A.Doc<LedgerSegment>, {
        actor: writerActorId({ side: "site", siteId: SITE }, (n) => new Uint8Array(n).fill(9)),
      }),
      (d) => {
        const key = Object.keys(d.records)[0]!;
        const bytes = new Uint8Array(d.records[key] as Uint8Array);
        bytes[bytes.length - 1]! ^= 0x01;
        d.records[key] = bytes;
      },
    );
    const rootNow = again.controller.site.root.doc();
    const verdict = checkRepairCopy({ ...storeDamage, state: "damaged", lastAttempt: null }, A.save(forged), {
      siteId: SITE,
      writer: again.controller.site.writer,
      otherRecords: (m) => [...again.controller.ledgerStore.records(m as never)],
      certificates: (m) => rootNow.meterCertificates[m] ?? [],
      operatorKeys: new Map(Object.entries(rootNow.operatorKeys)),
      ed: nodeEd25519,
    });
    expect(verdict.ok ? "accepted" : verdict.why).toMatch(/chain does not verify|equivocation|bad_signature/);
  } finally {
    await api.close();
    await again.stop();
    await node2.stop();
  }

  // Afterwards: the store's own export (live and archived days) verifies, and the energy is what it was.
  const bundle = await exportStore(store, SITE);
  const audit = verifyAuditBundle(bundle, nodeEd25519);
  expect(audit.findings.filter((f) => f.code !== "duplicate_record")).toEqual([]);
  expect(audit.ok).toBe(true);
  const energyAfter = audit.sessions.filter((s) => s.complete).reduce((a, s) => a + s.energyWh, 0);
  expect(energyAfter).toBe(energyBefore);
  await cloud.stop();
}, 480_000);

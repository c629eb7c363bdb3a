import {
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import * as A from "@automerge/automerge";
import { SqliteStorageAdapter } from "@chargemesh/automerge-storage-sqlite";
import { VirtualClock, siteId, writerActorId } from "@chargemesh/shared-model";
import { SiteRepo } from "../../src/store/siteRepo.js";
import { StoreIntegrity } from "../../src/store/storeIntegrity.js";
import { checkRepairCopy } from "../../src/store/repairCopyCheck.js";
import type { CopyCheckContext } from "../../src/store/repairCopyCheck.js";
import { nodeEd25519 } from "@chargemesh/node-ed25519";

const root = mkdtempSync(join(tmpdir(), "cm-integrity-unit-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const SITE = siteId("unit-site");
const DAY = "2026-06-01";

type Journal = {
  schemaVersion: number;
  siteId: string;
  day: string;
  sessions: Record<string, { n: number }>;
  technicianActions: unknown[];
};

/** A store with one day journal written in several saves (several chunks). */
async function storeWithJournal(dir: string): Promise<{ url: string; bytes: Uint8Array }> {
  const site = await SiteRepo.open(SITE, dir);
  const h = await site.findOrCreate<Journal>("journals", DAY, () => ({
    schemaVersion: 1,
    siteId: SITE,
    day: DAY,
    sessions: {},
    technicianActions: [],
  }));
  for (let i = 0; i < 5; i++) {
    h.change((d) => void (d.sessions[`s${i}`] = { n: i }));
    await site.flush([h.documentId]);
  }
  const bytes = A.save(h.doc());
  await site.close();
  return { url: h.url, bytes };
}

/** Flips one byte in the middle of the largest stored chunk of `documentId` (as a damaged disk would). */
async function damageChunk(dir: string, url: string): Promise<string> {
  const s = new SqliteStorageAdapter(join(dir, "site.sqlite"));
  const chunks = (await s.loadRange([url.replace("automerge:", "")])).filter(
    (c) => c.key[1] !== "sync-state",
  );
  const c = chunks.sort((a, b) => b.data!.length - a.data!.length)[0]!;
  const bad = new Uint8Array(c.data!);
  bad[bad.length >> 1]! ^= 0x04;
  await s.save(c.key, bad);
  s.close();
  return c.key.join("/");
}

describe("damaged stored documents", () => {
  test("a damaged chunk is named with its document and file, set aside, kept out of the repo, and a copy restores it", async () => {
    const dir = join(root, "store");
    const { url, bytes } = await storeWithJournal(dir);
    const chunkKey = await damageChunk(dir, url);
    const clock = new VirtualClock(Date.UTC(2026, 5, 2));
    const integrity = new StoreIntegrity(clock);
    const site = await SiteRepo.open(SITE, dir, [], undefined, { integrity, clock });
    const [d] = integrity.pending();
    expect(d).toMatchObject({
      documentId: url,
      key: `journals/${DAY}`,
      where: "store",
      file: join(dir, "site.sqlite"),
    });
    expect(d!.reason).toContain(chunkKey);
    expect(d!.reason).toMatch(/checksum/);
    expect(site.isUnderRepair(url)).toBe(true);
    expect(site.currentDoc(url)).toBeNull();
    await expect(site.findOrCreate("journals", DAY, () => ({}))).rejects.toMatchObject({
      code: "unavailable",
    });
    // Nothing deleted: the chunks are in the quarantine table.
    const s = new SqliteStorageAdapter(join(dir, "site.sqlite"));
    expect(s.quarantined([url.replace("automerge:", "")]).length).toBeGreaterThan(0);
    s.close();
    // What the readable chunks still hold is kept for the copy check.
    const held = d!.held ? A.load<Journal>(d!.held) : null;
    expect(Object.keys(held?.sessions ?? {}).length).toBeLessThan(5);
    await site.close();

    // A restart finds it again from the quarantine (the store is not read as an empty document).
    const again = new StoreIntegrity(clock);
    const site2 = await SiteRepo.open(SITE, dir, [], undefined, { integrity: again, clock });
    expect(again.pending().map((x) => x.documentId)).toEqual([url]);
    expect(again.pending()[0]!.reason).toMatch(/quarantined earlier/);
    // The copy (here the bytes as the site wrote them) goes back in; the next start finds nothing.
    const full = A.load<Journal>(bytes);
    const restored = await site2.restoreDocument(url, full);
    again.repaired(url);
    expect(restored.doc().day).toBe(DAY);
    expect(site2.isUnderRepair(url)).toBe(false);
    await site2.close();
    const third = new StoreIntegrity(clock);
    const site3 = await SiteRepo.open(SITE, dir, [], undefined, { integrity: third, clock });
    expect(third.pending()).toEqual([]);
    expect(site3.currentDoc(url)).toBeNull();
    await site3.close();
  });
});

describe("cloud-written documents", () => {
  test("a damaged document the root does not index (the cloud's config) is set aside at open and reported for refetching by sync, not held off", async () => {
    const dir = join(root, "config");
    const site = await SiteRepo.open(SITE, dir);
    const h = site.repo.create<{ version: number }>({ version: 1 });
    for (let i = 2; i < 5; i++) {
      h.change((d) => void (d.version = i));
      await site.flush([h.documentId]);
    }
    await site.close();
    await damageChunk(dir, h.url);
    const clock = new VirtualClock(Date.UTC(2026, 5, 2));
    const integrity = new StoreIntegrity(clock);
    const again = await SiteRepo.open(SITE, dir, [], undefined, { integrity, clock });
    const [d] = integrity.pending();
    expect(d).toMatchObject({
      documentId: h.url,
      key: `cloud/${h.documentId}`,
      refetch: true,
      file: join(dir, "site.sqlite"),
    });
    expect(again.isUnderRepair(h.url)).toBe(false);
    integrity.repaired(h.url);
    expect(integrity.pending()).toHaveLength(0);
    await again.close();
  });
});

describe("archive checksums", () => {
  test("archive files carry a SHA-256 sidecar; a damaged one is quarantined and reported with its heads; a restored copy passes again; a file without sidecar gets one", async () => {
    const dir = join(root, "archive");
    const { url } = await storeWithJournal(dir);
    const clock = new VirtualClock(Date.UTC(2026, 5, 3));
    const integrity = new StoreIntegrity(clock);
    let site = await SiteRepo.open(SITE, dir, [], undefined, { integrity, clock });
    await site.archive(`journals/${DAY}`);
    const file = join(dir, "archive", `${url.replace("automerge:", "")}.automerge`);
    const sidecar = JSON.parse(readFileSync(`${file}.sha256.json`, "utf8")) as {
      sha256: string;
      heads: string[];
    };
    expect(sidecar.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(site.checkArchive()).toEqual([]);
    const original = site.archivedDocument<Journal>(url);

    const bytes = readFileSync(file);
    bytes[10]! ^= 0x80;
    writeFileSync(file, bytes);
    const [d] = site.checkArchive();
    expect(d).toMatchObject({ documentId: url, where: "archive", file, key: `journals/${DAY}` });
    expect(d!.reason).toMatch(/SHA-256/);
    expect(d!.heads).toEqual(sidecar.heads);
    expect(existsSync(file)).toBe(false);
    expect(readdirSync(join(dir, "archive", "quarantine")).length).toBeGreaterThan(0);
    // Checked again (schedule): still one entry, not a second.
    expect(site.checkArchive()).toEqual([]);
    expect(integrity.pending().length).toBe(1);

    site.restoreArchive(url, original);
    integrity.repaired(url);
    expect(site.checkArchive()).toEqual([]);
    expect(Object.keys(site.archivedDocument<Journal>(url).sessions)).toHaveLength(5);

    // An archive written before checksums: the check adds its sidecar.
    unlinkSync(`${file}.sha256.json`);
    expect(site.checkArchive()).toEqual([]);
    expect(existsSync(`${file}.sha256.json`)).toBe(true);
    await site.close();
    site = await SiteRepo.open(SITE, dir, [], undefined, { integrity: new StoreIntegrity(clock), clock });
    expect(site.checkArchive()).toEqual([]);
    await site.close();
  });
});

describe("checkRepairCopy", () => {
  const writer = { side: "site", siteId: SITE } as const;
  const ctx: CopyCheckContext = {
    siteId: SITE,
    writer,
    otherRecords: () => [],
    certificates: () => [],
    operatorKeys: new Map(),
    ed: nodeEd25519,
  };
  const journal = (actor: string) =>
    A.from<Journal>(
      { schemaVersion: 1, siteId: SITE, day: DAY, sessions: { a: { n: 1 } }, technicianActions: [] },
      { actor },
    );
  const bytes8 = (n: number) => new Uint8Array(n).fill(7);
  const mine = journal(writerActorId(writer, bytes8));
  let n = 0;
  /** A later change by the site (a fresh actor of its own, as after a restart). */
  const edit = (doc: A.Doc<Journal>, fn: (d: Journal) => void) =>
    A.change(A.clone(doc, { actor: writerActorId(writer, (k) => new Uint8Array(k).fill(++n)) }), fn);
  const entry = (held: Uint8Array | null) => ({
    documentId: "automerge:x",
    key: `journals/${DAY}`,
    where: "store" as const,
    file: "f",
    reason: "r",
    sinceMs: 0,
    held,
    heads: null,
    quarantinedAt: "q",
    state: "damaged" as const,
    lastAttempt: null,
  });

  test("accepts the site's own copy that contains what the site still holds", () => {
    expect(
      checkRepairCopy(entry(A.save(mine)), A.save(edit(mine, (d) => void (d.sessions.b = { n: 2 }))), ctx).ok,
    ).toBe(true);
  });

  test("refuses garbage, another writer's changes, a copy missing what the site holds, and another day's journal", () => {
    const refused = (e: ReturnType<typeof entry>, b: Uint8Array) => {
      const r = checkRepairCopy(e, b, ctx);
      return r.ok ? "accepted" : r.why;
    };
    expect(refused(entry(null), new Uint8Array([1, 2, 3]))).toMatch(/does not load/);
    const foreign = journal(writerActorId({ side: "cloud", peerId: "p" }, bytes8));
    expect(refused(entry(null), A.save(foreign))).toMatch(/not written by this site/);
    const ahead = edit(mine, (d) => void (d.sessions.c = { n: 3 }));
    expect(refused(entry(A.save(ahead)), A.save(mine))).toMatch(/lacks changes/);
    const otherDay = edit(mine, (d) => void (d.day = "2026-06-02"));
    expect(refused(entry(null), A.save(otherDay))).toMatch(/not the day journal/);
  });
});

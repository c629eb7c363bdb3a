import { describe, expect, test } from "vitest";
import * as A from "@automerge/automerge";
import { SeededRandom } from "../../src/clock.js";
import { messageCarryingChanges } from "../../../testing/syncMessages.js";
import {
  WriterDirectory,
  checkSyncMessage,
  mayWrite,
  ownerView,
  writerActorId,
  writerTag,
} from "../../src/documents/documentWriters.js";
import type { Writer } from "../../src/documents/documentWriters.js";

const rnd = new SeededRandom(3);
const site1: Writer = { side: "site", siteId: "site-1" };
const site2: Writer = { side: "site", siteId: "site-2" };
const cloudA: Writer = { side: "cloud", peerId: "12D3KooWRegionA" };
const directory = new WriterDirectory();
for (const w of [site1, site2, cloudA]) directory.register(w);
const actor = (w: Writer) => writerActorId(w, (n) => rnd.bytes(n));

interface Journal {
  sessions: Record<string, { state: string }>;
  note?: string;
}

/** A journal the way SiteRepo makes one: an ops-less creation change by a random actor, then the site's writes. */
function siteJournal(): A.Doc<Journal> {
  let d = A.clone(A.emptyChange(A.init<Journal>()), { actor: actor(site1) });
  d = A.change(d, (x) => {
    x.sessions = { s1: { state: "charging" } };
  });
  return d;
}

describe("document writers", () => {
  test("tags are deterministic, differ by writer, and actor IDs carry them", () => {
    expect(writerTag(site1)).toBe(writerTag({ side: "site", siteId: "site-1" }));
    expect(new Set([site1, site2, cloudA].map(writerTag)).size).toBe(3);
    const a = actor(site1);
    expect(a).toHaveLength(32);
    expect(a.startsWith(writerTag(site1))).toBe(true);
    expect(directory.writerOf(a)).toEqual(site1);
    expect(directory.writerOf("00".repeat(16))).toBeNull();
    expect(mayWrite({ side: "site", siteId: "site-1" }, site2)).toBe(false);
    expect(mayWrite({ side: "cloud" }, cloudA)).toBe(true);
    expect(mayWrite({ side: "cloud" }, site1)).toBe(false);
  });

  test("the owner's view leaves out a cloud change to a site journal and what the site built on it", () => {
    const base = siteJournal();
    // The cloud writes into the site's journal (it never may), the site later writes on top of it.
    const atCloud = A.change(A.clone(base, { actor: actor(cloudA) }), (x) => {
      x.sessions.s1!.state = "completed";
      x.note = "written by the cloud";
    });
    let atSite = A.merge(A.clone(base, { actor: actor(site1) }), atCloud);
    atSite = A.change(atSite, (x) => {
      x.sessions.s2 = { state: "authorizing" };
    });
    const owner = { side: "site", siteId: "site-1" } as const;
    const v = ownerView(atSite, owner, directory);
    expect(v.foreign.map((f) => [f.writer, f.tainted])).toEqual([
      [cloudA, false],
      [site1, true],
    ]);
    expect(A.toJS(v.doc)).toEqual(A.toJS(base));
    // A clean document is returned as it is.
    expect(ownerView(base, owner, directory)).toEqual({ doc: base, foreign: [] });
  });

  test("another site's change and an unregistered writer's change are both foreign", () => {
    const base = siteJournal();
    const bySite2 = A.change(
      A.clone(base, { actor: actor(site2) }),
      (x) => void (x.note = "site-2 was here"),
    );
    const byStranger = A.change(A.clone(base, { actor: "ab".repeat(16) }), (x) => void (x.note = "stranger"));
    const merged = A.merge(A.merge(A.clone(base), bySite2), byStranger);
    const v = ownerView(merged, { side: "site", siteId: "site-1" }, directory);
    expect(v.foreign.map((f) => f.writer)).toEqual(expect.arrayContaining([site2, null]));
    expect(A.toJS(v.doc).note).toBeUndefined();
  });

  test("every peer derives the same owner view whatever order the changes arrived in", () => {
    const base = siteJournal();
    const s = A.change(
      A.clone(base, { actor: actor(site1) }),
      (x) => void (x.sessions.s3 = { state: "charging" }),
    );
    const c = A.change(A.clone(base, { actor: actor(cloudA) }), (x) => void (x.note = "cloud"));
    const one = A.merge(A.merge(A.init<Journal>(), s), c);
    const two = A.merge(A.merge(A.init<Journal>(), c), s);
    const owner = { side: "site", siteId: "site-1" } as const;
    expect(A.getHeads(ownerView(one, owner, directory).doc)).toEqual(
      A.getHeads(ownerView(two, owner, directory).doc),
    );
    expect(A.toJS(ownerView(one, owner, directory).doc)).toEqual(A.toJS(s));
  });

  test("an incoming sync message is checked change by change; garbage is refused, never thrown", () => {
    const base = siteJournal();
    const byCloud = A.change(A.clone(base, { actor: actor(cloudA) }), (x) => void (x.note = "cloud"));
    const siteRule = (w: Writer) => mayWrite({ side: "site", siteId: "site-1" }, w);
    const [, fromSite] = A.generateSyncMessage(base, A.initSyncState());
    // The first message only advertises heads; a reply to an empty peer carries the changes.
    const carrying = (doc: A.Doc<Journal>) => messageCarryingChanges(doc, A.init<Journal>());
    expect(checkSyncMessage(fromSite!, siteRule, directory)).toEqual({ ok: true });
    expect(checkSyncMessage(carrying(base), siteRule, directory)).toEqual({ ok: true });
    const refused = checkSyncMessage(carrying(byCloud), siteRule, directory);
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.reason).toMatch(/cloud peer 12D3KooWRegionA, who may not write/);
    const garbage = checkSyncMessage(new Uint8Array([0x42, 1, 2, 3]), siteRule, directory);
    expect(garbage.ok).toBe(false);
    if (!garbage.ok) expect(garbage.reason).toMatch(/malformed/);
  });
});

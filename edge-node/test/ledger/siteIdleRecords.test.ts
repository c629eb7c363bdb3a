import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import pino from "pino";
import {
  IDLE_RECORD_INTERVAL_MS,
  SITE_MAX_RECORD_GAP_MS,
  SeededRandom,
  VirtualClock,
  chainHeads,
  contractId,
  decodeSignedRecord,
  meterId,
  verifyAuditBundle,
} from "@chargemesh/shared-model";
import type { MeterRecordBody, StallId, TrustAnchors } from "@chargemesh/shared-model";
import { nodeEd25519 } from "@chargemesh/node-ed25519";
import type { Authorizer } from "../../src/auth/authorizer.js";
import { parseSiteConfig } from "../../src/config/siteConfig.js";
import { SiteController } from "../../src/siteController.js";
import type { PowerCoordinator, StallHardware } from "../../src/session/sessionOrchestrator.js";
import { localOperatorCertifier } from "../../src/audit/meterProvisioning.js";
import { buildAuditBundle } from "../../src/audit/exportBundle.js";
import { FakeStall } from "../session/fakeStall.js";
import { TestSecureElement } from "../session/testSecureElement.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const accept: Authorizer = {
  authorize: async () => ({
    accepted: true,
    reason: "Accepted",
    contractId: contractId("DE-ABC-C12345678-9"),
    caps: {},
    mode: "online",
  }),
};

function fullPower(hw: readonly StallHardware[]): PowerCoordinator {
  const charging = new Set<StallId>();
  return {
    stallCharging: (id, on) => void (on ? charging.add(id) : charging.delete(id)),
    replan: async () => {
      for (const h of hw) await h.stage.setLimit(charging.has(h.config.id) ? h.config.maxW : 0);
    },
  };
}

const TICK_MS = 5_000;

async function idleSite(clock: VirtualClock, stalls: FakeStall[]) {
  const dataDir = mkdtempSync(join(tmpdir(), "cm-idle-"));
  dirs.push(dataDir);
  const config = parseSiteConfig({
    siteId: "site-idle",
    dataDir,
    gridLimitW: 100_000,
    tickIntervalMs: TICK_MS,
    stalls: stalls.map((s, i) => ({ id: `s${i + 1}`, meterId: s.meterId, maxW: 11_000 })),
  });
  return SiteController.start({
    config,
    clock,
    random: new SeededRandom(3),
    hardware: stalls.map((s, i) => ({
      config: config.stalls[i]!,
      meter: s.meter,
      stage: s.stage,
      link: s.link,
    })),
    authorizer: accept,
    secureElement: new TestSecureElement(),
    power: fullPower,
    certifyMeter: localOperatorCertifier("op-idle", new Uint8Array(32).fill(4), nodeEd25519, clock),
    log: pino({ level: "silent" }),
  });
}

/** Drives the site on its virtual clock as the daemon does, one tick per tick interval. */
async function run(site: SiteController, clock: VirtualClock, ms: number) {
  for (let t = 0; t < ms; t += TICK_MS) {
    clock.advance(TICK_MS);
    await site.tick();
  }
}

function chain(site: SiteController, meter: string): MeterRecordBody[] {
  return [...site.ledgerStore.records(meterId(meter))].map((b) => {
    const r = decodeSignedRecord(b);
    if (!r.ok) throw r.error;
    return r.value.body;
  });
}

function anchorsOf(site: SiteController, records: readonly Uint8Array[]): TrustAnchors {
  const root = site.site.root.doc();
  return {
    operatorKeys: new Map(Object.entries(root.operatorKeys)),
    meters: new Set(Object.keys(root.meterCertificates)),
    maxRecordGapMs: site.maxRecordGapMs,
    heads: chainHeads(records),
  };
}

describe("site controller idle records", () => {
  test("a site idle for six hours signs an idle checkpoint on every meter at the interval, and its bundle covers the time", async () => {
    const clock = new VirtualClock(Date.UTC(2026, 2, 1, 0));
    const stalls = [new FakeStall(meterId("m1"), clock), new FakeStall(meterId("m2"), clock)];
    const site = await idleSite(clock, stalls);
    try {
      expect(site.idleRecordIntervalMs).toBe(IDLE_RECORD_INTERVAL_MS);
      expect(site.maxRecordGapMs).toBe(SITE_MAX_RECORD_GAP_MS);
      const t0 = clock.now();
      await run(site, clock, 6 * 3_600_000);
      for (const m of ["m1", "m2"]) {
        const records = chain(site, m);
        // boot, then one idle checkpoint per 15 minutes: 24 in six hours.
        expect(records.map((r) => r.kind)).toEqual(["boot", ...Array(24).fill("checkpoint")]);
        expect(records.every((r) => r.sessionId === null)).toBe(true);
        expect(records[0]!.meterTimeMs).toBe(t0);
        for (let i = 1; i < records.length; i++) {
          const gap = records[i]!.meterTimeMs - records[i - 1]!.meterTimeMs;
          expect(gap).toBeGreaterThanOrEqual(IDLE_RECORD_INTERVAL_MS);
          expect(gap).toBeLessThan(IDLE_RECORD_INTERVAL_MS + TICK_MS);
        }
      }
      const root = site.site.root.doc();
      const bundle = buildAuditBundle(
        {
          siteId: "site-idle",
          operatorKeys: root.operatorKeys,
          meterCertificates: root.meterCertificates,
          ledger: site.ledgerStore,
          sessions: site.journal.all(),
        },
        clock.now(),
      );
      const report = verifyAuditBundle(bundle, nodeEd25519, { anchors: anchorsOf(site, bundle.records) });
      expect(report.findings).toEqual([]);
      expect(report.verdict).toBe("verified");
      expect(report.checks.timeCoverage).toBe(true);
      // Six idle hours later than the export: the chains' tails are missing for that period end.
      const late = verifyAuditBundle(bundle, nodeEd25519, {
        anchors: anchorsOf(site, bundle.records),
        periodEndMs: clock.now() + 6 * 3_600_000,
      });
      expect(late.findingCounts["chain_tail_missing"]).toBe(2);
    } finally {
      await site.stop();
    }
  });

  test("a charging meter gets no idle record inside its session; the idle interval runs from its last record", async () => {
    const clock = new VirtualClock(Date.UTC(2026, 2, 1, 0));
    const stall = new FakeStall(meterId("m1"), clock);
    const site = await idleSite(clock, [stall]);
    try {
      await run(site, clock, 10 * 60_000);
      stall.plug({ certificateChain: [new Uint8Array([1])] });
      await run(site, clock, 40 * 60_000);
      stall.unplug();
      await run(site, clock, 61 * 60_000);
      const records = chain(site, "m1");
      const begin = records.findIndex((r) => r.kind === "begin");
      const end = records.findIndex((r) => r.kind === "end");
      expect(records.slice(begin, end + 1).every((r) => r.sessionId !== null)).toBe(true);
      const idleAfter = records.slice(end + 1);
      // An hour and a minute after the unplug: idle records 15, 30, 45 and 60 minutes after the end record.
      expect(idleAfter).toHaveLength(4);
      expect(idleAfter.every((r) => r.sessionId === null && r.kind === "checkpoint")).toBe(true);
      expect(idleAfter[0]!.meterTimeMs - records[end]!.meterTimeMs).toBeGreaterThanOrEqual(
        IDLE_RECORD_INTERVAL_MS,
      );
      // The register moved only inside the session: idle records repeat the end register.
      expect(idleAfter.every((r) => r.registerWh === records[end]!.registerWh)).toBe(true);
    } finally {
      await site.stop();
    }
  });
});

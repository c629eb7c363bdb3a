import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import pino from "pino";
import {
  SeededRandom,
  VirtualClock,
  contractId,
  meterId,
  technicianId,
  RecordStatus,
} from "@chargemesh/shared-model";
import type { StallId } from "@chargemesh/shared-model";
import { decodeSignedRecord } from "@chargemesh/shared-model";
import type { Authorizer } from "../../src/auth/authorizer.js";
import { parseSiteConfig } from "../../src/config/siteConfig.js";
import { SiteController } from "../../src/siteController.js";
import type { PowerCoordinator, StallHardware } from "../../src/session/sessionOrchestrator.js";
import { FakeStall } from "./fakeStall.js";
import { localOperatorCertifier } from "../../src/audit/meterProvisioning.js";
import { buildAuditBundle } from "../../src/audit/exportBundle.js";
import { nodeEd25519 } from "@chargemesh/node-ed25519";
import { verifyAuditBundle } from "@chargemesh/shared-model";
import { TestSecureElement } from "./testSecureElement.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Accepts cars whose claimed VIN is not "BLOCKED" (the real authorizers are tested on their own). */
const testAuthorizer: Authorizer = {
  authorize: async (req) =>
    req.plug.claimedVin === "BLOCKED"
      ? {
          accepted: false,
          reason: "AccountBlocked",
          contractId: contractId("DE-ABC-C00000001-1"),
          detail: "blocked in test",
        }
      : {
          accepted: true,
          reason: "Accepted",
          contractId: contractId("DE-ABC-C12345678-9"),
          caps: {},
          mode: "online",
        },
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

async function makeSite(dataDir: string, clock: VirtualClock, se: TestSecureElement, stalls: FakeStall[]) {
  const config = parseSiteConfig({
    siteId: "site-t",
    dataDir,
    gridLimitW: 100_000,
    stalls: stalls.map((s, i) => ({ id: `s${i + 1}`, meterId: s.meterId, maxW: 11_000 })),
  });
  const hardware: StallHardware[] = stalls.map((s, i) => ({
    config: config.stalls[i]!,
    meter: s.meter,
    stage: s.stage,
    link: s.link,
  }));
  return SiteController.start({
    config,
    clock,
    random: new SeededRandom(7),
    hardware,
    authorizer: testAuthorizer,
    secureElement: se,
    power: fullPower,
    certifyMeter: localOperatorCertifier("op-test", new Uint8Array(32).fill(1), nodeEd25519, clock),
    log: pino({ level: "silent" }),
  });
}

async function run(site: SiteController, clock: VirtualClock, seconds: number) {
  for (let i = 0; i < seconds; i++) {
    clock.advance(1000);
    await site.tick();
  }
}

function audit(site: SiteController) {
  const root = site.site.root.doc();
  const bundle = buildAuditBundle(
    {
      siteId: "site-t",
      operatorKeys: root.operatorKeys,
      meterCertificates: root.meterCertificates,
      ledger: site.ledgerStore,
      sessions: site.journal.all(),
    },
    0,
  );
  return verifyAuditBundle(bundle, nodeEd25519);
}

function chain(site: SiteController, meter: string) {
  return [...site.ledgerStore.records(meterId(meter))].map((b) => {
    const r = decodeSignedRecord(b);
    if (!r.ok) throw r.error;
    return r.value.body;
  });
}

describe("session orchestrator", () => {
  test("plug-in to unplug: begin, checkpoints, end; energy from the signed registers", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cm-orch-"));
    dirs.push(dir);
    const clock = new VirtualClock();
    const stall = new FakeStall(meterId("m1"), clock);
    const site = await makeSite(dir, clock, new TestSecureElement(), [stall]);
    stall.plug({ certificateChain: [new Uint8Array([1])] });
    await run(site, clock, 10 * 60);
    stall.unplug();
    await run(site, clock, 2);
    const [entry] = site.journal.recent(1);
    expect(entry!.state).toBe("completed");
    expect(entry!.stopReason).toBe("unplugged");
    const records = chain(site, "m1");
    expect(records.map((r) => r.kind)).toEqual(["boot", "begin", ...Array(9).fill("checkpoint"), "end"]);
    expect(records.map((r) => r.seq)).toEqual(records.map((_, i) => i));
    const energy = entry!.end!.registerWh - entry!.begin!.registerWh;
    // 11 kW for ~10 minutes, integer Wh.
    expect(energy).toBeGreaterThan(1_800);
    expect(energy).toBeLessThanOrEqual(11_000 / 6 + 1);
    const report = audit(site);
    expect(report.findings).toEqual([]);
    expect(report.sessions[0]!.energyWh).toBe(energy);
    expect(report.deliveredWh).toBe(energy);
    await site.stop();
  });

  test("a refused car gets no begin record and the stall stays free", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cm-orch-"));
    dirs.push(dir);
    const clock = new VirtualClock();
    const stall = new FakeStall(meterId("m1"), clock);
    const site = await makeSite(dir, clock, new TestSecureElement(), [stall]);
    stall.plug({ certificateChain: [], claimedVin: "BLOCKED" });
    await run(site, clock, 3);
    const [entry] = site.journal.recent(1);
    expect(entry!.state).toBe("rejected");
    expect(entry!.authorization?.reason).toBe("AccountBlocked");
    expect(chain(site, "m1").map((r) => r.kind)).toEqual(["boot"]);
    expect(site.orchestrator.stallViews()[0]!.phase).toBe("available");
    await site.stop();
  });

  test("restart after a crash closes the open session from the meter, with no second begin and no gap", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cm-orch-"));
    dirs.push(dir);
    const clock = new VirtualClock();
    const se = new TestSecureElement();
    const stall = new FakeStall(meterId("m1"), clock);
    const first = await makeSite(dir, clock, se, [stall]);
    stall.plug({ certificateChain: [new Uint8Array([1])] });
    await run(first, clock, 90);
    // Crash: the store is closed without stopping the session (the process test does a real SIGKILL).
    await first.orchestrator.close();
    await first.site.close();
    clock.advance(30_000);
    const second = await makeSite(dir, clock, se, [stall]);
    const entry = second.journal.recent(1)[0]!;
    expect(entry.state).toBe("completed");
    expect(entry.stopReason).toBe("controller_restart");
    const records = chain(second, "m1");
    expect(records.filter((r) => r.kind === "begin")).toHaveLength(1);
    expect(records.map((r) => r.seq)).toEqual(records.map((_, i) => i));
    const end = records.find((r) => r.kind === "end")!;
    expect(end.status & RecordStatus.recovered).toBeTruthy();
    expect(records.at(-1)!.kind).toBe("boot");
    expect(audit(second).findings).toEqual([]);
    await second.stop();
  });

  test("a random source that repeats after a restart never merges two sessions under one ID", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cm-orch-"));
    dirs.push(dir);
    const clock = new VirtualClock();
    const se = new TestSecureElement();
    const stall = new FakeStall(meterId("m1"), clock);
    const first = await makeSite(dir, clock, se, [stall]);
    const t0 = clock.now();
    stall.plug({ certificateChain: [new Uint8Array([1])] });
    await run(first, clock, 5);
    await first.orchestrator.close();
    await first.site.close();
    // Same seed, same instant: the generator proposes the same session ID again.
    const replay = new VirtualClock(t0);
    const stall2 = new FakeStall(meterId("m1"), replay);
    const second = await makeSite(dir, replay, se, [stall2]);
    stall2.plug({ certificateChain: [new Uint8Array([1])] });
    await run(second, replay, 5);
    const ids = second.journal.recent(10).map((s) => s.sessionId);
    expect(new Set(ids).size).toBe(2);
    const begins = chain(second, "m1")
      .filter((r) => r.kind === "begin")
      .map((r) => r.sessionId);
    expect(new Set(begins).size).toBe(begins.length);
    await second.stop();
  });

  test("a technician stop and out-of-service are recorded with who did them", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cm-orch-"));
    dirs.push(dir);
    const clock = new VirtualClock();
    const stall = new FakeStall(meterId("m1"), clock);
    const site = await makeSite(dir, clock, new TestSecureElement(), [stall]);
    stall.plug({ certificateChain: [new Uint8Array([1])] });
    await run(site, clock, 5);
    const stallId = site.config.stalls[0]!.id;
    await site.orchestrator.setOutOfService(stallId, true, technicianId("alice"), "cable damaged");
    await run(site, clock, 2);
    const entry = site.journal.recent(1)[0]!;
    expect(entry.stopReason).toBe("technician_stop");
    expect(entry.stoppedBy).toBe("alice");
    expect(site.orchestrator.stallViews()[0]!.phase).toBe("out_of_service");
    expect(site.journal.outOfService().get(stallId)?.technicianId).toBe("alice");
    stall.unplug();
    stall.plug({ certificateChain: [new Uint8Array([1])] });
    await run(site, clock, 2);
    expect(site.journal.recent(5)).toHaveLength(1);
    await site.stop();
  });

  test("a meter fault mid-session ends it with an estimated end record", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cm-orch-"));
    dirs.push(dir);
    const clock = new VirtualClock();
    const stall = new FakeStall(meterId("m1"), clock);
    const site = await makeSite(dir, clock, new TestSecureElement(), [stall]);
    stall.plug({ certificateChain: [new Uint8Array([1])] });
    await run(site, clock, 70);
    stall.faulty = true;
    await run(site, clock, 2);
    const entry = site.journal.recent(1)[0]!;
    expect(entry.stopReason).toBe("meter_fault");
    const end = chain(site, "m1").at(-1)!;
    expect(end.kind).toBe("end");
    expect(end.status & RecordStatus.estimated).toBeTruthy();
    expect(end.registerWh).toBe(entry.end!.registerWh);
    await site.stop();
  });
});

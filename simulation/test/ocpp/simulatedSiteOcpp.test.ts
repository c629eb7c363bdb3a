import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterAll, expect, test } from "vitest";
import { verifyAuditBundle } from "@chargemesh/shared-model";
import { buildAuditBundle } from "@chargemesh/edge-node";
import { nodeEd25519 } from "@chargemesh/node-ed25519";
import { SimulatedSite } from "../../src/simulatedSite.js";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test("a simulated site with OCPP stalls completes OCPP sessions whose signed records verify like the others, within one grid limit", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "chargemesh-sim-ocpp-"));
  dirs.push(dataDir);
  const draw = { steps: 0, overLimit: 0, maxW: 0, ocppCharging: 0 };
  let site!: SimulatedSite;
  site = await SimulatedSite.create({
    siteId: "ocpp-sim",
    dataDir,
    stalls: 4,
    vehicles: 14,
    seed: 5,
    offline: false,
    ocppStalls: 2,
    startMs: Date.UTC(2026, 5, 1, 7),
    windowMs: 2 * 3_600_000,
    log: pino({ level: process.env.OCPP_TEST_LOG ?? "silent" }),
    // Both kinds of stall share the one grid limit: the summed draw is checked at every step.
    onStep: () => {
      const chargers = site.ocpp!.chargers.map((c) => c.drawW());
      const w =
        site.stalls.reduce((sum, s) => sum + s.stage.drawW(), 0) + chargers.reduce((a, b) => a + b, 0);
      draw.steps++;
      draw.maxW = Math.max(draw.maxW, w);
      if (w > site.config.gridLimitW) draw.overLimit++;
      if (chargers.some((c) => c > 0)) draw.ocppCharging++;
    },
  });
  const ocppStallIds = new Set(site.config.stalls.slice(2).map((s) => s.id as string));
  expect(site.stalls).toHaveLength(2);
  expect(site.hardware).toHaveLength(4);
  expect(site.ocpp!.chargers.every((c) => c.isOnline())).toBe(true);
  // The kiosk's diagnostics list them as the site's OCPP server sees them.
  expect(site.ocpp!.site.chargers()).toEqual(
    site.ocpp!.chargers.map((c) => ({ chargerId: c.stationId, connected: true })),
  );
  // The chargers were provisioned by the site's CSMS at boot (offline authorization, a station maximum).
  expect(site.ocpp!.chargers[0]!.variable("AuthCtrlr", "LocalAuthorizeOffline")).toBe("true");

  const summary = await site.run();
  const root = site.controller.site.root.doc();
  const sessions = site.controller.journal.all();
  const bundle = buildAuditBundle(
    {
      siteId: "ocpp-sim",
      operatorKeys: root.operatorKeys,
      meterCertificates: root.meterCertificates,
      ledger: site.controller.ledgerStore,
      sessions,
    },
    site.clock.now(),
  );
  const problems = site.ocpp!.problems();
  const answers = site.ocpp!.chargers.flatMap((c) => c.transactionAnswers);
  const chargerRegisters = site.ocpp!.chargers.map((c) => c.registerWh());
  await site.stop();

  expect(summary.arrived).toBe(14);
  expect(draw.overLimit).toBe(0);
  expect(draw.maxW).toBe(site.config.gridLimitW); // the limit was reached (and shared), never passed
  expect(draw.ocppCharging).toBeGreaterThan(1_800);
  expect(summary.sessions).toEqual({ completed: summary.served, rejected: 0, failed: 0, open: 0 });
  const ocppSessions = sessions.filter((s) => ocppStallIds.has(s.stallId));
  const simSessions = sessions.filter((s) => !ocppStallIds.has(s.stallId));
  expect(ocppSessions.length).toBeGreaterThanOrEqual(3);
  expect(simSessions.length).toBeGreaterThanOrEqual(3);
  for (const s of ocppSessions) {
    expect(s.state).toBe("completed");
    expect(s.end!.registerWh - s.begin!.registerWh).toBeGreaterThan(5_000);
  }
  // Strict validation on the charger side found nothing; every TransactionEvent answer carried idTokenInfo
  // once the transaction was authorized.
  expect(problems).toEqual([]);
  expect(answers.length).toBeGreaterThan(ocppSessions.length * 3);

  const report = verifyAuditBundle(bundle, nodeEd25519);
  expect(report.ok, JSON.stringify(report.findings)).toBe(true);
  expect(report.deliveredWh).toBe(summary.energyWh);
  for (const s of ocppSessions)
    expect(report.sessions.find((r) => r.sessionId === s.sessionId)).toMatchObject({
      complete: true,
      energyWh: s.end!.registerWh - s.begin!.registerWh,
    });
  // The site's secure element signs the ledger records; the chargers' own OCMF signatures travel inside
  // them (simOcppStallsSigning.test.ts verifies those).
  const ocppMeters = site.config.stalls.slice(2).map((s) => s.meterId as string);
  for (const m of report.meters.filter((x) => ocppMeters.includes(x.meterId)))
    expect(m).toMatchObject({ certifiedBy: "operator-certificate", signingLocation: "site-secure-element" });
  expect(report.meters.filter((x) => ocppMeters.includes(x.meterId)).map((m) => m.lastRegisterWh)).toEqual(
    chargerRegisters,
  );
}, 600_000);

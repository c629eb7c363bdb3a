import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterAll, expect, test } from "vitest";
import { decodeSignedRecord, verifyAuditBundle, verifyOcmf } from "@chargemesh/shared-model";
import type { MeterId } from "@chargemesh/shared-model";
import { buildAuditBundle } from "@chargemesh/edge-node";
import { nodeEd25519 } from "@chargemesh/node-ed25519";
import { SimulatedSite } from "../../src/simulatedSite.js";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const siteOptions = (dataDir: string, startMs: number) => ({
  siteId: "ocpp-signing",
  dataDir,
  stalls: 2,
  vehicles: 4,
  seed: 3,
  offline: false,
  ocppStalls: 1,
  startMs,
  windowMs: 3_600_000,
  log: pino({ level: process.env.OCPP_TEST_LOG ?? "silent" }),
});

test("the simulated site's OCPP chargers sign their readings with meter keys of their own; the records carry their OCMF and verify, across a restart", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "chargemesh-sim-ocpp-sign-"));
  dirs.push(dataDir);
  const site = await SimulatedSite.create(siteOptions(dataDir, Date.UTC(2026, 5, 1, 7)));
  const meterId = site.config.stalls[1]!.meterId as MeterId;
  const key = site.ocpp!.ocmfPublicKeyOf(meterId);
  expect(key).not.toBeNull();
  expect(site.ocpp!.ocmfPublicKeyOf(site.config.stalls[0]!.meterId)).toBeNull(); // a hal stall: plain meter
  const keyFile = join(dataDir, "sim-ocpp-meter-keys.json");
  expect(statSync(keyFile).mode & 0o777).toBe(0o600);

  const summary = await site.run();
  const root = site.controller.site.root.doc();
  const sessions = site.controller.journal.all();
  const bundle = buildAuditBundle(
    {
      siteId: "ocpp-signing",
      operatorKeys: root.operatorKeys,
      meterCertificates: root.meterCertificates,
      ledger: site.controller.ledgerStore,
      sessions,
    },
    site.clock.now(),
  );
  const records = [...site.controller.ledgerStore.records(meterId)].map((shipped) => {
    const r = decodeSignedRecord(shipped);
    if (!r.ok) throw r.error;
    return r.value.body;
  });
  const refused = site.ocpp!.site.station(site.ocpp!.chargers[0]!.stationId)!.refusedSignedValues();
  const problems = site.ocpp!.problems();
  const endMs = site.clock.now();
  await site.stop();

  expect(summary.sessions.completed).toBeGreaterThanOrEqual(1);
  expect(problems).toEqual([]);
  expect(refused).toEqual([]);
  const ocppSessions = sessions.filter((s) => s.stallId === site.config.stalls[1]!.id);
  expect(ocppSessions.length).toBeGreaterThanOrEqual(1);
  // Every session record of the OCPP meter carries the charger's own OCMF, verified with its key.
  expect(records.filter((x) => x.sessionId !== null).length).toBeGreaterThanOrEqual(2);
  for (const r of records.filter((x) => x.sessionId !== null)) {
    expect(r.meterPayload, `${r.kind} #${r.seq}`).not.toBeNull();
    expect(verifyOcmf(r.meterPayload!, key!, r.registerWh).ok).toBe(true);
  }
  const report = verifyAuditBundle(bundle, nodeEd25519);
  expect(report.ok, JSON.stringify(report.findings)).toBe(true);

  // Restarted on the same data: the meter keeps its key (its certificate names it once, for good).
  const again = await SimulatedSite.create(siteOptions(dataDir, endMs + 60_000));
  try {
    expect(again.ocpp!.ocmfPublicKeyOf(meterId)).toEqual(key);
  } finally {
    await again.stop();
  }
}, 600_000);

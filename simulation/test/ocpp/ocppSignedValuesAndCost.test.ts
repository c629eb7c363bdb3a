import { afterEach, expect, test } from "vitest";
import { p256 } from "@noble/curves/nist.js";
import { decodeSignedRecord, verifyOcmf } from "@chargemesh/shared-model";
import type { ConfigDocument } from "@chargemesh/shared-model";
import { ocppTotalCost } from "@chargemesh/edge-node";
import { makeTestPki } from "./ocppTestPki.js";
import { NOW, OcppTestSite, emaid } from "./ocppTestSite.js";
import type { SimulatedOcppCharger } from "../../src/ocpp/simulatedOcppCharger.js";

let site: OcppTestSite | null = null;
let chargers: SimulatedOcppCharger[] = [];
afterEach(async () => {
  for (const c of chargers) await c.close();
  await site?.stop();
  site = null;
  chargers = [];
});

const FORGED_RAISE_WH = 1_000_000;

/** A site with one signing charger whose meter key is provisioned as a certified meter's; the car plugged and charging. */
async function chargingSite(config: ConfigDocument) {
  const pki = await makeTestPki(NOW);
  const ocmfKey = p256.utils.randomSecretKey();
  const station = {
    stationId: "CP-0002",
    maxW: 22_000,
    safeLimitW: 11_000,
    ocmfPublicKey: p256.getPublicKey(ocmfKey, false),
  };
  const contract = emaid(2);
  site = await OcppTestSite.start({
    pki,
    gridLimitW: 50_000,
    stations: [station],
    standing: { [contract]: "good" },
    totalCost: ocppTotalCost(() => config),
  });
  // Provisioned like a certified meter: in its meter certificate (the test site's certifier) and at the CSMS.
  site.ocpp.station(station.stationId)!.certifiedMeterKey(1, station.ocmfPublicKey);
  const charger = site.charger(pki, station, { ocmfSecretKey: ocmfKey, initialRegisterWh: 2_000 });
  chargers.push(charger);
  await charger.connect();
  await site.settle([charger]);
  await site.run(60_000, 30_000, [charger]);
  const { chainPem } = await pki.contract(contract);
  const plugged = charger.plug({ certificatePem: chainPem, emaid: contract, maxW: 12_000 });
  await site.settle([charger]);
  await plugged;
  const [session] = site.sessions();
  expect(session).toMatchObject({ state: "charging", contractId: contract });
  return { site, charger, station, sessionId: session!.sessionId };
}

test("a forged signed value is refused with bad_signature and never reaches the ledger; the session's records carry the charger's own OCMF and verify", async () => {
  const { site, charger, station, sessionId } = await chargingSite({} as ConfigDocument);
  await site.run(10 * 60_000, 60_000, [charger]);
  // Someone raises the readings by 1 MWh under the meter's signature of the true ones.
  charger.forgeSignedValues(FORGED_RAISE_WH);
  await site.run(5 * 60_000, 60_000, [charger]);
  charger.forgeSignedValues(0);
  await site.run(5 * 60_000, 60_000, [charger]);
  await charger.unplug();
  await site.settle([charger]);

  const refused = site.ocpp.station(station.stationId)!.refusedSignedValues();
  expect(refused).toHaveLength(5); // one forged TransactionEvent a minute for 5 minutes
  expect(await site.controller.metrics.registry.metrics()).toMatch(
    /^chargemesh_ocpp_signed_values_refused_total\{code="bad_signature"[^}]*\} 5$/m,
  );
  for (const r of refused) {
    expect(r).toMatchObject({ evseId: 1, transactionId: `${station.stationId}-tx-1`, code: "bad_signature" });
    expect(r.message).toMatch(/signature does not verify/);
  }
  const done = site.controller.journal.get(sessionId)!;
  expect(done.state).toBe("completed");
  expect(done.end!.registerWh).toBe(charger.registerWh());
  expect(done.end!.registerWh - done.begin!.registerWh).toBe(4_000); // 12 kW for 20 minutes, as metered
  // Nothing forged entered the ledger: no record names a raised register; every payload is the
  // charger's own (its station in GS) and verifies with the meter's key for the record's register.
  const records = [...site.controller.ledgerStore.records(`meter-${station.stationId}` as never)].map(
    (shipped) => {
      const r = decodeSignedRecord(shipped);
      if (!r.ok) throw r.error;
      return r.value.body;
    },
  );
  expect(records.filter((r) => r.sessionId === sessionId).length).toBeGreaterThanOrEqual(2);
  expect(records.every((r) => r.registerWh < FORGED_RAISE_WH)).toBe(true);
  const signed = records.filter((r) => r.meterPayload !== null);
  expect(signed.length).toBeGreaterThanOrEqual(2);
  for (const r of signed) {
    const text = new TextDecoder().decode(r.meterPayload!);
    expect(text).toMatch(/^OCMF\|/);
    expect(text).toContain(`"GS":"${station.stationId}"`);
    expect(verifyOcmf(r.meterPayload!, station.ocmfPublicKey, r.registerWh).ok).toBe(true);
  }
  const report = site.verifyLedger();
  expect(report.findings.filter((f) => f.code !== "duplicate_record")).toEqual([]);
  expect(report.sessions.find((s) => s.sessionId === sessionId)).toMatchObject({
    complete: true,
    energyWh: 4_000,
  });
  expect(charger.validationFailures).toEqual([]);
}, 60_000);

test("without an OCPI tariff in the config document the charger gets no CostUpdated and no totalCost", async () => {
  const { site, charger } = await chargingSite({} as ConfigDocument);
  await site.run(15 * 60_000, 60_000, [charger]);
  await charger.unplug();
  await site.settle([charger]);
  expect(charger.costUpdates).toEqual([]);
  expect(charger.transactionAnswers.filter((a) => a.totalCost !== undefined)).toEqual([]);
  expect(charger.validationFailures).toEqual([]);
}, 60_000);

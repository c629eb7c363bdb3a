import { afterEach, expect, test } from "vitest";
import { p256 } from "@noble/curves/nist.js";
import { makeTestPki } from "./ocppTestPki.js";
import { NOW, OcppTestSite, emaid } from "./ocppTestSite.js";
import type { SimulatedOcppCharger } from "../../src/ocpp/simulatedOcppCharger.js";
import type { ConfigDocument } from "@chargemesh/shared-model";
import { ocppTotalCost, officialOcpp201Validator } from "@chargemesh/edge-node";

let site: OcppTestSite | null = null;
let chargers: SimulatedOcppCharger[] = [];
afterEach(async () => {
  for (const c of chargers) await c.close();
  await site?.stop();
  site = null;
  chargers = [];
});

test("an ocpp-rpc charger in strict mode boots, authorizes a contract by its chain, charges with signed meter values, and the records verify", async () => {
  const pki = await makeTestPki(NOW);
  const ocmfKey = p256.utils.randomSecretKey();
  const station = {
    stationId: "CP-0001",
    maxW: 22_000,
    safeLimitW: 11_000,
    ocmfPublicKey: p256.getPublicKey(ocmfKey, false),
  };
  const contract = emaid(1);
  // 0.30 EUR/kWh and no VAT: the Ended answer's totalCost is checkable by hand.
  const config = {
    ocpiTariffs: {
      tariffsJson: JSON.stringify({
        country_code: "DE",
        party_id: "CMS",
        id: "ocpp-test",
        currency: "EUR",
        elements: [{ price_components: [{ type: "ENERGY", price: 0.3, vat: 0, step_size: 1 }] }],
        last_updated: "2026-01-01T00:00:00Z",
      }),
      timeZone: "Europe/Berlin",
    },
  } as ConfigDocument;
  site = await OcppTestSite.start({
    pki,
    gridLimitW: 50_000,
    stations: [station],
    standing: { [contract]: "good" },
    totalCost: ocppTotalCost(() => config),
  });
  // The site verifies the charger's signed values on arrival with the key its meter certificate names.
  site.ocpp.station(station.stationId)!.certifiedMeterKey(1, station.ocmfPublicKey);
  const charger = site.charger(pki, station, { ocmfSecretKey: ocmfKey, initialRegisterWh: 1_000 });
  chargers.push(charger);
  await charger.connect();
  await site.settle([charger]);
  // The power manager takes a stall back into its plans once it has been in contact for a while.
  await site.run(60_000, 30_000, [charger]);
  // Boot provisioning: offline authorization, cache, signed readings, the local list, the station maximum.
  expect(charger.variable("AuthCtrlr", "LocalAuthorizeOffline")).toBe("true");
  expect(charger.variable("AuthCacheCtrlr", "Enabled")).toBe("true");
  expect(charger.variable("SampledDataCtrlr", "SignReadings")).toBe("true");
  expect(charger.localListStatus(contract)).toBe("Accepted");
  expect(charger.compositeLimitW()).toBe(11_000); // ChargingStationMaxProfile 22 kW, TxDefaultProfile 11 kW

  const { chainPem } = await pki.contract(contract);
  const plugged = charger.plug({ certificatePem: chainPem, emaid: contract, maxW: 16_000 });
  await site.settle([charger]);
  await plugged;
  const [session] = site.sessions();
  expect(session).toMatchObject({
    state: "charging",
    contractId: contract,
    authorization: { accepted: true, proofOfPossession: "charger-secc" },
  });
  expect(charger.drawW()).toBe(16_000); // the power manager's TxProfile (its share: the stall's 22 kW) above the default

  await site.run(30 * 60_000, 60_000, [charger]);
  await charger.unplug();
  await site.settle([charger]);
  const done = site.controller.journal.get(session!.sessionId)!;
  expect(done.state).toBe("completed");
  expect(done.end!.registerWh - done.begin!.registerWh).toBe(8_000); // 16 kW for 30 min
  expect(done.end!.registerWh).toBe(charger.registerWh());

  const report = site.verifyLedger();
  expect(report.findings.filter((f) => f.code !== "duplicate_record")).toEqual([]);
  expect(report.ok).toBe(true);
  expect(report.sessions.find((s) => s.sessionId === session!.sessionId)).toMatchObject({
    complete: true,
    energyWh: 8_000,
  });
  // The charger's OCMF bytes are in the begin and end records, byte for byte, and verified as the meter's own layer.
  const records = site.controller.ledger.sessionRecords(session!.sessionId);
  expect(records.filter((r) => r.meterPayload !== null).length).toBeGreaterThanOrEqual(2);
  expect(new TextDecoder().decode(records.find((r) => r.kind === "end")!.meterPayload!)).toMatch(/^OCMF\|/);
  expect(charger.validationFailures).toEqual([]);
  expect(charger.transactionAnswers.filter((a) => a.idTokenInfo === undefined).length).toBeLessThanOrEqual(1); // only the Started before any idToken
  // Only the Ended answer carries totalCost (OCPP 2.0.1): 8 kWh at 0.30 EUR = 2.40 EUR, from the invoice's rating.
  const costs = charger.transactionAnswers.filter((a) => a.totalCost !== undefined).map((a) => a.totalCost);
  expect(costs).toEqual([2.4]);
  // The running cost (OCPP 2.0.1 I02): CostUpdated during the transaction, schema-valid on both sides,
  // never falling, at most one per minute of the clock, the last one no more than the Ended total.
  const validator = officialOcpp201Validator();
  const running = charger.costUpdates;
  expect(running.length).toBeGreaterThanOrEqual(10);
  expect(running.length).toBeLessThanOrEqual(31); // 30 minutes of charging, one per minute at most
  for (const u of running) {
    expect(validator.check("CostUpdated", "req", u)).toBeNull();
    expect(u.transactionId).toBe(`${station.stationId}-tx-1`);
  }
  const figures = running.map((u) => u.totalCost);
  expect([...figures].sort((a, b) => a - b)).toEqual(figures);
  expect(figures.at(-1)!).toBeLessThanOrEqual(2.4);
  expect(figures.at(-1)!).toBeGreaterThan(2);
  expect(site.ocpp.station(station.stationId)!.refusedSignedValues()).toEqual([]);
}, 60_000);

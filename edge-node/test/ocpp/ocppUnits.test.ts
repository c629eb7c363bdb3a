import { expect, test } from "vitest";
import { signOcmf } from "@chargemesh/shared-model";
import { p256 } from "@noble/curves/nist.js";
import { meterFigures } from "../../src/ocpp/ocppMeterValues.js";
import { OcppTransactionLog } from "../../src/ocpp/ocppTransactionLog.js";
import { ocppTotalCost } from "../../src/ocpp/ocppTotalCost.js";
import type { ConfigDocument } from "@chargemesh/shared-model";
import { differentialUpdate, fullUpdate, localListFrom } from "../../src/ocpp/localAuthList.js";
import { officialOcpp201Validator } from "../../src/ocpp/ocppSchemaValidator.js";

test("meter values become integer Wh and W without floats; per-phase values are ignored; OCMF kept only when it signs that register", () => {
  const key = p256.utils.randomSecretKey();
  const ocmf = Buffer.from(signOcmf({ RD: [{ RV: 12345, RU: "Wh" }] }, key)).toString("base64");
  const f = meterFigures([
    {
      timestamp: "t",
      sampledValue: [
        {
          value: 12.345,
          unitOfMeasure: { unit: "kWh" },
          signedMeterValue: {
            signedMeterData: ocmf,
            signingMethod: "x",
            encodingMethod: "OCMF",
            publicKey: "",
          },
        },
        { value: 7.2, measurand: "Power.Active.Import", unitOfMeasure: { unit: "kW" } },
        { value: 1, measurand: "Power.Active.Import", phase: "L1" },
      ],
    },
  ]);
  expect(f).toMatchObject({ registerWh: 12_345, powerW: 7_200, rejectedSignature: null });
  expect(new TextDecoder().decode(f.signedPayload!)).toMatch(/^OCMF\|/);
  const wrong = meterFigures([
    { sampledValue: [{ value: 12346, signedMeterValue: { signedMeterData: ocmf } }] },
  ]);
  expect(wrong.signedPayload).toBeNull();
  expect(wrong.rejectedSignature).toMatch(/12346/);
  expect(meterFigures("garbage")).toMatchObject({ registerWh: null, powerW: null });
  expect(meterFigures([{ sampledValue: [{ value: -5 }, { value: 1e30 }] }]).registerWh).toBeNull();
});

test("transaction events are stored once per (station, transaction, seqNo), whatever the order", () => {
  const log = new OcppTransactionLog(2);
  const ev = (seqNo: number, eventType: "Started" | "Updated" | "Ended") => ({
    eventType,
    seqNo,
    timestamp: "t",
    offline: seqNo > 0,
    triggerReason: "x",
  });
  expect(log.record("CP", "t1", ev(2, "Ended"), { evseId: 1, idToken: null, registerWh: 300 })).toBe("new");
  expect(log.record("CP", "t1", ev(0, "Started"), { evseId: 1, idToken: null, registerWh: 100 })).toBe("new");
  expect(log.record("CP", "t1", ev(2, "Ended"), { evseId: 1, idToken: null, registerWh: 300 })).toBe(
    "duplicate",
  );
  expect(log.get("CP", "t1")).toMatchObject({
    events: 2,
    ended: true,
    highestRegisterWh: 300,
    lowestRegisterWh: 100,
    offlineEvents: 1,
  });
  log.record("CP", "t2", ev(0, "Started"), { evseId: 1, idToken: null, registerWh: 1 });
  log.record("CP", "t3", ev(0, "Started"), { evseId: 1, idToken: null, registerWh: 1 });
  expect(log.get("CP", "t1")).toBeNull(); // bounded: the ended one went first
  expect(
    log
      .open("CP")
      .map((t) => t.transactionId)
      .sort(),
  ).toEqual(["t2", "t3"]);
});

test("local list: standing and revocations, full then differential", () => {
  const v1 = localListFrom({ A: "good", B: "good", C: "blocked" }, []);
  const v2 = localListFrom({ A: "good", B: "good" }, ["B"]);
  expect(fullUpdate(v1).map((e) => `${e.idToken.idToken}:${e.idTokenInfo?.status}`)).toEqual([
    "A:Accepted",
    "B:Accepted",
    "C:Blocked",
  ]);
  expect(differentialUpdate(v1, v2)).toEqual([
    { idToken: { idToken: "B", type: "eMAID" }, idTokenInfo: { status: "Invalid" } },
    { idToken: { idToken: "C", type: "eMAID" } },
  ]);
  const v = officialOcpp201Validator();
  expect(
    v.check("SendLocalList", "req", {
      versionNumber: 2,
      updateType: "Differential",
      localAuthorizationList: differentialUpdate(v1, v2),
    }),
  ).toBeNull();
});

test("an Ended transaction's totalCost is the invoice rating of its energy, or none without OCPI tariffs or readings", () => {
  const tariff = JSON.stringify({
    country_code: "DE",
    party_id: "CMS",
    id: "t",
    currency: "EUR",
    elements: [
      {
        price_components: [
          { type: "ENERGY", price: 0.35, vat: 20, step_size: 1 },
          { type: "FLAT", price: 1, vat: 20, step_size: 1 },
        ],
      },
    ],
    last_updated: "2026-01-01T00:00:00Z",
  });
  const config = { ocpiTariffs: { tariffsJson: tariff, timeZone: "Europe/Berlin" } } as ConfigDocument;
  const tx = {
    stationId: "CP",
    transactionId: "t1",
    evseId: 1,
    idToken: null,
    events: 3,
    ended: true,
    offlineEvents: 0,
    highestRegisterWh: 11_000,
    lowestRegisterWh: 1_000,
    firstEventMs: Date.UTC(2026, 5, 1, 10),
    lastEventMs: Date.UTC(2026, 5, 1, 11),
  };
  // 10 kWh x 0.35 + 1.00 = 4.50 excl. VAT, 5.40 with 20 %.
  expect(ocppTotalCost(() => config)(tx)).toBe(5.4);
  expect(ocppTotalCost(() => ({}) as ConfigDocument)(tx)).toBeNull();
  expect(ocppTotalCost(() => null)(tx)).toBeNull();
  expect(ocppTotalCost(() => config)({ ...tx, lowestRegisterWh: null })).toBeNull();
});

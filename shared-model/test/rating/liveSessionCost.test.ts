import { describe, expect, test } from "vitest";
import {
  configDocumentSchema,
  liveSessionCost,
  rateVerifiedSession,
  readConfigOcpiTariffs,
} from "../../src/index.js";
import type { ConfigDocument, OcpiTariff } from "../../src/index.js";

// ENERGY + FLAT with a night price (time of day): the network's demo tariff, decimals as written.
const energyFlatJson = `{
  "country_code": "DE", "party_id": "CMS", "id": "energy-flat", "currency": "EUR",
  "elements": [
    { "price_components": [{ "type": "ENERGY", "price": 0.29, "vat": 19, "step_size": 1 }],
      "restrictions": { "start_time": "22:00", "end_time": "07:00" } },
    { "price_components": [
        { "type": "ENERGY", "price": 0.39, "vat": 19, "step_size": 1 },
        { "type": "FLAT", "price": 1.00, "vat": 19, "step_size": 1 } ] }
  ]
}`;
// TIME billed per started minute, with a dearer evening hour price and a max price.
const timeJson = `[{
  "country_code": "DE", "party_id": "CMS", "id": "time-v1", "currency": "EUR",
  "end_date_time": "2026-06-01T00:00:00Z",
  "elements": [{ "price_components": [{ "type": "TIME", "price": 1.00, "vat": 19, "step_size": 60 }] }]
}, {
  "country_code": "DE", "party_id": "CMS", "id": "time-v2", "currency": "EUR",
  "start_date_time": "2026-06-01T00:00:00Z",
  "max_price": { "excl_vat": 25.00 },
  "elements": [
    { "price_components": [
        { "type": "TIME", "price": 3.60, "vat": 19, "step_size": 60 },
        { "type": "ENERGY", "price": 0.333, "vat": 19, "step_size": 1 } ],
      "restrictions": { "start_time": "17:00", "end_time": "20:00" } },
    { "price_components": [
        { "type": "TIME", "price": 1.20, "vat": 19, "step_size": 60 },
        { "type": "ENERGY", "price": 0.25, "vat": 7, "step_size": 1 } ] }
  ]
}]`;

function held(tariffsJson: string): readonly OcpiTariff[] {
  const r = readConfigOcpiTariffs({ tariffsJson, timeZone: "Europe/Berlin" });
  if (!r.ok) throw r.error;
  return r.value.tariffs;
}

const zone = "Europe/Berlin";
const t0 = Date.UTC(2026, 5, 3, 14, 7, 13); // 16:07:13 in Berlin: the evening window starts during the session

/** The invoice of a session that began at `t0` on register 12,345 and ended after `ms` and `wh`. */
function invoiceTotal(tariffs: readonly OcpiTariff[], ms: number, wh: number): bigint {
  const r = rateVerifiedSession(tariffs, zone, {
    sessionId: "site-1:s",
    meterId: "m-1",
    begin: { seq: 17, meterTimeMs: t0, registerWh: 12_345 },
    end: { seq: 80, meterTimeMs: t0 + ms, registerWh: 12_345 + wh },
  });
  if (!r.ok) throw r.error;
  return r.value.totalMinorUnits;
}

const ends: readonly [number, number][] = [
  [0, 0],
  [59_000, 1],
  [1_800_000, 9_999],
  [3_333_333, 27_777],
  [3 * 3_600_000 + 1, 61_234],
  [9 * 3_600_000, 150_000], // into the night price and the TIME tariff's max price
];

describe("liveSessionCost: the live figure at the end's time and energy is the invoice's total", () => {
  for (const [name, json] of [
    ["ENERGY + FLAT with a time-of-day price", energyFlatJson],
    ["TIME with a time-of-day window, versions and a max price", timeJson],
  ] as const)
    test(name, () => {
      const tariffs = held(json);
      const seen = new Set<bigint>();
      for (const [ms, wh] of ends) {
        const live = liveSessionCost(tariffs, zone, {
          sessionId: "site-1:s",
          startMs: t0,
          nowMs: t0 + ms,
          energyWh: wh,
        });
        expect(live.ok).toBe(true);
        if (!live.ok) return;
        expect(live.value.totalMinorUnits).toBe(invoiceTotal(tariffs, ms, wh));
        expect(live.value.currency).toBe("EUR");
        seen.add(live.value.totalMinorUnits);
      }
      expect(seen.size).toBeGreaterThan(3); // the figures move
    });

  test("worked figures: 10 kWh by day on ENERGY + FLAT = (3.90 + 1.00) x 1.19 = 5.831 -> 583", () => {
    const live = liveSessionCost(held(energyFlatJson), zone, {
      sessionId: "s",
      startMs: t0,
      nowMs: t0 + 3_600_000,
      energyWh: 10_000,
    });
    expect(live).toEqual({
      ok: true,
      value: { currency: "EUR", tariffId: "energy-flat", totalMinorUnits: 583n },
    });
  });

  test("the TIME tariff's version valid at the start applies; the window price moves the figure", () => {
    const tariffs = held(timeJson);
    // TIME is charging time: 1 kWh in the 30 minutes.
    const at = (startMs: number, ms: number) =>
      liveSessionCost(tariffs, zone, { sessionId: "s", startMs, nowMs: startMs + ms, energyWh: 1_000 });
    // Before 1 June: version 1, 1.00 EUR/h: 30 min = 0.50 x 1.19 = 0.595 -> 60.
    expect(at(Date.UTC(2026, 4, 31, 10), 1_800_000)).toMatchObject({
      ok: true,
      value: { tariffId: "time-v1", totalMinorUnits: 60n },
    });
    // 30 min at 10:00 Berlin: 0.60 + 0.25 = 0.85 excl., VAT 0.114 + 0.0175 -> 0.13: 98.
    expect(at(Date.UTC(2026, 5, 3, 8), 1_800_000)).toMatchObject({
      ok: true,
      value: { totalMinorUnits: 98n },
    });
    // The same at 18:00 Berlin: 1.80 + 0.333 -> 2.13 excl., VAT 0.342 + 0.06327 -> 0.41: 254.
    expect(at(Date.UTC(2026, 5, 3, 16), 1_800_000)).toMatchObject({
      ok: true,
      value: { totalMinorUnits: 254n },
    });
  });

  test("bad inputs are error values", () => {
    const tariffs = held(energyFlatJson);
    const r = liveSessionCost(tariffs, zone, { sessionId: "s", startMs: t0, nowMs: t0, energyWh: -1 });
    expect(r).toMatchObject({ ok: false, error: { code: "invalid_input" } });
    const none = liveSessionCost(held(timeJson), zone, {
      sessionId: "s",
      startMs: Date.UTC(2026, 5, 1) - 1,
      nowMs: Date.UTC(2026, 5, 1) + 1,
      energyWh: 1,
    });
    expect(none.ok).toBe(true); // the version at the start applies across the version change
  });
});

describe("the config document's ocpiTariffs", () => {
  const base: ConfigDocument = {
    schemaVersion: 1,
    version: 3,
    issuedAtMs: 0,
    tariffs: [],
    trustAnchors: [],
    revocationList: null,
    accountStanding: {},
    offlinePolicy: { unknownContractMaxEnergyWh: 0, unknownContractMaxSessionsPerDay: 0 },
    siteLimits: {},
  };

  test("optional: a document without it still validates; one with it keeps the text exactly", () => {
    expect(configDocumentSchema.safeParse(base).success).toBe(true);
    const withTariffs = { ...base, ocpiTariffs: { tariffsJson: energyFlatJson, timeZone: zone } };
    const r = configDocumentSchema.safeParse(withTariffs);
    expect(r.success).toBe(true);
    if (!r.success) return;
    expect(r.data.ocpiTariffs?.tariffsJson).toBe(energyFlatJson);
    const read = readConfigOcpiTariffs(r.data.ocpiTariffs!);
    expect(read.ok && read.value.tariffs[0]!.elements[1]!.price_components[1]!.price).toBe("1.00");
  });

  test("refused: JSON that is no OCPI tariff, bad JSON, an unknown time zone", () => {
    for (const ocpiTariffs of [
      { tariffsJson: `{"id": "x"}`, timeZone: zone },
      { tariffsJson: `{"id": `, timeZone: zone },
      { tariffsJson: energyFlatJson, timeZone: "Mars/Olympus" },
    ])
      expect(configDocumentSchema.safeParse({ ...base, ocpiTariffs }).success).toBe(false);
  });
});

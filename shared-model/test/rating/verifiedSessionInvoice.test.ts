import { describe, expect, test } from "vitest";
import {
  SITE_MAX_RECORD_GAP_MS,
  formatInvoiceExport,
  maxRecordGapMsFor,
  ocpiTariffSchema,
  parseInvoiceExport,
  rateVerifiedSession,
} from "../../src/index.js";
import type { ExportedInvoice } from "../../src/index.js";

const tariff = ocpiTariffSchema.parse({
  country_code: "DE",
  party_id: "CMS",
  id: "t1",
  currency: "EUR",
  elements: [
    {
      price_components: [
        { type: "ENERGY", price: "0.40", vat: "19", step_size: 1 },
        { type: "FLAT", price: "0.50", vat: "19", step_size: 1 },
      ],
    },
  ],
});
const t0 = Date.UTC(2026, 5, 1, 8);
const session = {
  sessionId: "s-1",
  meterId: "m-1",
  begin: { seq: 4, meterTimeMs: t0, registerWh: 1_000 },
  end: { seq: 9, meterTimeMs: t0 + 3_600_000, registerWh: 8_250 },
};

describe("rateVerifiedSession (billing's and the auditor's one mapping)", () => {
  test("one energy line with the rounded gross and VAT, naming the begin and end records; total = lines", () => {
    const r = rateVerifiedSession([tariff], "Europe/Berlin", session);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    // 7.25 kWh x 0.40 + 0.50 = 3.40 excl. VAT; x 1.19 = 4.046 -> 4.05
    expect(r.value).toMatchObject({
      currency: "EUR",
      tariffId: "t1",
      energyWh: 7_250,
      totalMinorUnits: 405n,
    });
    expect(r.value.lineItems).toEqual([
      expect.objectContaining({
        kind: "energy",
        energyWh: 7_250,
        exclVatMinor: 340n,
        vatMinor: 65n,
        sourceRecords: ["m-1/4", "m-1/9"],
      }),
    ]);
  });

  test("a free-energy promotion adds a promotion line; an end before the begin is invalid_input", () => {
    const r = rateVerifiedSession([tariff], "Europe/Berlin", session, {
      promotions: [{ kind: "free_energy", id: "first-kwh", wh: 1_000 }],
    });
    expect(r.ok && r.value.lineItems.map((l) => l.kind)).toEqual(["energy", "promotion"]);
    expect(r.ok && r.value.lineItems[1]!.exclVatMinor).toBe(-40n);
    const back = rateVerifiedSession([tariff], "Europe/Berlin", {
      ...session,
      end: { ...session.begin, seq: 3 },
    });
    expect(!back.ok && back.error.code).toBe("invalid_input");
  });
});

describe("the invoices file", () => {
  const inv: ExportedInvoice = {
    sessionId: "s-1",
    siteId: "site",
    meterId: "m-1",
    stallId: "st-1",
    accountId: "a-1",
    contractId: "DE-ABC-C00000001-1",
    currency: "EUR",
    tariffId: "t1",
    beginRecordHash: "ab".repeat(32),
    endRecordHash: "cd".repeat(32),
    energyWh: 7_250,
    totalMinor: 12_345_678_901_234_567_890n,
    lines: [
      {
        kind: "energy",
        description: "x",
        energyWh: 7_250,
        exclVatMinor: -5n,
        vatMinor: 0n,
        sourceRecords: ["m-1/4"],
      },
    ],
  };
  test("round-trips exactly, bigints included; a malformed file is an invalid_input value", () => {
    const back = parseInvoiceExport(formatInvoiceExport([inv]));
    expect(back.ok && back.value).toEqual([inv]);
    expect(parseInvoiceExport(formatInvoiceExport([])).ok).toBe(true);
    for (const bad of [
      "nope",
      "{}",
      JSON.stringify({ format: "chargemesh-invoices", version: 1, invoices: [{}] }),
    ]) {
      const r = parseInvoiceExport(bad);
      expect(!r.ok && r.error.code).toBe("invalid_input");
    }
    const float = formatInvoiceExport([inv]).replace(
      '"totalMinor":"12345678901234567890"',
      '"totalMinor":"1.5"',
    );
    expect(parseInvoiceExport(float).ok).toBe(false);
  });
});

describe("the record-gap policy", () => {
  test("15 min idle records give 20 min; the slack is at least a minute; a bad interval throws", () => {
    expect(SITE_MAX_RECORD_GAP_MS).toBe(20 * 60_000);
    expect(maxRecordGapMsFor(60_000)).toBe(120_000);
    expect(() => maxRecordGapMsFor(0)).toThrow(RangeError);
    expect(() => maxRecordGapMsFor(1.5)).toThrow(RangeError);
  });
});

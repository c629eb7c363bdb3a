import { describe, expect, it } from "vitest";
import {
  exact,
  formatDecimal,
  inTimeWindow,
  instantOfLocal,
  localParts,
  ocpiTariffSchema,
  parseDecimal,
  parseJsonKeepingNumbers,
  parseTariffs,
  parseCdrSession,
  rateMeteredSession,
  tariffVersionAt,
} from "@chargemesh/shared-model";
import type { MeterReading, PricingPolicy } from "@chargemesh/shared-model";
import { cdrSession, rated, tariff } from "./sessionBuilder.js";

const energyTariff = (price: string, vat = "20") =>
  ocpiTariffSchema.parse(tariff("e", [{ price_components: [{ type: "ENERGY", price, vat, step_size: 1 }] }]));
/** Readings every `minutes` with the given Wh rises (0 = parking). */
function readings(startIso: string, minutes: number, rises: number[]): MeterReading[] {
  let t = Date.parse(startIso);
  let wh = 50_000;
  const out: MeterReading[] = [{ meterId: "m7", seq: 40, meterTimeMs: t, registerWh: wh }];
  rises.forEach((r, i) => {
    t += minutes * 60_000;
    wh += r;
    out.push({ meterId: "m7", seq: 41 + i, meterTimeMs: t, registerWh: wh });
  });
  return out;
}
const rate = (t: ReturnType<typeof energyTariff>, rs: MeterReading[], policy?: PricingPolicy) => {
  const r = rateMeteredSession(t, { timeZone: "Europe/Berlin", readings: rs }, policy);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
};

describe("exact decimal text", () => {
  it("reads decimal text without floats and writes it back exactly", () => {
    expect(formatDecimal(parseDecimal("0.1"))).toBe("0.1");
    expect(formatDecimal(exact.add(parseDecimal("0.1"), parseDecimal("0.2")))).toBe("0.3");
    expect(formatDecimal(exact.rat(1, 12))).toBe("0.08(3)");
    expect(parseDecimal("0.08(3)")).toEqual(exact.rat(1, 12));
    expect(formatDecimal(exact.rat(1, 191))).toBe("1/191");
    expect(parseDecimal("1/191")).toEqual(exact.rat(1, 191));
    expect(parseDecimal("2.5e-3")).toEqual(exact.rat(1, 400));
    expect(() => parseDecimal("1,5")).toThrow(/not a decimal/);
  });

  it("JSON numbers keep the text they were written as", () => {
    const r = parseJsonKeepingNumbers('{"a": 2.00, "b": [0.1, -3e2], "c": "2.00 \\" 1.5", "d": true}');
    expect(r.ok && r.value).toEqual({ a: "2.00", b: ["0.1", "-3e2"], c: '2.00 " 1.5', d: true });
    const bad = parseJsonKeepingNumbers('{"a": 01}');
    expect(bad.ok).toBe(false);
  });
});

describe("restriction boundaries in local time", () => {
  it("a window whose end_time is before its start_time wraps midnight; 00:00 as end means end of day", () => {
    expect(inTimeWindow(23 * 3600, "22:00", "06:00")).toBe(true);
    expect(inTimeWindow(5 * 3600, "22:00", "06:00")).toBe(true);
    expect(inTimeWindow(6 * 3600, "22:00", "06:00")).toBe(false);
    expect(inTimeWindow(21 * 3600, "20:00", "00:00")).toBe(true);
    expect(inTimeWindow(10 * 3600, "20:00", "00:00")).toBe(false);
  });

  it("a night rate 22:00-06:00 splits a session at both ends, in the session's zone", () => {
    const t = tariff("n", [
      {
        price_components: [{ type: "TIME", price: "1.00", step_size: 1 }],
        restrictions: { start_time: "22:00", end_time: "06:00" },
      },
      { price_components: [{ type: "TIME", price: "3.00", step_size: 1 }] },
    ]);
    // 21:00 to 07:00 Europe/Berlin in January = 20:00Z to 06:00Z: 1 h day, 8 h night, 1 h day.
    const r = rated(t, cdrSession("2026-01-14T20:00:00Z", [{ kind: "charging", minutes: 600, kwh: "30" }]));
    expect(r.cdr.total_time_cost.excl_vat).toBe("14");
    expect(r.lines.map((l) => [l.elementIndex, formatDecimal(l.quantity)])).toEqual([
      [1, "3600"],
      [0, "28800"],
      [1, "3600"],
    ]);
  });

  it("day_of_week and dates change at local midnight; start_date inclusive, end_date exclusive", () => {
    const t = tariff("d", [
      {
        price_components: [{ type: "TIME", price: "10", step_size: 1 }],
        restrictions: { start_date: "2026-01-15", end_date: "2026-01-16" },
      },
      {
        price_components: [{ type: "TIME", price: "1", step_size: 1 }],
        restrictions: { day_of_week: ["WEDNESDAY"] },
      },
    ]);
    // Wednesday 2026-01-14 23:00 local to Friday 00:30 local: 1 h Wednesday, 24 h on the 15th, 30 min unpriced.
    const r = rated(
      t,
      cdrSession("2026-01-14T22:00:00Z", [{ kind: "charging", minutes: 25 * 60 + 30, kwh: "40" }]),
    );
    expect(r.cdr.total_time_cost.excl_vat).toBe("241");
    expect(r.cdr.total_time).toBe("25.5");
  });

  it("DST: local time comes from the zone's rules (Europe/Berlin spring forward and fall back)", () => {
    expect(localParts(Date.parse("2026-03-29T00:59:59Z"), "Europe/Berlin").secondOfDay).toBe(3600 + 3599);
    expect(localParts(Date.parse("2026-03-29T01:00:00Z"), "Europe/Berlin").secondOfDay).toBe(3 * 3600);
    expect(instantOfLocal("2026-10-25", 2.5 * 3600, "Europe/Berlin")).toBe(
      Date.parse("2026-10-25T00:30:00Z"),
    ); // first of two
    const t = tariff("dst", [
      {
        price_components: [{ type: "TIME", price: "1", step_size: 1 }],
        restrictions: { start_time: "03:00" },
      },
      { price_components: [{ type: "TIME", price: "2", step_size: 1 }] },
    ]);
    // 00:00Z-02:00Z on 2026-03-29 is local 01:00-04:00 with 02:00-03:00 skipped: 1 h before 03:00, 1 h after.
    const r = rated(t, cdrSession("2026-03-29T00:00:00Z", [{ kind: "charging", minutes: 120, kwh: "10" }]));
    expect(r.lines.map((l) => [l.elementIndex, formatDecimal(l.quantity)])).toEqual([
      [1, "3600"],
      [0, "3600"],
    ]);
  });

  it("a kWh threshold splits a metered interval exactly where the register crosses it", () => {
    const t = ocpiTariffSchema.parse(
      tariff("k", [
        {
          price_components: [{ type: "ENERGY", price: "0.10", step_size: 1 }],
          restrictions: { max_kwh: "5" },
        },
        { price_components: [{ type: "ENERGY", price: "0.50", step_size: 1 }] },
      ]),
    );
    const r = rate(t, readings("2026-01-14T10:00:00Z", 30, [4000, 4000]));
    expect(r.lines.map((l) => formatDecimal(l.quantity))).toEqual(["5000", "3000"]);
    expect(r.cdr.total_energy_cost.excl_vat).toBe("2");
    expect(r.lines[0]!.records).toEqual([
      { meterId: "m7", seq: 40 },
      { meterId: "m7", seq: 41 },
      { meterId: "m7", seq: 42 },
    ]);
    expect(r.lines[1]!.records).toEqual([
      { meterId: "m7", seq: 41 },
      { meterId: "m7", seq: 42 },
    ]);
    expect(r.sessionRecords).toEqual([
      { meterId: "m7", seq: 40 },
      { meterId: "m7", seq: 42 },
    ]);
  });
});

describe("tariff versions", () => {
  const v = (id: string, from?: string, to?: string, price = "0.30") =>
    ocpiTariffSchema.parse(
      tariff(id, [{ price_components: [{ type: "ENERGY", price, step_size: 1 }] }], {
        start_date_time: from,
        end_date_time: to,
      }),
    );
  it("the version valid at session start applies, even when the session runs past a change", () => {
    const versions = [
      v("t", undefined, "2026-02-01T00:00:00Z", "0.30"),
      v("t", "2026-02-01T00:00:00Z", undefined, "0.40"),
    ];
    expect(
      tariffVersionAt(versions, Date.parse("2026-01-31T23:00:00Z")).ok &&
        formatDecimal(parseDecimal(versions[0]!.elements[0]!.price_components[0]!.price)),
    ).toBe("0.3");
    const r = rateMeteredSession(versions, {
      timeZone: "Europe/Berlin",
      readings: readings("2026-01-31T23:30:00Z", 60, [10_000]),
    });
    expect(r.ok && r.value.cdr.total_cost.excl_vat).toBe("3");
    const later = rateMeteredSession(versions, {
      timeZone: "Europe/Berlin",
      readings: readings("2026-02-01T00:30:00Z", 60, [10_000]),
    });
    expect(later.ok && later.value.cdr.total_cost.excl_vat).toBe("4");
  });
  it("no valid version is an error value", () => {
    const r = tariffVersionAt([v("t", "2027-01-01T00:00:00Z")], Date.parse("2026-01-01T00:00:00Z"));
    expect(!r.ok && r.error.code).toBe("not_found");
  });
});

describe("memberships, promotions and idle fees", () => {
  const t = energyTariff("0.40");
  const session = readings("2026-01-14T10:00:00Z", 30, [5000, 5000, 0, 0, 0]); // 10 kWh, then 90 min plugged in
  const at = (iso: string) => Date.parse(iso);

  it("free first kWh, then the tier, then the best single percentage, then fixed codes", () => {
    const policy: PricingPolicy = {
      accountId: "acct-1",
      enteredCodes: ["WELCOME"],
      tier: { id: "gold", discountPercent: "10" },
      promotions: [
        { kind: "free_energy", id: "first-kwh", wh: 1000 },
        { kind: "percent_off", id: "winter", percent: "5", validUntilMs: at("2026-02-01T00:00:00Z") },
        { kind: "percent_off", id: "launch", percent: "20", validUntilMs: at("2026-02-01T00:00:00Z") },
        { kind: "percent_off", id: "expired", percent: "50", validUntilMs: at("2026-01-01T00:00:00Z") },
        {
          kind: "account_code",
          id: "welcome",
          code: "WELCOME",
          accountIds: ["acct-1"],
          amountExclVat: "0.50",
        },
        { kind: "account_code", id: "not-mine", code: "WELCOME", accountIds: ["acct-2"], amountExclVat: "9" },
      ],
    };
    const r = rate(t, session, policy);
    // 4.00 -> free kWh 0.40 -> 3.60 -> gold 10% 0.36 -> 3.24 -> launch 20% 0.648 -> 2.592 -> code 0.50 -> 2.092
    expect(r.discounts.map((d) => [d.kind, d.sources.join(), formatDecimal(d.exclVat)])).toEqual([
      ["free_energy", "first-kwh", "0.4"],
      ["tier", "gold", "0.36"],
      ["percent", "launch", "0.648"],
      ["amount", "welcome", "0.5"],
    ]);
    expect(formatDecimal(r.amountDue.exclVat)).toBe("2.092");
    expect(formatDecimal(r.amountDue.inclVat)).toBe("2.5104");
    expect([
      r.invoice.grossExclVatMinor,
      r.invoice.discountExclVatMinor,
      r.invoice.netExclVatMinor,
      r.invoice.vatMinor,
      r.invoice.totalInclVatMinor,
    ]).toEqual([400n, 191n, 209n, 42n, 251n]);
    expect(r.cdr.total_cost.excl_vat).toBe("4"); // the OCPI fields are the tariff's alone
    expect(r.invoice.lines.map((l) => [l.kind, l.exclVatMinor, l.vatMinor])).toEqual([
      ["tariff", 400n, 80n],
      ["discount", -40n, -8n],
      ["discount", -36n, -7n],
      ["discount", -65n, -13n],
      ["discount", -50n, -10n],
    ]);
  });

  it("discounts never take the amount below zero", () => {
    const r = rate(t, session, {
      accountId: "a",
      enteredCodes: ["BIG"],
      promotions: [{ kind: "account_code", id: "big", code: "BIG", accountIds: ["a"], amountExclVat: "100" }],
    });
    expect(r.invoice.totalInclVatMinor).toBe(0n);
    expect(formatDecimal(r.discounts[0]!.exclVat)).toBe("4");
  });

  it("idle fee after the grace period, counted from the end of charging, in blocks, naming the readings", () => {
    const idleFee = { graceSeconds: 1800, pricePerHour: "6", stepSeconds: 900, vatPercent: "20" };
    const r = rate(t, session, { idleFee });
    // Charging ended at seq 42 (11:00Z); plugged in until seq 45 (12:30Z): 90 min - 30 grace = 60 min -> 6.00.
    expect(
      r.idleFee && [
        formatDecimal(r.idleFee.idleSeconds),
        formatDecimal(r.idleFee.exclVat),
        r.idleFee.records,
      ],
    ).toEqual([
      "5400",
      "6",
      [
        { meterId: "m7", seq: 42 },
        { meterId: "m7", seq: 45 },
      ],
    ]);
    expect(r.invoice.totalInclVatMinor).toBe(480n + 720n);
    const inGrace = rate(t, session.slice(0, 4), { idleFee });
    expect(inGrace.idleFee).toBeNull();
  });
});

describe("invalid input names what is wrong", () => {
  it("zod issues name the field", () => {
    const r = parseTariffs({
      country_code: "DE",
      party_id: "ALL",
      id: "x",
      currency: "euro",
      elements: [{ price_components: [{ type: "POWER", price: "1", step_size: 1 }] }],
    });
    expect(!r.ok && r.error.message).toMatch(/currency: expected an ISO 4217 code/);
    expect(!r.ok && r.error.message).toMatch(/elements\.0\.price_components\.0\.type/);
    const s = parseCdrSession({
      start_date_time: "2026-01-01T10:00:00Z",
      end_date_time: "2026-01-01T09:00:00Z",
      time_zone: "Mars/Olympus",
      charging_periods: [],
    });
    expect(!s.ok && s.error.message).toMatch(/time_zone: not an IANA time zone/);
    expect(!s.ok && s.error.message).toMatch(/charging_periods/);
  });
  it("metered readings that go backwards are an error value", () => {
    const rs = readings("2026-01-14T10:00:00Z", 30, [100]);
    const r = rateMeteredSession(energyTariff("1"), { timeZone: "UTC", readings: [rs[1]!, rs[0]!] });
    expect(!r.ok && r.error.code).toBe("invalid_input");
  });
});

import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  cdrSessionSchema,
  exact,
  formatDecimal,
  liveCost,
  parseDecimal,
  ocpiTariffSchema,
  rateCdrSession,
  rateMeteredSession,
} from "@chargemesh/shared-model";
import type {
  CdrSession,
  MeterReading,
  OcpiTariff,
  OcpiTariffInput,
  SessionRating,
} from "@chargemesh/shared-model";

const ZONES = ["Europe/Berlin", "America/New_York", "Asia/Kolkata", "UTC"];
const hhmm = fc
  .tuple(fc.integer({ min: 0, max: 23 }), fc.constantFrom(0, 15, 30, 45))
  .map(([h, m]) => `${String(h).padStart(2, "0")}:${String(m).padStart(2, "0")}`);
const money = fc.integer({ min: 0, max: 500 }).map((c) => formatDecimal(exact.rat(c, 100)));
const vat = fc.option(fc.constantFrom("0", "7", "19", "20", "5.2"), { nil: undefined });

const restrictions = fc.record(
  {
    start_time: hhmm,
    end_time: hhmm,
    day_of_week: fc.subarray(
      ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"] as const,
      { minLength: 1 },
    ),
    min_kwh: fc.integer({ min: 0, max: 30 }).map(String),
    max_kwh: fc.integer({ min: 1, max: 60 }).map(String),
    min_duration: fc.integer({ min: 0, max: 4 * 3600 }),
    max_duration: fc.integer({ min: 60, max: 6 * 3600 }),
    max_power: fc.constantFrom("7", "11", "22", "50"),
  },
  { requiredKeys: [] },
);

const component = fc.record({
  type: fc.constantFrom("ENERGY" as const, "FLAT" as const, "TIME" as const, "PARKING_TIME" as const),
  price: money,
  vat,
  step_size: fc.constantFrom(0, 1, 60, 100, 300, 500, 900),
});

const tariffArb: fc.Arbitrary<OcpiTariff> = fc
  .record({
    elements: fc.array(
      fc.record({
        price_components: fc.array(component, { minLength: 1, maxLength: 3 }),
        restrictions: fc.option(restrictions, { nil: undefined }),
      }),
      { minLength: 1, maxLength: 5 },
    ),
    min_price: fc.option(fc.record({ excl_vat: money, incl_vat: money }), { nil: undefined }),
    max_price: fc.option(
      fc.record({ excl_vat: money.map((m) => formatDecimal(exact.add(exact.rat(5), parsed(m)))) }),
      { nil: undefined },
    ),
  })
  .map((t) =>
    ocpiTariffSchema.parse({
      country_code: "DE",
      party_id: "CMX",
      id: "prop",
      currency: "EUR",
      ...t,
    } satisfies OcpiTariffInput),
  );

const parsed = (m: string) => parseDecimal(m);

/** A session as a list of periods: whole minutes, whole Wh (so that every split below is exact). */
interface Period {
  charging: boolean;
  minutes: number;
  wh: number;
}
const periodsArb = fc.array(
  fc
    .record({
      charging: fc.boolean(),
      minutes: fc.integer({ min: 1, max: 240 }),
      whPerMinute: fc.integer({ min: 0, max: 600 }),
    })
    .map(({ charging, minutes, whPerMinute }) => ({ charging, minutes, wh: minutes * whPerMinute })),
  { minLength: 1, maxLength: 6 },
);
const startArb = fc
  .integer({ min: Date.UTC(2025, 0, 1), max: Date.UTC(2027, 0, 1) })
  .map((ms) => ms - (ms % 60_000));

function toCdr(startMs: number, periods: readonly Period[], zone: string): CdrSession {
  let t = startMs;
  const charging_periods = periods.map((p) => {
    const hours = formatDecimal(exact.rat(p.minutes, 60));
    const dims = p.charging
      ? [
          { type: "ENERGY", volume: formatDecimal(exact.rat(p.wh, 1000)) },
          { type: "TIME", volume: hours },
        ]
      : [{ type: "PARKING_TIME", volume: hours }];
    const out = { start_date_time: new Date(t).toISOString(), dimensions: dims };
    t += p.minutes * 60_000;
    return out;
  });
  return cdrSessionSchema.parse({
    start_date_time: new Date(startMs).toISOString(),
    end_date_time: new Date(t).toISOString(),
    time_zone: zone,
    charging_periods,
  });
}

function toReadings(startMs: number, periods: readonly Period[]): MeterReading[] {
  const out: MeterReading[] = [{ meterId: "m1", seq: 10, meterTimeMs: startMs, registerWh: 1_000_000 }];
  for (const p of periods) {
    const prev = out[out.length - 1]!;
    out.push({
      meterId: "m1",
      seq: prev.seq + 1,
      meterTimeMs: prev.meterTimeMs + p.minutes * 60_000,
      registerWh: prev.registerWh + (p.charging ? p.wh : 0),
    });
  }
  return out;
}

const unwrap = (r: ReturnType<typeof rateCdrSession>): SessionRating => {
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
};
const totals = (r: SessionRating) => ({
  cdr: r.cdr,
  invoice: r.invoice.totalInclVatMinor,
  net: r.invoice.netExclVatMinor,
});
const charging = (ps: Period[]) => ps.map((p) => (p.charging ? p : { ...p, wh: 0 }));

describe("rating properties (fast-check)", () => {
  it("cutting a charging period in two anywhere (quantities shared in proportion) changes no total", () => {
    fc.assert(
      fc.property(
        tariffArb,
        periodsArb,
        startArb,
        fc.constantFrom(...ZONES),
        fc.nat(),
        fc.nat(),
        (tariff, ps, start, zone, which, at) => {
          const i = which % ps.length;
          const p = ps[i]!;
          fc.pre(p.minutes >= 2);
          const k = 1 + (at % (p.minutes - 1));
          // The two halves keep the period's average power: energy shared by time.
          const whole = toCdr(start, charging(ps), zone);
          const cut = structuredClone(whole);
          const hours = (m: number) => formatDecimal(exact.rat(m, 60));
          const first = cut.charging_periods[i]!;
          const second = structuredClone(first);
          second.start_date_time = new Date(Date.parse(first.start_date_time) + k * 60_000).toISOString();
          const share = (volume: string, num: number) =>
            formatDecimal(exact.mul(exact.rat(num, p.minutes), parseDecimal(volume)));
          // (energy is generated as whole Wh per minute, so both shares are exact decimals)
          first.dimensions = first.dimensions.map((d) => ({
            ...d,
            volume: d.type === "ENERGY" ? share(d.volume, k) : hours(k),
          }));
          second.dimensions = second.dimensions.map((d) => ({
            ...d,
            volume: d.type === "ENERGY" ? share(d.volume, p.minutes - k) : hours(p.minutes - k),
          }));
          cut.charging_periods.splice(i + 1, 0, second);
          expect(totals(unwrap(rateCdrSession(tariff, cdrSessionSchema.parse(cut))))).toEqual(
            totals(unwrap(rateCdrSession(tariff, whole))),
          );
        },
      ),
      { numRuns: 100 },
    );
  });

  it("totals are never negative, incl. VAT never below excl. VAT, and min_price / max_price hold", () => {
    fc.assert(
      fc.property(tariffArb, periodsArb, startArb, fc.constantFrom(...ZONES), (tariff, ps, start, zone) => {
        const r = unwrap(rateCdrSession(tariff, toCdr(start, charging(ps), zone)));
        const total = r.exact.total;
        for (const l of r.lines) {
          expect(exact.isNegative(l.exclVat)).toBe(false);
          expect(exact.cmp(l.inclVat, l.exclVat)).toBeGreaterThanOrEqual(0);
          expect(exact.cmp(l.billedQuantity, l.quantity)).toBeGreaterThanOrEqual(0);
        }
        expect(exact.isNegative(total.exclVat)).toBe(false);
        if (tariff.min_price)
          expect(exact.cmp(total.exclVat, parseDecimal(tariff.min_price.excl_vat))).toBeGreaterThanOrEqual(0);
        if (tariff.min_price?.incl_vat)
          expect(exact.cmp(total.inclVat, parseDecimal(tariff.min_price.incl_vat))).toBeGreaterThanOrEqual(0);
        if (tariff.max_price)
          expect(exact.cmp(total.exclVat, parseDecimal(tariff.max_price.excl_vat))).toBeLessThanOrEqual(0);
        expect(r.invoice.totalInclVatMinor >= 0n && r.invoice.netExclVatMinor >= 0n).toBe(true);
        expect(r.invoice.netExclVatMinor + r.invoice.vatMinor).toBe(r.invoice.totalInclVatMinor);
        // The invoice lines add up to the net amount and to the VAT exactly.
        expect(r.invoice.lines.reduce((a, l) => a + l.exclVatMinor, 0n)).toBe(r.invoice.netExclVatMinor);
        expect(r.invoice.lines.reduce((a, l) => a + l.vatMinor, 0n)).toBe(r.invoice.vatMinor);
      }),
      { numRuns: 150 },
    );
  });

  it("signed meter readings and the same session as CDR periods rate identically", () => {
    fc.assert(
      fc.property(tariffArb, periodsArb, startArb, fc.constantFrom(...ZONES), (tariff, ps, start, zone) => {
        // A CDR period with no energy is parking, as a reading interval with a flat register is.
        const same = ps.map((p) => ({ ...p, charging: p.charging && p.wh > 0 }));
        const metered = unwrap(
          rateMeteredSession(tariff, { timeZone: zone, readings: toReadings(start, same) }),
        );
        const cdr = unwrap(rateCdrSession(tariff, toCdr(start, same, zone)));
        expect(totals(metered)).toEqual(totals(cdr));
      }),
      { numRuns: 100 },
    );
  });

  it("a reading on the straight line between two readings changes no total, and every line names its records", () => {
    fc.assert(
      fc.property(
        tariffArb,
        periodsArb,
        startArb,
        fc.constantFrom(...ZONES),
        fc.nat(),
        (tariff, ps, start, zone, which) => {
          const doubled = ps.map((p) => ({ ...p, minutes: p.minutes * 2, wh: p.wh * 2 }));
          const readings = toReadings(start, doubled);
          const i = 1 + (which % (readings.length - 1));
          const [a, b] = [readings[i - 1]!, readings[i]!];
          const mid = {
            meterId: "m1",
            seq: 0,
            meterTimeMs: (a.meterTimeMs + b.meterTimeMs) / 2,
            registerWh: (a.registerWh + b.registerWh) / 2,
          };
          const withMid = [...readings.slice(0, i), mid, ...readings.slice(i)].map((r, j) => ({
            ...r,
            seq: 100 + j,
          }));
          const plain = unwrap(
            rateMeteredSession(tariff, {
              timeZone: zone,
              readings: readings.map((r, j) => ({ ...r, seq: 100 + j })),
            }),
          );
          const more = unwrap(rateMeteredSession(tariff, { timeZone: zone, readings: withMid }));
          expect(totals(more)).toEqual(totals(plain));
          const seqs = new Set(withMid.map((r) => r.seq));
          for (const l of more.lines) {
            expect(l.records.length).toBeGreaterThan(0);
            for (const rec of l.records) expect(seqs.has(rec.seq) && rec.meterId === "m1").toBe(true);
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it("the live cost at a session's last reading is the invoice of the session ended there", () => {
    fc.assert(
      fc.property(tariffArb, periodsArb, startArb, fc.nat(), (tariff, ps, start, cut) => {
        const readings = toReadings(start, ps);
        const soFar = readings.slice(0, 1 + (cut % readings.length));
        const live = unwrap(liveCost(tariff, { timeZone: "Europe/Berlin", readings: soFar }));
        const billed = unwrap(rateMeteredSession(tariff, { timeZone: "Europe/Berlin", readings: soFar }));
        expect(live.invoice).toEqual(billed.invoice);
      }),
      { numRuns: 60 },
    );
  });
});

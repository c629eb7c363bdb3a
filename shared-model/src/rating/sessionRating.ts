import { ChargemeshError, err, ok } from "../errors.js";
import type { Result } from "../errors.js";
import { formatDecimal } from "./decimalText.js";
import { addPrices, roundInvoice } from "./invoiceRounding.js";
import type { InvoiceAmounts, InvoiceLineInput } from "./invoiceRounding.js";
import type { CdrSession } from "./ocpiSessionSchema.js";
import type { OcpiTariff } from "./ocpiTariffSchema.js";
import { discountLines, idleFeeLine } from "./pricingPolicy.js";
import type { DiscountLine, IdleFeeLine, PricingPolicy } from "./pricingPolicy.js";
import { div, floor, isZero, rat, sub, sum } from "./rational.js";
import type { Rational } from "./rational.js";
import { timelineFromCdr, timelineFromReadings } from "./sessionTimeline.js";
import type { MeteredSession, SignedRecordRef, SessionTimeline } from "./sessionTimeline.js";
import { rateTimeline } from "./tariffRating.js";
import type { ExactPrice, TariffLine, TariffRating } from "./tariffRating.js";
import { tariffVersionAt } from "./tariffVersion.js";

/** An OCPI Price as exact decimal text. */
export interface DecimalPrice {
  readonly excl_vat: string;
  readonly incl_vat: string;
}

/** The OCPI CDR cost fields, exact decimal text before any rounding (see decimalText.ts). */
export interface CdrCostFields {
  readonly total_cost: DecimalPrice;
  readonly total_fixed_cost: DecimalPrice;
  readonly total_energy_cost: DecimalPrice;
  readonly total_time_cost: DecimalPrice;
  readonly total_parking_cost: DecimalPrice;
  readonly total_reservation_cost: DecimalPrice;
  /** kWh */
  readonly total_energy: string;
  /** hours, charging plus parking */
  readonly total_time: string;
  /** hours */
  readonly total_parking_time: string;
}

export interface SessionRating {
  readonly tariff: {
    readonly id: string;
    readonly startDateTime: string | null;
    readonly lastUpdated: string | null;
  };
  readonly currency: string;
  readonly cdr: CdrCostFields;
  readonly limitApplied: "min_price" | "max_price" | null;
  /** The signed readings the session starts and ends at (empty for CDR input): for receipts. */
  readonly sessionRecords: readonly SignedRecordRef[];
  /** Exact figures for callers that go on computing (the ledger, the auditor). */
  readonly exact: TariffRating;
  readonly lines: readonly TariffLine[];
  readonly discounts: readonly DiscountLine[];
  readonly idleFee: IdleFeeLine | null;
  /** The amount due exactly: tariff total + idle fee - discounts. */
  readonly amountDue: ExactPrice;
  readonly invoice: InvoiceAmounts;
}

const price = (p: ExactPrice): DecimalPrice => ({
  excl_vat: formatDecimal(p.exclVat),
  incl_vat: formatDecimal(p.inclVat),
});

function guarded<T>(f: () => Result<T>): Result<T> {
  try {
    return f();
  } catch (e) {
    if (e instanceof ChargemeshError) return err(e);
    return err(new ChargemeshError("internal", `rating failed: ${(e as Error).message}`));
  }
}

/**
 * A tariff line as a driver reads it on a receipt: what was priced, how much, at which price excl.
 * VAT ("energy 1.980 kWh at 0.39 EUR/kWh", "session fee 1 EUR", "charging time 0 h 42 min at 2.5
 * EUR/h"). Quantities as billed (after step_size), shown floored to Wh and whole seconds.
 */
function lineLabel(l: TariffLine, currency: string): string {
  const price = formatDecimal(l.price);
  const seconds = floor(l.billedQuantity);
  const duration = `${seconds / 3600n} h ${(seconds % 3600n) / 60n} min`;
  switch (l.dimension) {
    case "ENERGY":
      return `energy ${formatDecimal(rat(floor(l.billedQuantity), 1000n))} kWh at ${price} ${currency}/kWh`;
    case "TIME":
      return `charging time ${duration} at ${price} ${currency}/h`;
    case "PARKING_TIME":
      return `parking time ${duration} at ${price} ${currency}/h`;
    case "FLAT":
      return `session fee ${price} ${currency}`;
  }
}

function rate(
  tariffs: OcpiTariff | readonly OcpiTariff[],
  timeline: SessionTimeline,
  policy: PricingPolicy,
  currency?: string,
): Result<SessionRating> {
  const version = tariffVersionAt(tariffs, timeline.cdrStartMs);
  if (!version.ok) return version;
  const tariff = version.value;
  if (currency !== undefined && currency !== tariff.currency) {
    return err(
      new ChargemeshError(
        "invalid_input",
        `session currency ${currency} differs from tariff currency ${tariff.currency}`,
      ),
    );
  }
  const rated = rateTimeline(tariff, timeline);
  if (!rated.ok) return rated;
  const r = rated.value;
  const discounts = discountLines(policy, r.total, r.lines, timeline.sessionStartMs);
  const lastCharge = [...r.segments].reverse().find((s) => s.kind === "charging" && !isZero(s.energyWh));
  const chargingEnded = lastCharge ? lastCharge.endMs : rat(timeline.sessionStartMs);
  const idleRecords: SignedRecordRef[] = [
    ...(lastCharge?.records.slice(-1) ?? []),
    ...timeline.boundaryRecords.slice(-1),
  ];
  const idle = idleFeeLine(policy.idleFee, chargingEnded, timeline.endMs, idleRecords);
  const discountTotal: ExactPrice = {
    exclVat: sum(discounts.map((d) => d.exclVat)),
    inclVat: sum(discounts.map((d) => d.inclVat)),
  };
  const charges = idle ? addPrices(r.total, idle) : r.total;
  const limitDelta: ExactPrice = {
    exclVat: sub(r.total.exclVat, r.beforeLimits.exclVat),
    inclVat: sub(r.total.inclVat, r.beforeLimits.inclVat),
  };
  const negate = (p: ExactPrice): ExactPrice => ({
    exclVat: rat(-p.exclVat.n, p.exclVat.d),
    inclVat: rat(-p.inclVat.n, p.inclVat.d),
  });
  const invoiceLines: InvoiceLineInput[] = [
    ...r.lines.map((l) => ({
      kind: "tariff" as const,
      label: lineLabel(l, tariff.currency),
      records: l.records,
      price: { exclVat: l.exclVat, inclVat: l.inclVat },
    })),
    ...(r.limitApplied
      ? [
          {
            kind: "price_limit" as const,
            label: `${r.limitApplied} adjustment`,
            records: [],
            price: limitDelta,
          },
        ]
      : []),
    ...(idle
      ? [
          {
            kind: "idle_fee" as const,
            label: "idle fee",
            records: idle.records,
            price: { exclVat: idle.exclVat, inclVat: idle.inclVat },
          },
        ]
      : []),
    ...discounts.map((d) => ({
      kind: "discount" as const,
      label: `discount ${d.kind} ${d.sources.join(",")}`,
      records: [],
      price: negate(d),
    })),
  ];
  const hours = (s: Rational) => formatDecimal(div(s, rat(3600n)));
  return ok({
    tariff: {
      id: tariff.id,
      startDateTime: tariff.start_date_time ?? null,
      lastUpdated: tariff.last_updated ?? null,
    },
    currency: tariff.currency,
    cdr: {
      total_cost: price(r.total),
      total_fixed_cost: price(r.fixed),
      total_energy_cost: price(r.energy),
      total_time_cost: price(r.time),
      total_parking_cost: price(r.parking),
      total_reservation_cost: price(r.reservation),
      total_energy: formatDecimal(div(r.totalEnergyWh, rat(1000n))),
      total_time: hours(sum([r.totalChargingS, r.totalParkingS])),
      total_parking_time: hours(r.totalParkingS),
    },
    limitApplied: r.limitApplied,
    sessionRecords: timeline.boundaryRecords,
    exact: r,
    lines: r.lines,
    discounts,
    idleFee: idle,
    amountDue: {
      exclVat: sub(charges.exclVat, discountTotal.exclVat),
      inclVat: sub(charges.inclVat, discountTotal.inclVat),
    },
    invoice: roundInvoice(tariff.currency, charges, discountTotal, invoiceLines),
  });
}

/**
 * Rates an OCPI CDR-style session (already parsed by `cdrSessionSchema`) with the tariff version
 * valid at its start. Fails with invalid_input (bad volumes, currency mismatch, unbounded session)
 * or not_found (no tariff version valid at the start); never throws.
 */
export function rateCdrSession(
  tariffs: OcpiTariff | readonly OcpiTariff[],
  session: CdrSession,
  policy: PricingPolicy = {},
): Result<SessionRating> {
  return guarded(() => {
    const timeline = timelineFromCdr(session);
    return timeline.ok ? rate(tariffs, timeline.value, policy, session.currency) : timeline;
  });
}

/**
 * Rates a session from its signed meter readings (verified by the caller) with the tariff version
 * valid at the first reading; the session ends at the last reading. Every line names the records
 * (meter, seq) it derives from. Fails like `rateCdrSession`; never throws.
 */
export function rateMeteredSession(
  tariffs: OcpiTariff | readonly OcpiTariff[],
  session: MeteredSession,
  policy: PricingPolicy = {},
): Result<SessionRating> {
  return guarded(() => {
    const timeline = timelineFromReadings(session);
    return timeline.ok ? rate(tariffs, timeline.value, policy) : timeline;
  });
}

/**
 * The live cost of a session in progress: the very same rating as the invoice, of the readings so
 * far, as if the session ended at the latest one. When the session does end at that reading the
 * figure is the invoice's, to the minor unit.
 */
export function liveCost(
  tariffs: OcpiTariff | readonly OcpiTariff[],
  readingsSoFar: MeteredSession,
  policy: PricingPolicy = {},
): Result<SessionRating> {
  return rateMeteredSession(tariffs, readingsSoFar, policy);
}

/** A JSON-safe view of a rating: exact decimal text for amounts, integers for minor units. */
export function ratingToJson(r: SessionRating): Record<string, unknown> {
  const text = (x: Rational) => formatDecimal(x);
  const ms = (x: Rational) => new Date(Number(floor(x))).toISOString();
  return {
    tariff: r.tariff,
    currency: r.currency,
    ...r.cdr,
    limit_applied: r.limitApplied,
    session_records: r.sessionRecords,
    lines: r.lines.map((l) => ({
      group: l.group,
      dimension: l.dimension,
      element_index: l.elementIndex,
      component_index: l.componentIndex,
      price: text(l.price),
      vat: l.vatPercent === null ? null : text(l.vatPercent),
      step_size: l.stepSize,
      start: ms(l.startMs),
      end: ms(l.endMs),
      unit: l.dimension === "ENERGY" ? "Wh" : l.dimension === "FLAT" ? "session" : "s",
      quantity: text(l.quantity),
      billed_quantity: text(l.billedQuantity),
      excl_vat: text(l.exclVat),
      incl_vat: text(l.inclVat),
      records: l.records,
      periods: l.periods,
    })),
    discounts: r.discounts.map((d) => ({
      kind: d.kind,
      sources: d.sources,
      excl_vat: text(d.exclVat),
      incl_vat: text(d.inclVat),
    })),
    idle_fee: r.idleFee && {
      charging_ended: ms(r.idleFee.chargingEndedMs),
      idle_seconds: text(r.idleFee.idleSeconds),
      billed_seconds: text(r.idleFee.billedSeconds),
      excl_vat: text(r.idleFee.exclVat),
      incl_vat: text(r.idleFee.inclVat),
      records: r.idleFee.records,
    },
    amount_due: { excl_vat: text(r.amountDue.exclVat), incl_vat: text(r.amountDue.inclVat) },
    invoice: {
      currency: r.invoice.currency,
      exponent: r.invoice.exponent,
      gross_excl_vat_minor: r.invoice.grossExclVatMinor.toString(),
      discount_excl_vat_minor: r.invoice.discountExclVatMinor.toString(),
      net_excl_vat_minor: r.invoice.netExclVatMinor.toString(),
      vat_minor: r.invoice.vatMinor.toString(),
      total_incl_vat_minor: r.invoice.totalInclVatMinor.toString(),
      lines: r.invoice.lines.map((l) => ({
        kind: l.kind,
        label: l.label,
        records: l.records,
        excl_vat_minor: l.exclVatMinor.toString(),
        vat_minor: l.vatMinor.toString(),
        incl_vat_minor: l.inclVatMinor.toString(),
      })),
    },
  };
}

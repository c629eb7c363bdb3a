import { minorUnitExponent } from "./currencyMinorUnits.js";
import { add, mul, rat, roundHalfAwayFromZero, sub } from "./rational.js";
import type { Rational } from "./rational.js";
import type { ExactPrice } from "./tariffRating.js";

/**
 * The one invoice rounding rule (docs/rating.md): everything is exact until three figures are
 * rounded, half away from zero, to the currency's minor unit: the gross amount excl. VAT, the net
 * amount excl. VAT (after discounts) and the total incl. VAT. The discount is gross minus net and the
 * VAT is total minus net, both from the rounded figures, so every invoice balances to the minor unit.
 * Lines are rounded the same way, and the line with the largest amount absorbs what separates their
 * sum from the totals, so the lines add up to the net amount and to the VAT exactly.
 */
export interface InvoiceAmounts {
  readonly currency: string;
  /** Decimals of the minor unit (EUR 2). */
  readonly exponent: number;
  readonly grossExclVatMinor: bigint;
  readonly discountExclVatMinor: bigint;
  readonly netExclVatMinor: bigint;
  readonly vatMinor: bigint;
  readonly totalInclVatMinor: bigint;
  readonly lines: readonly InvoiceLine[];
}

export type InvoiceLineKind = "tariff" | "price_limit" | "idle_fee" | "discount";

export interface InvoiceLine {
  readonly kind: InvoiceLineKind;
  readonly label: string;
  /** The signed records (meter, seq) the line derives from; empty for lines on the whole session. */
  readonly records: readonly { readonly meterId: string; readonly seq: number }[];
  /** Negative for discounts (and a max_price adjustment). */
  readonly exclVatMinor: bigint;
  readonly vatMinor: bigint;
  readonly inclVatMinor: bigint;
}

export interface InvoiceLineInput {
  readonly kind: InvoiceLineKind;
  readonly label: string;
  readonly records: InvoiceLine["records"];
  readonly price: ExactPrice;
}

/** An exact amount in minor units of `currency`, rounded half away from zero. */
export function toMinorUnits(amount: Rational, currency: string): bigint {
  return roundHalfAwayFromZero(mul(amount, rat(10n ** BigInt(minorUnitExponent(currency)))));
}

/** Builds the rounded invoice from the exact charges and discounts. */
export function roundInvoice(
  currency: string,
  charges: ExactPrice,
  discounts: ExactPrice,
  lines: readonly InvoiceLineInput[],
): InvoiceAmounts {
  const netExcl = sub(charges.exclVat, discounts.exclVat);
  const netIncl = sub(charges.inclVat, discounts.inclVat);
  const gross = toMinorUnits(charges.exclVat, currency);
  const net = toMinorUnits(netExcl, currency);
  const total = toMinorUnits(netIncl, currency);
  return {
    currency,
    exponent: minorUnitExponent(currency),
    grossExclVatMinor: gross,
    discountExclVatMinor: gross - net,
    netExclVatMinor: net,
    vatMinor: total - net,
    totalInclVatMinor: total,
    lines: balancedLines(lines, currency, net, total - net),
  };
}

export const addPrices = (a: ExactPrice, b: ExactPrice): ExactPrice => ({
  exclVat: add(a.exclVat, b.exclVat),
  inclVat: add(a.inclVat, b.inclVat),
});

/** Lines rounded one by one, the largest absorbing the residual so they sum to `net` and `vat`. */
function balancedLines(
  lines: readonly InvoiceLineInput[],
  currency: string,
  net: bigint,
  vat: bigint,
): InvoiceLine[] {
  const out = lines.map((l) => {
    const exclVatMinor = toMinorUnits(l.price.exclVat, currency);
    const inclVatMinor = toMinorUnits(l.price.inclVat, currency);
    return {
      kind: l.kind,
      label: l.label,
      records: l.records,
      exclVatMinor,
      vatMinor: inclVatMinor - exclVatMinor,
      inclVatMinor,
    };
  });
  if (out.length === 0) return out;
  const abs = (v: bigint) => (v < 0n ? -v : v);
  let largest = 0;
  out.forEach((l, i) => {
    if (abs(l.exclVatMinor) > abs(out[largest]!.exclVatMinor)) largest = i;
  });
  const l = out[largest]!;
  const exclVatMinor = l.exclVatMinor + net - out.reduce((a, x) => a + x.exclVatMinor, 0n);
  const vatMinor = l.vatMinor + vat - out.reduce((a, x) => a + x.vatMinor, 0n);
  out[largest] = { ...l, exclVatMinor, vatMinor, inclVatMinor: exclVatMinor + vatMinor };
  return out;
}

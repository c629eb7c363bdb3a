import { minorUnitExponent } from "./currencyMinorUnits.js";
import { add, mul, rat, roundHalfAwayFromZero, sub } from "./rational.js";
import type { Rational } from "./rational.js";
import type { ExactPrice } from "./tariffRating.js";

/**
 * The one invoice rounding rule (docs/rating.md): everything is exact until three figures are
 * rounded, half away from zero, to the currency's minor unit: the gross amount excl. VAT, the net
 * amount excl. VAT (after discounts) and the total incl. VAT. The discount is gross minus net and the
 * VAT is total minus net, both from the rounded figures, so every invoice balances to the minor unit.
 * Line amounts are rounded the same way for display only; the three totals are authoritative.
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

export interface InvoiceLine {
  readonly label: string;
  readonly exclVatMinor: bigint;
  readonly inclVatMinor: bigint;
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
  lines: readonly { label: string; price: ExactPrice }[],
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
    lines: lines.map((l) => ({
      label: l.label,
      exclVatMinor: toMinorUnits(l.price.exclVat, currency),
      inclVatMinor: toMinorUnits(l.price.inclVat, currency),
    })),
  };
}

export const addPrices = (a: ExactPrice, b: ExactPrice): ExactPrice => ({
  exclVat: add(a.exclVat, b.exclVat),
  inclVat: add(a.inclVat, b.inclVat),
});

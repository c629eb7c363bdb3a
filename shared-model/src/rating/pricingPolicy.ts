import { parseDecimal } from "./decimalText.js";
import {
  add,
  ceilToMultiple,
  cmp,
  div,
  isZero,
  max,
  min,
  mul,
  rat,
  sub,
  sum,
  ZERO,
  ONE,
} from "./rational.js";
import type { Rational } from "./rational.js";
import type { SignedRecordRef } from "./sessionTimeline.js";
import type { ExactPrice, TariffLine } from "./tariffRating.js";

/**
 * chargemesh pricing beyond OCPI: membership tiers, promotions and idle fees. Percentages and
 * amounts are decimal text; instants are ms. How they combine is fixed (docs/rating.md):
 *   1. the OCPI tariff total (after min_price / max_price);
 *   2. free energy: the first `wh` billed Wh of all eligible free-energy promotions together, at the
 *      prices and VAT of the energy lines they fall on;
 *   3. the membership tier's percentage, on what remains;
 *   4. the single largest eligible percentage promotion or percentage account code, on what remains
 *      (percentages never stack);
 *   5. eligible fixed-amount account codes, added up, last;
 *   every discount is capped at what remains, so the tariff part never goes below zero;
 *   6. the idle fee is added after all discounts and is never discounted.
 */
export interface MembershipTier {
  readonly id: string;
  /** Percentage off the tariff price, e.g. "10". */
  readonly discountPercent: string;
}

export type Promotion =
  | { readonly kind: "free_energy"; readonly id: string; readonly wh: number; readonly validUntilMs?: number }
  | {
      readonly kind: "percent_off";
      readonly id: string;
      readonly percent: string;
      readonly validUntilMs: number;
    }
  | {
      readonly kind: "account_code";
      readonly id: string;
      readonly code: string;
      /** The accounts the code was issued to. */
      readonly accountIds: readonly string[];
      readonly percent?: string;
      /** A fixed amount off, excl. VAT (the VAT share follows the session's VAT ratio). */
      readonly amountExclVat?: string;
      readonly validUntilMs?: number;
    };

export interface IdleFee {
  /** Free seconds after charging ended before the fee starts. */
  readonly graceSeconds: number;
  /** Price per hour of idle time, excl. VAT. */
  readonly pricePerHour: string;
  /** Idle time is billed in blocks of this many seconds (0 or 1 = to the second). */
  readonly stepSeconds: number;
  readonly vatPercent?: string;
  /** Cap on the idle fee, excl. VAT. */
  readonly maxExclVat?: string;
}

export interface PricingPolicy {
  readonly accountId?: string;
  readonly tier?: MembershipTier;
  readonly promotions?: readonly Promotion[];
  /** Account codes the driver entered; an account code applies only when entered and issued to the account. */
  readonly enteredCodes?: readonly string[];
  readonly idleFee?: IdleFee;
}

export interface DiscountLine {
  readonly kind: "free_energy" | "tier" | "percent" | "amount";
  /** Promotion or tier IDs the line comes from. */
  readonly sources: readonly string[];
  readonly exclVat: Rational;
  readonly inclVat: Rational;
}

export interface IdleFeeLine {
  readonly chargingEndedMs: Rational;
  readonly sessionEndMs: number;
  readonly idleSeconds: Rational;
  readonly billedSeconds: Rational;
  readonly exclVat: Rational;
  readonly inclVat: Rational;
  readonly records: readonly SignedRecordRef[];
}

const HUNDRED = rat(100n);

function eligible(p: Promotion, policy: PricingPolicy, startMs: number): boolean {
  if (p.validUntilMs !== undefined && !(startMs < p.validUntilMs)) return false;
  if (p.kind !== "account_code") return true;
  return (
    policy.accountId !== undefined &&
    p.accountIds.includes(policy.accountId) &&
    (policy.enteredCodes ?? []).includes(p.code)
  );
}

/** The discount lines for a session under `policy`, in the documented order; throws ChargemeshError on bad decimal text. */
export function discountLines(
  policy: PricingPolicy,
  tariffTotal: ExactPrice,
  lines: readonly TariffLine[],
  startMs: number,
): DiscountLine[] {
  const promos = (policy.promotions ?? []).filter((p) => eligible(p, policy, startMs));
  const out: DiscountLine[] = [];
  let left: ExactPrice = tariffTotal;
  const take = (kind: DiscountLine["kind"], sources: string[], d: ExactPrice) => {
    const exclVat = max(ZERO, min(d.exclVat, left.exclVat));
    const inclVat = max(ZERO, min(d.inclVat, left.inclVat));
    if (isZero(exclVat) && isZero(inclVat)) return;
    out.push({ kind, sources, exclVat, inclVat });
    left = { exclVat: sub(left.exclVat, exclVat), inclVat: sub(left.inclVat, inclVat) };
  };
  const ofLeft = (percent: Rational): ExactPrice => ({
    exclVat: mul(left.exclVat, div(percent, HUNDRED)),
    inclVat: mul(left.inclVat, div(percent, HUNDRED)),
  });

  const free = promos.filter(
    (p): p is Extract<Promotion, { kind: "free_energy" }> => p.kind === "free_energy",
  );
  if (free.length > 0) {
    let wh = rat(BigInt(free.reduce((a, p) => a + Math.max(0, Math.floor(p.wh)), 0)));
    let exclVat = ZERO;
    let inclVat = ZERO;
    for (const l of lines.filter((x) => x.dimension === "ENERGY")) {
      if (isZero(wh) || isZero(l.billedQuantity)) continue;
      const share = div(min(wh, l.billedQuantity), l.billedQuantity);
      exclVat = add(exclVat, mul(l.exclVat, share));
      inclVat = add(inclVat, mul(l.inclVat, share));
      wh = sub(wh, min(wh, l.billedQuantity));
    }
    take(
      "free_energy",
      free.map((p) => p.id),
      { exclVat, inclVat },
    );
  }
  if (policy.tier) take("tier", [policy.tier.id], ofLeft(parseDecimal(policy.tier.discountPercent)));
  const percents = promos
    .map((p) => ({
      id: p.id,
      pct:
        p.kind === "percent_off"
          ? parseDecimal(p.percent)
          : p.kind === "account_code" && p.percent
            ? parseDecimal(p.percent)
            : null,
    }))
    .filter((x): x is { id: string; pct: Rational } => x.pct !== null);
  const best = percents.reduce<{ id: string; pct: Rational } | null>(
    (b, x) => (!b || cmp(x.pct, b.pct) > 0 ? x : b),
    null,
  );
  if (best) take("percent", [best.id], ofLeft(best.pct));
  const amounts = promos.filter((p) => p.kind === "account_code" && p.amountExclVat !== undefined) as Extract<
    Promotion,
    { kind: "account_code" }
  >[];
  if (amounts.length > 0 && !isZero(left.exclVat)) {
    const exclVat = sum(amounts.map((p) => parseDecimal(p.amountExclVat!)));
    take(
      "amount",
      amounts.map((p) => p.id),
      { exclVat, inclVat: mul(exclVat, div(left.inclVat, left.exclVat)) },
    );
  }
  return out;
}

/**
 * The idle fee: time from the end of charging (end of the last segment that delivered energy, else
 * the session start) to the session end, less the grace period, in `stepSeconds` blocks.
 * Null when the policy has none or nothing is due. Throws ChargemeshError on bad decimal text.
 */
export function idleFeeLine(
  fee: IdleFee | undefined,
  chargingEndedMs: Rational,
  sessionEndMs: number,
  records: readonly SignedRecordRef[],
): IdleFeeLine | null {
  if (!fee) return null;
  const idle = max(ZERO, div(sub(rat(sessionEndMs), chargingEndedMs), rat(1000n)));
  const chargeable = max(ZERO, sub(idle, rat(Math.max(0, Math.floor(fee.graceSeconds)))));
  if (isZero(chargeable)) return null;
  const step = Math.floor(fee.stepSeconds);
  const billed = step > 1 ? ceilToMultiple(chargeable, rat(step)) : chargeable;
  let exclVat = mul(parseDecimal(fee.pricePerHour), div(billed, rat(3600n)));
  if (fee.maxExclVat !== undefined) exclVat = min(exclVat, parseDecimal(fee.maxExclVat));
  const inclVat =
    fee.vatPercent === undefined
      ? exclVat
      : mul(exclVat, add(ONE, div(parseDecimal(fee.vatPercent), HUNDRED)));
  return {
    chargingEndedMs,
    sessionEndMs,
    idleSeconds: idle,
    billedSeconds: billed,
    exclVat,
    inclVat,
    records,
  };
}

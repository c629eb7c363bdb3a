import { ChargemeshError, err, ok } from "@chargemesh/shared-model";
import type { Result } from "@chargemesh/shared-model";
import type { BillableSession, BillingAccount } from "./billingTypes.js";
import { currencyCode } from "./billingTypes.js";
import type { RatedLine, RatedSession, SessionRater } from "./sessionRating.js";

/** A tariff as the config document carries it: a price per kWh and a session fee, from a start time. */
export interface FlatTariff {
  readonly id: string;
  readonly energyMinorPerKWh: number;
  readonly sessionFeeMinor: number;
  readonly currency: string;
  readonly validFromMs: number;
}

/** Half away from zero on a non-negative numerator: round(n / d). */
function roundHalfUp(numerator: bigint, denominator: bigint): bigint {
  return (numerator * 2n + denominator) / (denominator * 2n);
}

/**
 * Rates a session on the config document's flat tariffs (the interim rater until the OCPI engine in
 * shared-model lands). The tariff valid at session start applies (latest `validFromMs` <= start).
 * Rounding rule: each line's net amount is rounded half-up to a minor unit (energy: Wh x price / 1000),
 * VAT is computed per line on the rounded net amount at `vatBasisPoints` and rounded half-up.
 * Membership tier `member` takes `memberDiscountBasisPoints` off the energy line as a promotion line.
 */
export class FlatTariffRater implements SessionRater {
  constructor(
    private readonly tariffs: readonly FlatTariff[],
    private readonly vatBasisPoints: number,
    private readonly memberDiscountBasisPoints = 0,
  ) {}

  rate(session: BillableSession, account: BillingAccount): Result<RatedSession> {
    if (!session.end)
      return err(new ChargemeshError("invalid_input", `session ${session.sessionId} is not complete`));
    const tariff = this.tariffs
      .filter((t) => t.validFromMs <= session.startedAtMs && t.currency === account.currency)
      .sort((a, b) => b.validFromMs - a.validFromMs)[0];
    if (!tariff) {
      return err(
        new ChargemeshError("not_found", `no ${account.currency} tariff valid at ${session.startedAtMs}`),
      );
    }
    const energyWh = session.end.registerWh - session.begin.registerWh;
    if (energyWh < 0) return err(new ChargemeshError("invalid_input", "end register below begin register"));
    const records = [`${session.meterId}/${session.begin.seq}`, `${session.meterId}/${session.end.seq}`];
    const vat = (net: bigint) => roundHalfUp(net * BigInt(this.vatBasisPoints), 10_000n);
    const energyNet = roundHalfUp(BigInt(energyWh) * BigInt(tariff.energyMinorPerKWh), 1000n);
    const lines: RatedLine[] = [
      {
        kind: "energy",
        description: `${energyWh} Wh at ${tariff.energyMinorPerKWh}/kWh`,
        energyWh,
        exclVatMinor: energyNet,
        vatMinor: vat(energyNet),
        sourceRecords: records,
      },
    ];
    if (tariff.sessionFeeMinor > 0) {
      const fee = BigInt(tariff.sessionFeeMinor);
      lines.push({
        kind: "flat",
        description: "session fee",
        energyWh: 0,
        exclVatMinor: fee,
        vatMinor: vat(fee),
        sourceRecords: records,
      });
    }
    if (account.tier === "member" && this.memberDiscountBasisPoints > 0 && energyNet > 0n) {
      const off = -roundHalfUp(energyNet * BigInt(this.memberDiscountBasisPoints), 10_000n);
      lines.push({
        kind: "promotion",
        description: "member discount",
        energyWh: 0,
        exclVatMinor: off,
        vatMinor: -vat(-off),
        sourceRecords: records,
      });
    }
    const totalMinorUnits = lines.reduce((s, l) => s + l.exclVatMinor + l.vatMinor, 0n);
    return ok({
      currency: currencyCode(tariff.currency),
      tariffId: tariff.id,
      lineItems: lines,
      energyWh,
      totalMinorUnits,
    });
  }
}

import { ChargemeshError, err, ok, rateMeteredSession } from "@chargemesh/shared-model";
import type { OcpiTariff, PricingPolicy, Result } from "@chargemesh/shared-model";
import type { BillableSession, BillingAccount } from "./billingTypes.js";
import { currencyCode } from "./billingTypes.js";
import type { RatedLine, RatedSession, SessionRater } from "./sessionRating.js";

/**
 * The SessionRater on shared-model's OCPI 2.2.1 engine (`rateMeteredSession`): the tariff version
 * valid at the begin reading, the session's signed begin and end readings, the account's pricing
 * policy (tier, promotions). The invoice takes the engine's three rounded totals (docs/rating.md):
 * one tariff line (gross excl. VAT, with the VAT), one promotion line (minus the discount) when there is one.
 */
export class OcpiSessionRater implements SessionRater {
  constructor(
    private readonly tariffs: readonly OcpiTariff[],
    private readonly timeZone: string,
    private readonly policyFor: (account: BillingAccount) => PricingPolicy = () => ({}),
  ) {}

  rate(session: BillableSession, account: BillingAccount): Result<RatedSession> {
    const end = session.end;
    if (!end)
      return err(new ChargemeshError("invalid_input", `session ${session.sessionId} is not complete`));
    const reading = (r: { seq: number; meterTimeMs: number; registerWh: number }) => ({
      meterId: session.meterId,
      seq: r.seq,
      meterTimeMs: r.meterTimeMs,
      registerWh: r.registerWh,
    });
    const rated = rateMeteredSession(
      this.tariffs,
      { timeZone: this.timeZone, readings: [reading(session.begin), reading(end)] },
      { ...this.policyFor(account), accountId: account.accountId },
    );
    if (!rated.ok) return rated;
    const inv = rated.value.invoice;
    if (inv.currency !== account.currency)
      return err(
        new ChargemeshError(
          "invalid_input",
          `tariff currency ${inv.currency} is not the account's ${account.currency}`,
        ),
      );
    const energyWh = end.registerWh - session.begin.registerWh;
    const sourceRecords = [`${session.meterId}/${session.begin.seq}`, `${session.meterId}/${end.seq}`];
    const labels = inv.lines.map((l) => l.label).join("; ");
    const lines: RatedLine[] = [
      {
        kind: "energy",
        description: `tariff ${rated.value.tariff.id}: ${labels}`.slice(0, 500),
        energyWh,
        exclVatMinor: inv.grossExclVatMinor,
        vatMinor: inv.vatMinor,
        sourceRecords,
      },
    ];
    if (inv.discountExclVatMinor !== 0n) {
      lines.push({
        kind: "promotion",
        description: rated.value.discounts.map((d) => d.kind).join(", ") || "discount",
        energyWh: 0,
        exclVatMinor: -inv.discountExclVatMinor,
        vatMinor: 0n,
        sourceRecords,
      });
    }
    return ok({
      currency: currencyCode(inv.currency),
      tariffId: rated.value.tariff.id,
      lineItems: lines,
      energyWh,
      totalMinorUnits: inv.totalInclVatMinor,
    });
  }
}

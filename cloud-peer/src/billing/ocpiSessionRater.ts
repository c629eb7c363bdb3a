import { ChargemeshError, err, ok, rateVerifiedSession } from "@chargemesh/shared-model";
import type { OcpiTariff, PricingPolicy, Result } from "@chargemesh/shared-model";
import type { BillableSession, BillingAccount } from "./billingTypes.js";
import { currencyCode } from "./billingTypes.js";
import type { RatedSession, SessionRater } from "./sessionRating.js";

/**
 * The SessionRater on shared-model's OCPI 2.2.1 engine: `rateVerifiedSession` on the session's
 * signed begin and end readings (the tariff version valid at the begin reading), with the account's
 * pricing policy (tier, promotions). The auditor recomputes invoices with the very same function
 * (`chargemesh-audit verify --tariffs`), so its figures equal these to the minor unit.
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
    const rated = rateVerifiedSession(
      this.tariffs,
      this.timeZone,
      { sessionId: session.sessionId, meterId: session.meterId, begin: session.begin, end },
      { ...this.policyFor(account), accountId: account.accountId },
    );
    if (!rated.ok) return rated;
    const inv = rated.value;
    if (inv.currency !== account.currency)
      return err(
        new ChargemeshError(
          "invalid_input",
          `tariff currency ${inv.currency} is not the account's ${account.currency}`,
        ),
      );
    return ok({ ...inv, currency: currencyCode(inv.currency) });
  }
}

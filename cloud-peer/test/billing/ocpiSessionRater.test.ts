import { afterEach, describe, expect, it } from "vitest";
import { ocpiTariffSchema } from "@chargemesh/shared-model";
import { BillingReconciler } from "../../src/billing/billingReconciler.js";
import { tierHoldPolicy } from "../../src/billing/billingPorts.js";
import type { FinancialLedger } from "../../src/billing/ledger/financialLedger.js";
import { openSqliteFinancialLedger } from "../../src/billing/ledger/openFinancialLedger.js";
import { OcpiSessionRater } from "../../src/billing/ocpiSessionRater.js";
import { checkRevenue } from "../../src/billing/revenueCheck.js";
import { BillingHarness, CONTRACT_A } from "./billingHarness.js";

let ledger: FinancialLedger;
afterEach(() => ledger?.close());

const tariff = ocpiTariffSchema.parse({
  country_code: "DE",
  party_id: "CMS",
  id: "ocpi-std",
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

describe("OcpiSessionRater (shared-model's OCPI engine) in the reconciler", () => {
  it("bills a signed session with the engine's rounded total, and the revenue checks hold", async () => {
    ledger = openSqliteFinancialLedger(":memory:");
    const h = new BillingHarness(ledger);
    const sid = h.chain("ocpi-1").session("site-1:O0001AAAAAAAAAAA", CONTRACT_A, 7_250, 3_600_000, 0);
    const rater = new OcpiSessionRater([tariff], "Europe/Berlin");
    const [session] = await h.sessions();
    const rated = rater.rate(session!, h.accounts.accountFor(CONTRACT_A)!);
    expect(rated.ok).toBe(true);
    // 7.25 kWh x 0.40 + 0.50 = 3.40 excl. VAT; x 1.19 = 4.046 -> 4.05 incl.
    expect(rated.ok && rated.value.totalMinorUnits).toBe(405n);
    const rec = new BillingReconciler({
      ledger,
      provider: h.provider,
      source: h.source,
      accounts: h.accounts,
      rater,
      holdPolicy: tierHoldPolicy({ standard: 0n, member: 0n, fleet: 0n }),
      standingSink: h.standing,
      notificationSink: h.notifications,
      clock: h.clock,
    });
    await rec.runUntilQuiet();
    expect((await ledger.invoiceForSession(sid))!.bases[0]!.totalMinor).toBe(405n);
    expect(h.sim.movedFor(sid).net).toBe(405);
    expect((await checkRevenue(ledger, h.clock.now())).ok).toBe(true);
  });
});

import { afterEach, expect, it } from "vitest";
import { VirtualClock } from "@chargemesh/shared-model";
import { LedgerBillingView } from "../../src/billing/ledgerBillingView.js";
import { accountId, currencyCode } from "../../src/billing/billingTypes.js";
import type { BillingAccount } from "../../src/billing/billingTypes.js";
import type { FinancialLedger } from "../../src/billing/ledger/financialLedger.js";
import { openSqliteFinancialLedger } from "../../src/billing/ledger/openFinancialLedger.js";

const ledgers: FinancialLedger[] = [];
afterEach(async () => {
  for (const l of ledgers.splice(0)) await l.close();
});

const ACCOUNT: BillingAccount = {
  accountId: accountId("acct-1"),
  tier: "standard",
  currency: currencyCode("EUR"),
  paymentMethod: "pm_1",
  customer: null,
  network: "visa",
};

function view(runNow: () => Promise<unknown>): LedgerBillingView {
  const ledger = openSqliteFinancialLedger(":memory:");
  ledgers.push(ledger);
  return new LedgerBillingView({
    ledger,
    clock: new VirtualClock(0),
    accountOf: (id) => (id === "acct-1" ? ACCOUNT : null),
    runNow,
    settleWaitMs: 50,
    payments: { through: "simulator", testPaymentMethods: [] },
    replaceCard: () => null,
  });
}

it("settling answers within its bound: done when the passes finished in time, inProgress while they go on, and a failure in time is an error", async () => {
  expect(await view(async () => undefined).settle("acct-1")).toMatchObject({
    state: "good",
    inProgress: false,
  });
  let finish!: () => void;
  const slow = new Promise<void>((r) => (finish = r));
  expect(await view(() => slow).settle("acct-1")).toMatchObject({ inProgress: true });
  finish();
  // A pass that fails later is left to the timer's next pass: no unhandled rejection here.
  let fail!: (e: Error) => void;
  const failsLate = new Promise<void>((_, reject) => (fail = reject));
  expect(await view(() => failsLate).settle("acct-1")).toMatchObject({ inProgress: true });
  fail(new Error("database gone"));
  await expect(view(() => Promise.reject(new Error("database gone"))).settle("acct-1")).rejects.toThrow(
    "database gone",
  );
  await expect(view(async () => undefined).settle("acct-2")).rejects.toThrow(/no card/);
});

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { SeededRandom } from "@chargemesh/shared-model";
import { checkRevenue } from "../../src/billing/revenueCheck.js";
import { openSqliteFinancialLedger } from "../../src/billing/ledger/openFinancialLedger.js";
import { PaymentSimulator } from "../../src/billing/payments/paymentSimulator.js";
import { SimulatedPaymentProvider } from "../../src/billing/payments/simulatedPaymentProvider.js";
import { SqlitePaymentSimulatorStore } from "../../src/billing/payments/sqlitePaymentSimulatorStore.js";
import { BillingHarness, CONTRACT_A } from "./billingHarness.js";

const dir = mkdtempSync(join(tmpdir(), "cm-billing-restart-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * A cloud restart between a session's begin and its end: the hold made before it must be captured
 * after it. The simulator persisted beside the ledger (as embedded billing runs it) captures it; the
 * in-memory one, the control, has forgotten the intent and the capture fails.
 */
async function restartBetweenHoldAndCapture(persisted: boolean, name: string) {
  const ledgerPath = join(dir, `${name}-billing.sqlite`);
  const simPath = join(dir, `${name}-payment-simulator.sqlite`);
  let ledger = openSqliteFinancialLedger(ledgerPath);
  const h = new BillingHarness(ledger);
  const simulator = (seed: number) => {
    const sim = new PaymentSimulator(h.clock, new SeededRandom(seed), {
      ...(persisted ? { store: new SqlitePaymentSimulatorStore(simPath) } : {}),
    });
    sim.addCard("pm_a", "visa");
    return sim;
  };
  const before = simulator(1);
  const meter = h.chain("meter-1");
  const session = meter.session("site-1:S0001AAAAAAAAAAA", CONTRACT_A, 7_250, 3_600_000, 2, false);
  await h.reconciler(undefined, ledger, new SimulatedPaymentProvider(before)).runUntilQuiet();
  expect((await ledger.hold(session))!.status).toBe("authorized");

  // The cloud process stops and starts again on the same data directory.
  before.close();
  await ledger.close();
  ledger = openSqliteFinancialLedger(ledgerPath);
  const after = simulator(2);
  meter.finish(session, 7_250 - 2 * 2_416, 60_000);
  await h.reconciler(undefined, ledger, new SimulatedPaymentProvider(after)).runUntilQuiet();
  const outcome = {
    hold: (await ledger.hold(session))!,
    moved: after.movedFor(session),
    total: (await h.expectedTotals()).get(session)!,
    revenue: await checkRevenue(ledger, h.clock.now()),
  };
  after.close();
  await ledger.close();
  return outcome;
}

it("a hold made before a cloud restart is captured after it, once, when the simulator is persisted; the in-memory one cannot", async () => {
  const kept = await restartBetweenHoldAndCapture(true, "persisted");
  expect(kept.hold).toMatchObject({ status: "captured", capturedMinor: kept.total });
  expect(kept.moved).toEqual({ net: Number(kept.total), captures: 1, charges: 0 });
  expect(kept.revenue.checks.filter((c) => !c.ok)).toEqual([]);

  const forgotten = await restartBetweenHoldAndCapture(false, "in-memory");
  expect(forgotten.hold.status).not.toBe("captured");
  expect(forgotten.moved.captures).toBe(0);
});

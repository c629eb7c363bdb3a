import { afterEach, describe, expect, it } from "vitest";
import { checkRevenue } from "../../src/billing/revenueCheck.js";
import type { FinancialLedger } from "../../src/billing/ledger/financialLedger.js";
import { openSqliteFinancialLedger } from "../../src/billing/ledger/openFinancialLedger.js";
import { BillingHarness, CONTRACT_A, CONTRACT_B, CONTRACT_M } from "./billingHarness.js";

class InjectedCrash extends Error {}

let ledger: FinancialLedger | null = null;
afterEach(() => ledger?.close());

/** A day's traffic on two meters: running sessions (holds), sessions above the hold, one soft decline. */
function traffic(h: BillingHarness) {
  const m1 = h.chain("chaos-1");
  const m2 = h.chain("chaos-2");
  const running = m1.session("site-1:C0001AAAAAAAAAAA", CONTRACT_A, 4_000, 3_600_000, 2, false);
  m1.session("site-1:C0002AAAAAAAAAAA", CONTRACT_B, 90_000);
  m2.session("site-2:C0003AAAAAAAAAAA", CONTRACT_M, 6_000);
  h.sim.scriptDeclines("pm_b", [{ declineCode: "insufficient_funds", networkDeclineCode: "51" }]);
  return { m1, running };
}

describe("billing chaos: the reconciler crashes between every pair of steps, the provider times out after committing", () => {
  it("bills every session once and check:revenue holds after every crash", async () => {
    let crashAt = 1;
    let completed = false;
    const pointsSeen = new Set<string>();
    for (; !completed && crashAt < 400; crashAt++) {
      ledger = openSqliteFinancialLedger(":memory:");
      const h = new BillingHarness(ledger);
      const { m1, running } = traffic(h);
      // Every third provider call times out after the charge or capture happened.
      let calls = 0;
      const provider = h.provider;
      const flaky = new Proxy(provider, {
        get(target, prop) {
          const v = Reflect.get(target, prop) as unknown;
          if (typeof v !== "function") return v;
          return (...args: unknown[]) => {
            if (++calls % 3 === 0) h.sim.injectTimeout("after_commit");
            return (v as (...a: unknown[]) => unknown).apply(target, args);
          };
        },
      });
      let n = 0;
      const crashing = h.reconciler(
        (point) => {
          pointsSeen.add(point);
          if (++n === crashAt) throw new InjectedCrash(point);
        },
        ledger,
        flaky,
      );
      let crashed = false;
      const phase = async (work: () => Promise<unknown>) => {
        try {
          await work();
        } catch (e) {
          if (!(e instanceof InjectedCrash)) throw e;
          crashed = true;
        }
      };
      await phase(() => crashing.runOnce());
      if (!crashed) {
        m1.finish(running, 1_500, 60_000);
        await phase(() => crashing.runOnce());
      } else m1.finish(running, 1_500, 60_000);
      if (!crashed) await phase(() => crashing.runUntilQuiet());
      completed = !crashed;
      // A fresh process picks up where the crashed one stopped, with retries due later.
      for (let i = 0; i < 6; i++) {
        await h.reconciler(undefined, ledger, flaky).runUntilQuiet();
        h.clock.advance(6 * 3600_000);
      }
      const report = await checkRevenue(ledger, h.clock.now());
      expect(
        report.checks.filter((c) => !c.ok),
        `crash at step ${crashAt}`,
      ).toEqual([]);
      for (const [session, total] of await h.expectedTotals()) {
        expect(h.sim.movedFor(session).net, `crash at ${crashAt}: ${session}`).toBe(Number(total));
        expect(h.sim.movedFor(session).captures, `crash at ${crashAt}: ${session}`).toBeLessThanOrEqual(1);
      }
      await ledger.close();
      ledger = null;
    }
    expect(completed).toBe(true);
    expect(crashAt).toBeGreaterThan(10);
    expect([...pointsSeen]).toEqual(
      expect.arrayContaining([
        "hold:opened",
        "hold:answered",
        "invoice:rated",
        "invoice:written",
        "plan:primary-opened",
        "plan:top-up-opened",
        "payment:answered",
        "payment:attempt-recorded",
        "payment:recorded",
        "standing:changed",
        "outbox:delivered",
      ]),
    );
  });
});

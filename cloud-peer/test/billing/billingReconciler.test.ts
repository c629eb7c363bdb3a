import { afterEach, describe, expect, it } from "vitest";
import { checkRevenue } from "../../src/billing/revenueCheck.js";
import { Accounts } from "../../src/billing/ledger/ledgerAccounts.js";
import { accountId } from "../../src/billing/billingTypes.js";
import type { FinancialLedger } from "../../src/billing/ledger/financialLedger.js";
import { openSqliteFinancialLedger } from "../../src/billing/ledger/openFinancialLedger.js";
import { BillingHarness, CONTRACT_A, CONTRACT_B, CONTRACT_M } from "./billingHarness.js";

const DAY = 24 * 3600 * 1000;
let ledger: FinancialLedger;
afterEach(() => ledger?.close());

async function expectRevenueHolds(h: BillingHarness): Promise<void> {
  const report = await checkRevenue(h.ledger, h.clock.now());
  expect(report.checks.filter((c) => !c.ok)).toEqual([]);
}

describe("BillingReconciler (SQLite, sessions from real signed meter chains)", () => {
  it("holds at begin, captures less than held at the end, tops up above the hold; every Wh billed once", async () => {
    ledger = openSqliteFinancialLedger(":memory:");
    const h = new BillingHarness(ledger);
    const meter = h.chain("meter-1");
    const small = meter.session("site-1:S0001AAAAAAAAAAA", CONTRACT_A, 7_250, 3_600_000, 2, false);
    const rec = h.reconciler();
    await rec.runUntilQuiet();
    expect((await ledger.hold(small))!.status).toBe("authorized");
    meter.finish(small, 7_250 - 2 * 2_416, 60_000);
    const big = meter.session("site-1:S0002AAAAAAAAAAA", CONTRACT_B, 80_000, 3_600_000, 2, false);
    await rec.runUntilQuiet();
    meter.finish(big, 80_000 - 2 * 26_666, 60_000);
    const noHold = meter.session("site-1:S0003AAAAAAAAAAA", CONTRACT_M, 1_000);
    await rec.runUntilQuiet();

    const totals = await h.expectedTotals();
    expect([...totals.keys()].sort()).toEqual([small, big, noHold].sort());
    for (const [session, total] of totals) {
      expect(h.sim.movedFor(session).net, session).toBe(Number(total));
      const inv = (await ledger.invoiceForSession(session))!;
      expect(inv.bases).toHaveLength(1);
    }
    // 7.25 kWh x 0.40 + 0.50 = 3.40 net, VAT 19 % per line: 2.90 -> 0.55, 0.50 -> 0.10: 4.05 < 30 held.
    expect(totals.get(small)).toBe(405n);
    expect(h.sim.movedFor(small)).toEqual({ net: 405, captures: 1, charges: 0 });
    expect((await ledger.hold(small))!).toMatchObject({ status: "captured", capturedMinor: 405n });
    // 80 kWh: 32.50 net + VAT = 38.68 > 30 held: capture 30, top-up 8.68.
    expect(totals.get(big)).toBe(3868n);
    expect(h.sim.movedFor(big)).toEqual({ net: 3868, captures: 1, charges: 1 });
    // Learned only after its end: no hold, one fresh charge; member discount 10 % on energy.
    expect(h.sim.movedFor(noHold)).toEqual({ net: Number(totals.get(noHold)), captures: 0, charges: 1 });
    expect(await ledger.balance(Accounts.receivable(accountId("acct-a")), "EUR")).toBe(0n);
    await expectRevenueHolds(h);
    const again = await rec.runOnce();
    expect(again.invoicesWritten + again.paymentAttempts).toBe(0);
  });

  it("charges afresh when the hold lapsed before the session ended (Visa, 7 days customer-initiated)", async () => {
    ledger = openSqliteFinancialLedger(":memory:");
    const h = new BillingHarness(ledger);
    const meter = h.chain("meter-2");
    const s = meter.session("site-1:S0004AAAAAAAAAAA", CONTRACT_A, 5_000, 3_600_000, 1, false);
    await h.reconciler().runUntilQuiet();
    h.clock.advance(8 * DAY);
    meter.finish(s, 1_000, 60_000);
    await h.reconciler().runUntilQuiet();
    expect((await ledger.hold(s))!.status).toBe("expired");
    const total = (await h.expectedTotals()).get(s)!;
    expect(h.sim.movedFor(s)).toEqual({ net: Number(total), captures: 0, charges: 1 });
    await expectRevenueHolds(h);
  });

  it("turns records that change a billed session into one adjustment basis, never a second invoice", async () => {
    ledger = openSqliteFinancialLedger(":memory:");
    const h = new BillingHarness(ledger);
    const first = h.chain("meter-3");
    const sid = first.session("site-1:S0005AAAAAAAAAAA", CONTRACT_B, 10_000);
    await h.reconciler().runUntilQuiet();
    const before = (await ledger.invoiceForSession(sid))!;
    // The site's corrected chain for the same session (a re-keyed meter after a recovery) says 12 kWh.
    const corrected = h.chain("meter-3");
    h.chains.splice(h.chains.indexOf(first), 1);
    corrected.session("site-1:S0005AAAAAAAAAAA", CONTRACT_B, 12_000);
    await h.reconciler().runUntilQuiet();
    await h.reconciler().runUntilQuiet();
    const after = (await ledger.invoiceForSession(sid))!;
    expect(after.invoiceId).toBe(before.invoiceId);
    expect(after.bases.map((b) => b.energyWh)).toEqual([10_000, 12_000]);
    expect(after.lines.at(-1)).toMatchObject({ kind: "adjustment", energyWh: 2_000 });
    const total = (await h.expectedTotals()).get(sid)!;
    expect(after.bases.at(-1)!.totalMinor).toBe(total);
    expect(h.sim.movedFor(sid).net).toBe(Number(total));
    await expectRevenueHolds(h);
  });

  it("a soft decline: debt, notification, blocked standing; a retry within the limits settles and restores it", async () => {
    ledger = openSqliteFinancialLedger(":memory:");
    const h = new BillingHarness(ledger);
    h.sim.scriptDeclines("pm_a", [
      { declineCode: "insufficient_funds", networkDeclineCode: "51" },
      { declineCode: "insufficient_funds", networkDeclineCode: "51" },
    ]);
    const meter = h.chain("meter-4");
    const sid = meter.session("site-1:S0006AAAAAAAAAAA", CONTRACT_A, 3_000);
    const acct = accountId("acct-a");
    await h.reconciler().runUntilQuiet();
    expect(h.standing.standingOf(acct)).toBe("blocked");
    expect(h.standing.applied.at(-1)!.contractIds).toEqual([CONTRACT_A]);
    expect(await ledger.balance(Accounts.debt(acct), "EUR")).toBeGreaterThan(0n);
    expect([...h.notifications.sent.values()].map((n) => n.payload.event)).toEqual(["payment_declined"]);
    h.clock.advance(3600_000);
    await h.reconciler().runUntilQuiet();
    expect([...h.notifications.sent.values()].map((n) => n.payload.event)).toEqual([
      "payment_declined",
      "payment_declined",
    ]);
    h.clock.advance(6 * 3600_000);
    await h.reconciler().runUntilQuiet();
    expect(h.standing.standingOf(acct)).toBe("good");
    expect(h.standing.applied.map((c) => [c.standing, c.version])).toEqual([
      ["blocked", 1],
      ["good", 2],
    ]);
    expect(await ledger.balance(Accounts.debt(acct), "EUR")).toBe(0n);
    const [payment] = await ledger.paymentsOfSession(sid);
    expect(payment).toMatchObject({ status: "succeeded", attemptNo: 2 });
    expect(await ledger.declinedAttemptsOnCard("pm_a", 0)).toBe(2);
    expect(h.sim.movedFor(sid).net).toBe(Number((await h.expectedTotals()).get(sid)));
    await expectRevenueHolds(h);
  });

  it("never retries after a do-not-retry code (Visa 43, Mastercard advice 21); the account settles with another card", async () => {
    ledger = openSqliteFinancialLedger(":memory:");
    const h = new BillingHarness(ledger);
    h.sim.scriptDeclines("pm_a", [{ declineCode: "stolen_card", networkDeclineCode: "43" }]);
    h.sim.scriptDeclines("pm_b", [
      { declineCode: "do_not_honor", networkDeclineCode: "05", networkAdviceCode: "21" },
    ]);
    const meter = h.chain("meter-5");
    const a = meter.session("site-1:S0007AAAAAAAAAAA", CONTRACT_A, 3_000);
    const b = meter.session("site-1:S0008AAAAAAAAAAA", CONTRACT_B, 3_000);
    for (let i = 0; i < 5; i++) {
      await h.reconciler().runUntilQuiet();
      h.clock.advance(2 * DAY);
    }
    expect((await ledger.paymentsOfSession(a))[0]).toMatchObject({ status: "declined", attemptNo: 1 });
    expect((await ledger.paymentsOfSession(b))[0]).toMatchObject({ status: "declined", attemptNo: 1 });
    expect(h.sim.requests.get("create")).toBe(2);
    expect(h.standing.standingOf(accountId("acct-a"))).toBe("blocked");
    h.sim.addCard("pm_a2", "visa");
    const { settleDebt } = await import("../../src/billing/compensations.js");
    expect(await settleDebt(ledger, accountId("acct-a"), "pm_a2", h.clock.now())).toBe(1);
    await h.reconciler().runUntilQuiet();
    expect(h.standing.standingOf(accountId("acct-a"))).toBe("good");
    expect(h.standing.standingOf(accountId("acct-b"))).toBe("blocked");
    await expectRevenueHolds(h);
  });

  it("stops reattempts on a card at 15 in 30 days", async () => {
    ledger = openSqliteFinancialLedger(":memory:");
    const h = new BillingHarness(ledger);
    h.sim.scriptDeclines(
      "pm_a",
      Array.from({ length: 40 }, () => ({ declineCode: "insufficient_funds", networkDeclineCode: "51" })),
    );
    const meter = h.chain("meter-6");
    for (let i = 0; i < 4; i++) meter.session(`site-1:S00${10 + i}AAAAAAAAAAA`, CONTRACT_A, 2_000);
    const rec = h.reconciler();
    for (let i = 0; i < 40; i++) {
      await rec.runUntilQuiet();
      h.clock.advance(12 * 3600_000);
      if (h.clock.now() > Date.UTC(2026, 5, 1, 8) + 29 * DAY) break;
    }
    const declined = await ledger.declinedAttemptsOnCard("pm_a", h.clock.now() - 30 * DAY);
    // 4 first attempts are not reattempts; at most 15 reattempts follow in the window.
    expect(declined).toBeLessThanOrEqual(4 + 15);
    expect(declined).toBeGreaterThanOrEqual(16);
    await expectRevenueHolds(h);
  });
});

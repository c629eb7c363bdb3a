import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { checkRevenue } from "../../src/billing/revenueCheck.js";
import type { FinancialLedger } from "../../src/billing/ledger/financialLedger.js";
import {
  openPostgresFinancialLedger,
  openSqliteFinancialLedger,
} from "../../src/billing/ledger/openFinancialLedger.js";
import { BillingHarness, CONTRACT_A, CONTRACT_B, CONTRACT_M } from "./billingHarness.js";
import { createTestDatabase, postgresAvailable } from "../../../testing/postgresTestDatabase.js";

const CONTRACTS = [CONTRACT_A, CONTRACT_B, CONTRACT_M];

function dayOfTraffic(h: BillingHarness, sessions: number): void {
  const meters = [h.chain("pg-1"), h.chain("pg-2"), h.chain("pg-3")];
  for (let i = 0; i < sessions; i++) {
    const id = `site-1:P${String(i).padStart(4, "0")}AAAAAAAAAAA`;
    meters[i % 3]!.session(id, CONTRACTS[i % 3]!, 1_000 + ((i * 7919) % 60_000));
  }
}

describe("billing on PostgreSQL", () => {
  let on = false;
  let drop: () => Promise<void> = async () => undefined;
  let url = "";
  const open: FinancialLedger[] = [];
  beforeEach(async (ctx) => {
    on = await postgresAvailable();
    if (!on) return ctx.skip();
    ({ url, drop } = await createTestDatabase());
  });
  afterEach(async () => {
    for (const l of open.splice(0)) await l.close();
    if (on) await drop();
  });

  it("two cloud peers reconciling the same sites at once: every session invoiced once and paid once", async () => {
    const a = await openPostgresFinancialLedger(url);
    const b = await openPostgresFinancialLedger(url);
    open.push(a, b);
    const h = new BillingHarness(a);
    dayOfTraffic(h, 30);
    const peerA = h.reconciler(undefined, a);
    const peerB = h.reconciler(undefined, b);
    for (let round = 0; round < 4; round++) {
      await Promise.all([peerA.runUntilQuiet(), peerB.runUntilQuiet()]);
      h.clock.advance(3600_000);
    }
    const totals = await h.expectedTotals();
    expect(totals.size).toBe(30);
    let invoices = 0;
    for await (const inv of a.invoices()) {
      invoices++;
      expect(inv.bases).toHaveLength(1);
    }
    expect(invoices).toBe(30);
    for (const [session, total] of totals) {
      const moved = h.sim.movedFor(session);
      expect(moved.net, session).toBe(Number(total));
      expect(moved.captures + moved.charges, session).toBe(1);
    }
    const report = await checkRevenue(a, h.clock.now());
    expect(report.checks.filter((c) => !c.ok)).toEqual([]);
  });

  it("the same day of traffic billed on SQLite and on PostgreSQL gives identical invoices", async () => {
    const pg = await openPostgresFinancialLedger(url);
    const lite = openSqliteFinancialLedger(":memory:");
    open.push(pg, lite);
    const h = new BillingHarness(pg);
    dayOfTraffic(h, 12);
    await h.reconciler(undefined, pg).runUntilQuiet();
    await h.reconciler(undefined, lite).runUntilQuiet();
    const view = async (l: FinancialLedger) => {
      const out = [];
      for await (const inv of l.invoices()) {
        out.push({
          session: inv.sessionId,
          account: inv.accountId,
          tariff: inv.tariffId,
          bases: inv.bases.map((b) => [b.basisKey, b.energyWh, b.totalMinor]),
          lines: inv.lines,
        });
      }
      return out;
    };
    const fromPg = await view(pg);
    expect(fromPg).toHaveLength(12);
    expect(await view(lite)).toEqual(fromPg);
  });
});

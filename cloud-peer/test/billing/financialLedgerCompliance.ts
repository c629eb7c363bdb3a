import { describe, expect, it, beforeEach, afterEach } from "vitest";
import { ChargemeshError } from "@chargemesh/shared-model";
import { accountId } from "../../src/billing/billingTypes.js";
import type {
  FinancialLedger,
  InvoiceInput,
  TransactionInput,
} from "../../src/billing/ledger/financialLedger.js";
import { Accounts } from "../../src/billing/ledger/ledgerAccounts.js";

/** What an implementation hands the suite: a fresh, empty ledger and how to dispose of it. */
export type LedgerFactory = () => Promise<{ ledger: FinancialLedger; dispose: () => Promise<void> }>;

const acct = accountId("acct-1");

function invoicePosting(session: string, total: bigint, ref = `invoice:${session}`): TransactionInput {
  const vat = total / 5n;
  return {
    kind: "invoice",
    externalRef: ref,
    sessionId: session,
    accountId: acct,
    currency: "EUR",
    memo: "invoice",
    postedAtMs: 1000,
    entries: [
      { account: Accounts.receivable(acct), amountMinor: total },
      { account: Accounts.revenue, amountMinor: -(total - vat) },
      { account: Accounts.vatPayable, amountMinor: -vat },
    ],
  };
}

function invoiceInput(session: string, total = 600n): InvoiceInput {
  return {
    sessionId: session,
    accountId: acct,
    contractId: "DE-ABC-C12345678-9",
    siteId: "site-1",
    stallId: "stall-1",
    meterId: "meter-1",
    currency: "EUR",
    tariffId: "t1",
    createdAtMs: 1000,
    basis: {
      basisKey: `k-${session}`,
      beginRecord: new Uint8Array([1, 2]),
      endRecord: new Uint8Array([3, 4]),
      energyWh: 1500,
      totalMinor: total,
      lines: [
        {
          kind: "energy",
          description: "1500 Wh",
          energyWh: 1500,
          exclVatMinor: total - total / 5n,
          vatMinor: total / 5n,
          sourceRecords: ["meter-1/1", "meter-1/2"],
        },
      ],
      posting: invoicePosting(session, total),
    },
  };
}

async function rejects(p: Promise<unknown>, code: string): Promise<void> {
  const e = await p.then(
    () => null,
    (x: unknown) => x,
  );
  expect(e, "the database accepted a write that breaks an invariant").toBeInstanceOf(ChargemeshError);
  expect((e as ChargemeshError).code).toBe(code);
}

/**
 * The one suite every FinancialLedger adapter passes: balances, immutability, uniqueness and
 * captured <= held are enforced by the database itself, probed with raw SQL behind the interface.
 */
export function financialLedgerCompliance(
  name: string,
  factory: LedgerFactory,
  enabled: () => Promise<boolean> = async () => true,
): void {
  describe(`FinancialLedger compliance: ${name}`, () => {
    let ledger: FinancialLedger;
    let dispose: () => Promise<void> = async () => undefined;
    let on = false;
    beforeEach(async (ctx) => {
      on = await enabled();
      if (!on) return ctx.skip();
      ({ ledger, dispose } = await factory());
    });
    afterEach(async () => {
      if (on) await dispose();
    });

    it("posts a balanced transaction once per external ref and sums to zero", async () => {
      const a = await ledger.post(invoicePosting("s-1", 600n));
      const b = await ledger.post(invoicePosting("s-1", 600n));
      expect(a.created).toBe(true);
      expect(b).toEqual({ created: false, txId: a.txId });
      expect(await ledger.balance(Accounts.receivable(acct), "EUR")).toBe(600n);
      const total = (await ledger.trialBalance()).reduce((s, r) => s + r.balanceMinor, 0n);
      expect(total).toBe(0n);
    });

    it("refuses an unbalanced transaction through the interface and through raw SQL", async () => {
      const bad = {
        ...invoicePosting("s-2", 600n),
        entries: [
          { account: Accounts.revenue, amountMinor: -5n },
          { account: Accounts.receivable(acct), amountMinor: 4n },
        ],
      };
      await rejects(ledger.post(bad), "forbidden");
      await rejects(
        ledger.sql.transaction(async (db) => {
          await db.execute(
            "INSERT INTO fin_entries (tx_id, line_no, account, currency, amount_minor) VALUES ('raw', 0, 'revenue', 'EUR', 7)",
          );
          await db.execute(
            "INSERT INTO fin_transactions (tx_id, kind, memo, posted_at_ms) VALUES ('raw', 'invoice', 'x', 1)",
          );
        }),
        "forbidden",
      );
      expect(await ledger.trialBalance()).toEqual([]);
    });

    it("refuses entries without a header, and entries added to a sealed transaction", async () => {
      await rejects(
        ledger.sql.transaction((db) =>
          db.execute(
            "INSERT INTO fin_entries (tx_id, line_no, account, currency, amount_minor) VALUES ('orphan', 0, 'revenue', 'EUR', 7)",
          ),
        ),
        "forbidden",
      );
      const { txId } = await ledger.post(invoicePosting("s-3", 600n));
      await rejects(
        ledger.sql.execute(
          "INSERT INTO fin_entries (tx_id, line_no, account, currency, amount_minor) VALUES (?, 9, 'revenue', 'EUR', 1)",
          [txId],
        ),
        "forbidden",
      );
    });

    it("never updates or deletes an entry, a transaction, an invoice or its lines", async () => {
      await ledger.createInvoice(invoiceInput("s-4"));
      for (const sql of [
        "UPDATE fin_entries SET amount_minor = amount_minor * 2",
        "DELETE FROM fin_entries",
        "UPDATE fin_transactions SET memo = 'changed'",
        "DELETE FROM fin_transactions",
        "UPDATE invoices SET account_id = 'other'",
        "DELETE FROM invoice_lines",
        "UPDATE invoice_bases SET energy_wh = 1",
      ]) {
        await rejects(ledger.sql.execute(sql), "forbidden");
      }
      expect((await ledger.invoiceForSession("s-4"))!.bases[0]!.energyWh).toBe(1500);
    });

    it("corrects only by a reversing transaction, once", async () => {
      const { txId } = await ledger.post(invoicePosting("s-5", 600n));
      const r1 = await ledger.reverse(txId, 2000, "wrong tariff");
      const r2 = await ledger.reverse(txId, 2000, "again");
      expect(r1.created).toBe(true);
      expect(r2).toEqual({ created: false, txId: r1.txId });
      expect(await ledger.balance(Accounts.receivable(acct), "EUR")).toBe(0n);
      expect((await ledger.transaction(r1.txId))!.reversesTxId).toBe(txId);
    });

    it("keeps one invoice per session, whoever writes it, and adds adjustment bases once", async () => {
      const results = await Promise.all([
        ledger.createInvoice(invoiceInput("s-6")),
        ledger.createInvoice({
          ...invoiceInput("s-6"),
          basis: { ...invoiceInput("s-6").basis, posting: invoicePosting("s-6", 600n, "invoice:s-6:b") },
        }),
      ]);
      expect(results.filter((r) => r.created)).toHaveLength(1);
      expect(results[0]!.invoice.invoiceId).toBe(results[1]!.invoice.invoiceId);
      await rejects(
        ledger.sql.execute(
          "INSERT INTO invoices (invoice_id, session_id, account_id, contract_id, site_id, stall_id, meter_id, currency, tariff_id, created_at_ms) VALUES ('dup', 's-6', 'a', 'c', 's', 's', 'm', 'EUR', 't', 1)",
        ),
        "conflict",
      );
      const inv = results[0]!.invoice;
      const adjustment = {
        basisKey: "k2",
        beginRecord: new Uint8Array([1]),
        endRecord: new Uint8Array([9]),
        energyWh: 1600,
        totalMinor: 640n,
        lines: [
          {
            kind: "adjustment",
            description: "+100 Wh",
            energyWh: 100,
            exclVatMinor: 32n,
            vatMinor: 8n,
            sourceRecords: [],
          },
        ],
        posting: invoicePosting("s-6", 40n, "adjustment:s-6:k2"),
      };
      expect(await ledger.addInvoiceBasis(inv.invoiceId, adjustment)).toEqual({ created: true });
      expect(await ledger.addInvoiceBasis(inv.invoiceId, adjustment)).toEqual({ created: false });
      const after = (await ledger.invoiceForSession("s-6"))!;
      expect(after.bases.map((b) => b.basisNo)).toEqual([0, 1]);
      expect(after.lines).toHaveLength(2);
      expect(await ledger.balance(Accounts.receivable(acct), "EUR")).toBe(640n);
    });

    it("never captures more than held, and a resolved hold is final", async () => {
      const h = {
        sessionId: "s-7",
        accountId: acct,
        idempotencyKey: "hold:s-7",
        currency: "EUR",
        amountMinor: 5000n,
        initiatedBy: "customer" as const,
        requestedAtMs: 1,
      };
      expect((await ledger.openHold(h)).created).toBe(true);
      expect((await ledger.openHold(h)).created).toBe(false);
      expect(
        await ledger.changeHold("s-7", "requested", {
          status: "authorized",
          providerRef: "pi_1",
          expiresAtMs: 99,
        }),
      ).toBe(true);
      expect(await ledger.changeHold("s-7", "requested", { status: "authorized" })).toBe(false);
      await rejects(
        ledger.changeHold("s-7", "authorized", { status: "captured", capturedMinor: 5001n }),
        "forbidden",
      );
      await rejects(
        ledger.sql.execute("UPDATE holds SET amount_minor = 9999 WHERE session_id = 's-7'"),
        "forbidden",
      );
      expect(await ledger.changeHold("s-7", "authorized", { status: "captured", capturedMinor: 4000n })).toBe(
        true,
      );
      await rejects(
        ledger.sql.execute("UPDATE holds SET status = 'authorized' WHERE session_id = 's-7'"),
        "forbidden",
      );
      await rejects(ledger.sql.execute("DELETE FROM holds"), "forbidden");
      expect((await ledger.hold("s-7"))!.capturedMinor).toBe(4000n);
    });

    it("moves a payment on once per attempt, with its postings in the same transaction", async () => {
      const p = {
        paymentKey: "s-8:capture",
        sessionId: "s-8",
        accountId: acct,
        purpose: "capture" as const,
        amountMinor: 600n,
        currency: "EUR",
        paymentMethod: "pm_1",
        network: "visa" as const,
        initiatedBy: "merchant" as const,
        createdAtMs: 1,
      };
      await ledger.openPayment(p);
      const posting: TransactionInput = {
        kind: "payment",
        externalRef: "payment:s-8:capture",
        sessionId: "s-8",
        accountId: acct,
        currency: "EUR",
        memo: "captured",
        postedAtMs: 2,
        entries: [
          { account: Accounts.paymentClearing, amountMinor: 600n },
          { account: Accounts.receivable(acct), amountMinor: -600n },
        ],
      };
      const moves = await Promise.all(
        [0, 1].map(() =>
          ledger.changePayment("s-8:capture", "pending", 0, {
            status: "succeeded",
            providerRef: "pi_1",
            postings: [posting],
          }),
        ),
      );
      expect(moves.filter(Boolean)).toHaveLength(1);
      expect(await ledger.balance(Accounts.paymentClearing, "EUR")).toBe(600n);
      await rejects(ledger.sql.execute("UPDATE payments SET amount_minor = 1"), "forbidden");
      await rejects(ledger.sql.execute("UPDATE payments SET status = 'pending'"), "forbidden");
    });

    it("counts declined attempts per card by distinct idempotency key", async () => {
      const p = {
        paymentKey: "s-9:charge",
        sessionId: "s-9",
        accountId: acct,
        purpose: "charge" as const,
        amountMinor: 600n,
        currency: "EUR",
        paymentMethod: "pm_2",
        network: "visa" as const,
        initiatedBy: "merchant" as const,
        createdAtMs: 1,
      };
      await ledger.openPayment(p);
      for (const [key, outcome, at] of [
        ["k#0", "unknown", 10],
        ["k#0", "declined", 20],
        ["k#1", "declined", 30],
        ["k#2", "succeeded", 40],
      ] as const) {
        await ledger.recordAttempt({
          idempotencyKey: key,
          paymentKey: p.paymentKey,
          paymentMethod: "pm_2",
          outcome,
          code: null,
          atMs: at,
        });
      }
      expect(await ledger.declinedAttemptsOnCard("pm_2", 0)).toBe(2);
      expect(await ledger.declinedAttemptsOnCard("pm_2", 25)).toBe(1);
      await rejects(ledger.sql.execute("DELETE FROM payment_attempts"), "forbidden");
    });

    it("changes standing once per change and queues one outbox item for it", async () => {
      expect(await ledger.standing(acct)).toEqual({ standing: "good", version: 0 });
      const both = await Promise.all([
        ledger.setStanding(acct, "blocked", 5, { reason: "r" }),
        ledger.setStanding(acct, "blocked", 5, { reason: "r" }),
      ]);
      expect(both.filter(Boolean)).toHaveLength(1);
      expect(await ledger.setStanding(acct, "good", 6, {})).toBe(true);
      expect(await ledger.standing(acct)).toEqual({ standing: "good", version: 2 });
      const out = await ledger.pendingOutbox(10);
      expect(out.map((o) => [o.dedupeKey, o.payload.standing])).toEqual([
        [`standing:${acct}:1`, "blocked"],
        [`standing:${acct}:2`, "good"],
      ]);
      expect(
        await ledger.enqueue({
          dedupeKey: "n1",
          kind: "notification",
          accountId: acct,
          payload: {},
          createdAtMs: 7,
        }),
      ).toBe(true);
      expect(
        await ledger.enqueue({
          dedupeKey: "n1",
          kind: "notification",
          accountId: acct,
          payload: {},
          createdAtMs: 7,
        }),
      ).toBe(false);
      await ledger.markDelivered("n1", 8);
      expect((await ledger.pendingOutbox(10)).map((o) => o.dedupeKey)).not.toContain("n1");
    });

    it("keeps amounts beyond 2^53 exact", async () => {
      const huge = 2n ** 62n + 3n;
      await ledger.post({
        ...invoicePosting("s-10", 0n),
        entries: [
          { account: Accounts.receivable(acct), amountMinor: huge },
          { account: Accounts.revenue, amountMinor: -huge },
        ],
      });
      expect(await ledger.balance(Accounts.receivable(acct), "EUR")).toBe(huge);
    });
  });
}

import { ChargemeshError } from "@chargemesh/shared-model";
import type { AccountId } from "./billingTypes.js";
import { transfer } from "./invoicePostings.js";
import type { FinancialLedger } from "./ledger/financialLedger.js";
import { Accounts } from "./ledger/ledgerAccounts.js";

/**
 * The account pays its debt: every declined or retrying payment of the account is attempted again
 * now, customer-initiated, on `paymentMethod` (a new key per attempt). Returns how many were queued;
 * the reconciler's next pass makes the attempts, and a success restores the standing.
 */
export async function settleDebt(
  ledger: FinancialLedger,
  accountId: AccountId,
  paymentMethod: string,
  nowMs: number,
): Promise<number> {
  let queued = 0;
  for (const p of await ledger.openPaymentsOfAccount(accountId)) {
    if (!p.inDebt) continue;
    const moved = await ledger.changePayment(p.paymentKey, p.status, p.attemptNo, {
      status: "pending",
      attemptNo: p.attemptNo + 1,
      nextAttemptAtMs: nowMs,
      paymentMethod,
      initiatedBy: "customer",
    });
    if (moved) queued++;
  }
  return queued;
}

/**
 * Writes off a declined payment's debt (bad-debt expense), once: the payment is abandoned and its
 * amount leaves the debt account. Fails with not_found / conflict for a payment that is not declined.
 */
export async function writeOff(
  ledger: FinancialLedger,
  paymentKey: string,
  nowMs: number,
  memo: string,
): Promise<void> {
  const p = await ledger.payment(paymentKey);
  if (!p) throw new ChargemeshError("not_found", `no payment ${paymentKey}`);
  if (p.status !== "declined" || !p.inDebt)
    throw new ChargemeshError("conflict", `payment ${paymentKey} is ${p.status}, not a declined debt`);
  const moved = await ledger.changePayment(paymentKey, "declined", p.attemptNo, {
    status: "abandoned",
    postings: [
      transfer({
        kind: "write_off",
        externalRef: `write-off:${paymentKey}`,
        sessionId: p.sessionId,
        accountId: p.accountId,
        currency: p.currency,
        atMs: nowMs,
        debit: Accounts.badDebtExpense,
        credit: Accounts.debt(p.accountId),
        amountMinor: p.amountMinor,
        memo,
      }),
    ],
  });
  if (!moved) throw new ChargemeshError("conflict", `payment ${paymentKey} changed meanwhile`);
}

/**
 * A credit note: revenue and VAT given back against the account's receivable (a credit balance the
 * next invoice uses), once per `reference`. `vatMinor` is the VAT share of `amountMinor` (incl. VAT).
 */
export async function issueCredit(
  ledger: FinancialLedger,
  args: {
    accountId: AccountId;
    sessionId: string | null;
    currency: string;
    amountMinor: bigint;
    vatMinor: bigint;
    reference: string;
    memo: string;
    atMs: number;
  },
): Promise<boolean> {
  if (args.amountMinor <= 0n || args.vatMinor < 0n || args.vatMinor > args.amountMinor)
    throw new ChargemeshError("invalid_input", "credit must be positive and its VAT within it");
  const entries = [
    { account: Accounts.revenue, amountMinor: args.amountMinor - args.vatMinor },
    { account: Accounts.vatPayable, amountMinor: args.vatMinor },
    { account: Accounts.receivable(args.accountId), amountMinor: -args.amountMinor },
  ].filter((e) => e.amountMinor !== 0n);
  const r = await ledger.post({
    kind: "credit",
    externalRef: `credit:${args.reference}`,
    sessionId: args.sessionId,
    accountId: args.accountId,
    currency: args.currency,
    memo: args.memo,
    postedAtMs: args.atMs,
    entries,
  });
  return r.created;
}

/**
 * Records a refund the provider made (money back to the card): revenue and VAT debited, payment
 * clearing credited, once per provider refund reference.
 */
export async function recordRefund(
  ledger: FinancialLedger,
  args: {
    accountId: AccountId;
    sessionId: string;
    currency: string;
    amountMinor: bigint;
    vatMinor: bigint;
    providerRef: string;
    atMs: number;
  },
): Promise<boolean> {
  if (args.amountMinor <= 0n || args.vatMinor < 0n || args.vatMinor > args.amountMinor)
    throw new ChargemeshError("invalid_input", "refund must be positive and its VAT within it");
  const entries = [
    { account: Accounts.revenue, amountMinor: args.amountMinor - args.vatMinor },
    { account: Accounts.vatPayable, amountMinor: args.vatMinor },
    { account: Accounts.paymentClearing, amountMinor: -args.amountMinor },
  ].filter((e) => e.amountMinor !== 0n);
  const r = await ledger.post({
    kind: "refund",
    externalRef: `refund:${args.providerRef}`,
    sessionId: args.sessionId,
    accountId: args.accountId,
    currency: args.currency,
    memo: `refund ${args.providerRef}`,
    postedAtMs: args.atMs,
    entries,
  });
  return r.created;
}

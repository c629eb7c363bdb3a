import { createHash } from "node:crypto";
import type { AccountId } from "./billingTypes.js";
import type { EntryInput, InvoiceLineInput, TransactionInput } from "./ledger/financialLedger.js";
import { Accounts } from "./ledger/ledgerAccounts.js";
import type { LedgerAccount } from "./ledger/ledgerAccounts.js";
import type { RatedLine } from "./sessionRating.js";

/** Identifies the signed facts a rating rests on: SHA-256 of the begin and end records, hex. */
export function basisKeyOf(beginRecord: Uint8Array, endRecord: Uint8Array): string {
  return createHash("sha256").update(beginRecord).update(endRecord).digest("hex");
}

interface Totals {
  readonly revenue: bigint;
  readonly promotion: bigint;
  readonly vat: bigint;
}

/** Net revenue (non-promotion lines), promotion (negative lines' net), VAT of a set of lines. */
export function totalsOf(lines: readonly { kind: string; exclVatMinor: bigint; vatMinor: bigint }[]): Totals {
  let revenue = 0n;
  let promotion = 0n;
  let vat = 0n;
  for (const l of lines) {
    if (l.kind === "promotion") promotion += l.exclVatMinor;
    else revenue += l.exclVatMinor;
    vat += l.vatMinor;
  }
  return { revenue, promotion, vat };
}

function entries(pairs: readonly [LedgerAccount, bigint][]): EntryInput[] {
  return pairs.filter(([, a]) => a !== 0n).map(([account, amountMinor]) => ({ account, amountMinor }));
}

/**
 * The posting of an invoice basis: receivable debited with the total; revenue credited with the gross
 * net amount, promotion expense debited with the discount, VAT payable credited with the VAT. For an
 * adjustment the same with the difference (a negative difference is a credit note). Null when all zero.
 */
export function ratingPosting(args: {
  kind: "invoice" | "adjustment";
  externalRef: string;
  sessionId: string;
  accountId: AccountId;
  currency: string;
  atMs: number;
  totals: Totals;
}): TransactionInput | null {
  const { revenue, promotion, vat } = args.totals;
  const total = revenue + promotion + vat;
  const list = entries([
    [Accounts.receivable(args.accountId), total],
    [Accounts.revenue, -revenue],
    [Accounts.promotionExpense, -promotion],
    [Accounts.vatPayable, -vat],
  ]);
  if (list.length === 0) return null;
  return {
    kind: args.kind,
    externalRef: args.externalRef,
    sessionId: args.sessionId,
    accountId: args.accountId,
    currency: args.currency,
    memo: `${args.kind} of session ${args.sessionId}`,
    postedAtMs: args.atMs,
    entries: list,
  };
}

/** Invoice lines from rated lines. */
export function invoiceLines(lines: readonly RatedLine[]): InvoiceLineInput[] {
  return lines.map((l) => ({ ...l, sourceRecords: [...l.sourceRecords] }));
}

/** A transfer between two accounts of `amount` (debit `to`, credit `from`). */
export function transfer(args: {
  kind: TransactionInput["kind"];
  externalRef: string;
  sessionId: string | null;
  accountId: AccountId;
  currency: string;
  atMs: number;
  debit: LedgerAccount;
  credit: LedgerAccount;
  amountMinor: bigint;
  memo: string;
}): TransactionInput {
  return {
    kind: args.kind,
    externalRef: args.externalRef,
    sessionId: args.sessionId,
    accountId: args.accountId,
    currency: args.currency,
    memo: args.memo,
    postedAtMs: args.atMs,
    entries: [
      { account: args.debit, amountMinor: args.amountMinor },
      { account: args.credit, amountMinor: -args.amountMinor },
    ],
  };
}

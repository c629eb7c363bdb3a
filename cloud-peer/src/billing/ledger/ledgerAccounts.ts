import type { AccountId } from "../billingTypes.js";

/**
 * The chart of accounts. Amounts are signed integer minor units: a debit is positive, a credit
 * negative, so every transaction sums to zero per currency and so does the whole ledger.
 * Holds are memo accounts: an authorization is recorded against `holds_contra` and resolved (captured,
 * released, expired) by the opposite entry; money never moves through them.
 */
export type LedgerAccount = string & { readonly __ledgerAccount: true };

const named = (name: string) => name as LedgerAccount;
const perAccount = (prefix: string) => (account: AccountId) => `${prefix}:${account}` as LedgerAccount;

export const Accounts = {
  receivable: perAccount("receivable"),
  debt: perAccount("debt"),
  holds: perAccount("holds"),
  revenue: named("revenue"),
  vatPayable: named("vat_payable"),
  promotionExpense: named("promotion_expense"),
  paymentClearing: named("payment_clearing"),
  holdsContra: named("holds_contra"),
  badDebtExpense: named("bad_debt_expense"),
} as const;

export type TransactionKind =
  | "invoice"
  | "adjustment"
  | "hold"
  | "hold_resolved"
  | "payment"
  | "decline_to_debt"
  | "refund"
  | "credit"
  | "write_off"
  | "reversal";

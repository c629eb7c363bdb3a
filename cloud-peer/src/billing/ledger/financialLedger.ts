import type { AccountId, CardNetwork } from "../billingTypes.js";
import type { LedgerAccount, TransactionKind } from "./ledgerAccounts.js";
import type { SqlDatabase } from "./sqlDatabase.js";

export interface EntryInput {
  readonly account: LedgerAccount;
  /** Debit positive, credit negative; never zero. */
  readonly amountMinor: bigint;
}

/** A balanced posting. `externalRef` makes it idempotent: a second posting with the same ref is not made. */
export interface TransactionInput {
  readonly kind: TransactionKind;
  readonly externalRef: string | null;
  readonly sessionId: string | null;
  readonly accountId: AccountId | null;
  readonly currency: string;
  readonly memo: string;
  readonly postedAtMs: number;
  readonly entries: readonly EntryInput[];
}

export interface StoredEntry {
  readonly account: string;
  readonly currency: string;
  readonly amountMinor: bigint;
}

export interface StoredTransaction {
  readonly txId: string;
  readonly kind: string;
  readonly externalRef: string | null;
  readonly sessionId: string | null;
  readonly accountId: string | null;
  readonly reversesTxId: string | null;
  readonly memo: string;
  readonly postedAtMs: number;
  readonly entries: readonly StoredEntry[];
}

export interface InvoiceLineInput {
  readonly kind: string;
  readonly description: string;
  readonly energyWh: number;
  readonly exclVatMinor: bigint;
  readonly vatMinor: bigint;
  readonly sourceRecords: readonly string[];
}

/** One rating basis of an invoice: the signed begin and end records it was rated from. */
export interface InvoiceBasisInput {
  /** Identifies the facts rated (hash of the begin and end records): the same facts never add a basis. */
  readonly basisKey: string;
  readonly beginRecord: Uint8Array;
  readonly endRecord: Uint8Array;
  /** The session's whole energy on this basis. */
  readonly energyWh: number;
  /** The session's whole total on this basis (VAT included). */
  readonly totalMinor: bigint;
  /** Lines of this basis: the full rating for basis 0, the difference to the previous basis after. */
  readonly lines: readonly InvoiceLineInput[];
  /** Posting of this basis (the invoice, or the adjustment's difference); null when every amount is zero. */
  readonly posting: TransactionInput | null;
}

export interface InvoiceInput {
  readonly sessionId: string;
  readonly accountId: AccountId;
  readonly contractId: string;
  readonly siteId: string;
  readonly stallId: string;
  readonly meterId: string;
  readonly currency: string;
  readonly tariffId: string;
  readonly createdAtMs: number;
  readonly basis: InvoiceBasisInput;
}

export interface StoredInvoiceBasis {
  readonly basisNo: number;
  readonly basisKey: string;
  readonly beginRecord: Uint8Array;
  readonly endRecord: Uint8Array;
  readonly energyWh: number;
  readonly totalMinor: bigint;
  readonly txId: string | null;
}

export interface StoredInvoiceLine extends InvoiceLineInput {
  readonly basisNo: number;
  readonly lineNo: number;
}

export interface StoredInvoice {
  readonly invoiceId: string;
  readonly sessionId: string;
  readonly accountId: AccountId;
  readonly contractId: string;
  readonly siteId: string;
  readonly stallId: string;
  readonly meterId: string;
  readonly currency: string;
  readonly tariffId: string;
  readonly createdAtMs: number;
  /** In basis order; the last is the current one. */
  readonly bases: readonly StoredInvoiceBasis[];
  readonly lines: readonly StoredInvoiceLine[];
}

export type HoldStatus = "requested" | "authorized" | "declined" | "captured" | "released" | "expired";
export type InitiatedBy = "customer" | "merchant";

export interface HoldInput {
  readonly sessionId: string;
  readonly accountId: AccountId;
  readonly idempotencyKey: string;
  readonly currency: string;
  readonly amountMinor: bigint;
  readonly initiatedBy: InitiatedBy;
  readonly requestedAtMs: number;
}

export interface StoredHold extends HoldInput {
  readonly status: HoldStatus;
  readonly providerRef: string | null;
  readonly capturedMinor: bigint;
  readonly expiresAtMs: number | null;
}

/** A hold's move out of `requested`/`authorized`; the posting (if any) is made in the same transaction. */
export interface HoldChange {
  readonly status: HoldStatus;
  readonly providerRef?: string | null;
  readonly capturedMinor?: bigint;
  readonly expiresAtMs?: number | null;
  readonly posting?: TransactionInput;
}

export type PaymentPurpose = "capture" | "top_up" | "charge" | "adjustment";
export type PaymentStatus = "pending" | "succeeded" | "declined" | "abandoned";

export interface PaymentInput {
  readonly paymentKey: string;
  readonly sessionId: string;
  readonly accountId: AccountId;
  readonly purpose: PaymentPurpose;
  readonly amountMinor: bigint;
  readonly currency: string;
  readonly paymentMethod: string;
  readonly network: CardNetwork;
  readonly initiatedBy: InitiatedBy;
  readonly createdAtMs: number;
}

export interface StoredPayment extends PaymentInput {
  readonly status: PaymentStatus;
  /** The idempotency key of the current attempt is `${paymentKey}#${attemptNo}`. */
  readonly attemptNo: number;
  /** True once a decline moved the amount from receivable to debt. */
  readonly inDebt: boolean;
  readonly nextAttemptAtMs: number;
  readonly lastCode: string | null;
  readonly providerRef: string | null;
}

export interface PaymentChange {
  readonly status: PaymentStatus;
  readonly attemptNo?: number;
  readonly inDebt?: boolean;
  readonly nextAttemptAtMs?: number;
  readonly lastCode?: string | null;
  readonly providerRef?: string | null;
  readonly paymentMethod?: string;
  readonly initiatedBy?: InitiatedBy;
  /** Postings made in the same database transaction (idempotent by their external refs). */
  readonly postings?: readonly TransactionInput[];
  /** Hold change made in the same transaction (a capture resolves its hold). */
  readonly hold?: { readonly sessionId: string; readonly change: HoldChange };
}

export type AttemptOutcome = "succeeded" | "declined" | "unknown" | "conflict" | "rejected";

export interface AttemptInput {
  readonly idempotencyKey: string;
  readonly paymentKey: string;
  readonly paymentMethod: string;
  readonly outcome: AttemptOutcome;
  readonly code: string | null;
  readonly atMs: number;
}

export type Standing = "good" | "blocked";

export interface OutboxItem {
  readonly dedupeKey: string;
  readonly kind: "notification" | "standing";
  readonly accountId: AccountId;
  readonly payload: Readonly<Record<string, unknown>>;
  readonly createdAtMs: number;
}

export interface StoredOutboxItem extends OutboxItem {
  readonly deliveredAtMs: number | null;
}

export interface TrialBalanceRow {
  readonly account: string;
  readonly currency: string;
  readonly balanceMinor: bigint;
}

/**
 * The operator's financial system of record. Every method is one database transaction; the database
 * itself enforces the invariants (balance, immutability, one invoice per session, captured <= held), so
 * several cloud peers may write at once and the constraints decide. Writes keyed by an external ref,
 * session or dedupe key are idempotent: `created: false` says someone (perhaps this caller, before a
 * crash) did it already. Violations of an invariant throw ChargemeshError("forbidden").
 */
export interface FinancialLedger {
  readonly dialect: "sqlite" | "postgres";
  /** Posts a balanced transaction; returns the existing one's ID when `externalRef` was posted before. */
  post(tx: TransactionInput): Promise<{ created: boolean; txId: string }>;
  /** Posts the reversing transaction of `txId` (once; a second reversal returns the first). */
  reverse(txId: string, atMs: number, memo: string): Promise<{ created: boolean; txId: string }>;
  transaction(txId: string): Promise<StoredTransaction | null>;
  transactionByRef(externalRef: string): Promise<StoredTransaction | null>;
  balance(account: LedgerAccount, currency: string): Promise<bigint>;
  trialBalance(): Promise<TrialBalanceRow[]>;

  /** Writes the invoice, its first basis, lines and posting at once; `created: false` returns the one that exists. */
  createInvoice(input: InvoiceInput): Promise<{ created: boolean; invoice: StoredInvoice }>;
  /** Appends an adjustment basis (next basis number); `created: false` when its basis key is there already. */
  addInvoiceBasis(invoiceId: string, basis: InvoiceBasisInput): Promise<{ created: boolean }>;
  invoiceForSession(sessionId: string): Promise<StoredInvoice | null>;
  invoices(): AsyncIterable<StoredInvoice>;

  openHold(input: HoldInput): Promise<{ created: boolean; hold: StoredHold }>;
  /** Moves a hold on; false when the hold is no longer in `from` (another peer moved it). */
  changeHold(sessionId: string, from: HoldStatus, change: HoldChange): Promise<boolean>;
  hold(sessionId: string): Promise<StoredHold | null>;
  holds(): Promise<StoredHold[]>;

  openPayment(input: PaymentInput): Promise<{ created: boolean; payment: StoredPayment }>;
  /** Moves a payment on if it is still at `fromStatus`/`fromAttempt`; false when another peer did first. */
  changePayment(
    paymentKey: string,
    fromStatus: PaymentStatus,
    fromAttempt: number,
    change: PaymentChange,
  ): Promise<boolean>;
  payment(paymentKey: string): Promise<StoredPayment | null>;
  paymentsOfSession(sessionId: string): Promise<StoredPayment[]>;
  /** Pending payments whose next attempt is due at `nowMs`, oldest first. */
  duePayments(nowMs: number, limit: number): Promise<StoredPayment[]>;
  /** The contracts an account was invoiced for. */
  contractsOfAccount(accountId: AccountId): Promise<string[]>;
  /** Payments of an account in `pending`/`declined` state. */
  openPaymentsOfAccount(accountId: AccountId): Promise<StoredPayment[]>;
  recordAttempt(attempt: AttemptInput): Promise<void>;
  /** Declined attempts (distinct idempotency keys) on a card since `sinceMs`: the card-network reattempt count. */
  declinedAttemptsOnCard(paymentMethod: string, sinceMs: number): Promise<number>;

  standing(accountId: AccountId): Promise<{ standing: Standing; version: number }>;
  /** Sets the standing and enqueues its outbox item in one transaction; no-op when unchanged. */
  setStanding(
    accountId: AccountId,
    standing: Standing,
    atMs: number,
    payload: Record<string, unknown>,
  ): Promise<boolean>;
  enqueue(item: OutboxItem): Promise<boolean>;
  pendingOutbox(limit: number): Promise<StoredOutboxItem[]>;
  markDelivered(dedupeKey: string, atMs: number): Promise<void>;

  /** Raw SQL access for the revenue checker and the compliance suite (invariant probes). */
  readonly sql: SqlDatabase;
  close(): Promise<void>;
}

import type {
  PaymentStanding,
  PaymentsInfo,
  Receipt,
  ReceiptLine,
  ReplaceCardResponse,
  SettleResponse,
} from "@chargemesh/shared-model/contracts";
import type { Clock } from "@chargemesh/shared-model";
import { ApiError } from "../http/apiError.js";
import type { BillingView } from "../http/billingView.js";
import type { AccountId, BillingAccount } from "./billingTypes.js";
import { settleDebt } from "./compensations.js";
import type { FinancialLedger, StoredPayment } from "./ledger/financialLedger.js";
import { Accounts } from "./ledger/ledgerAccounts.js";

const RECEIPT_KINDS = new Set<ReceiptLine["kind"]>([
  "energy",
  "flat",
  "time",
  "parking",
  "idle",
  "promotion",
  "adjustment",
]);

export interface LedgerBillingViewOptions {
  readonly ledger: FinancialLedger;
  readonly clock: Clock;
  /** The billing account on file for an account ID, or null when billing holds none. */
  readonly accountOf: (accountId: string) => BillingAccount | null;
  /** Runs reconciler passes now (the settling attempts); resolves when they are done. */
  readonly runNow: () => Promise<unknown>;
  /**
   * Longest real-time wait for those passes before settling answers (default 4 s, well inside the
   * API's 10 s request timeout); the passes go on after it and the answer says `inProgress`.
   */
  readonly settleWaitMs?: number;
  /** How billing pays (shown to the app so it can offer the simulator's test cards). */
  readonly payments: PaymentsInfo;
  /**
   * Puts `paymentMethod` on file for the account (the provider's card for it from then on): the new
   * billing account, `unknown_payment_method` when the provider does not know it, or null for an
   * account billing holds no record of.
   */
  readonly replaceCard: (
    accountId: string,
    paymentMethod: string,
  ) => BillingAccount | "unknown_payment_method" | null;
}

/**
 * The cloud API's billing view read from the financial ledger: a session's receipt is its invoice
 * (every basis's lines, the current basis's energy and total) with the payment state of its payments;
 * an account's standing is the ledger's standing and its debt balance; settling queues the debt's
 * payments on the card on file and runs a pass; replacing the card puts another on file first. Receipt
 * and standing never throw for a missing record (null); settle and replaceCard reject with ApiError
 * not_found for an account billing does not know, replaceCard with payment_method_unknown for a payment
 * method the provider does not know.
 */
export class LedgerBillingView implements BillingView {
  constructor(private readonly o: LedgerBillingViewOptions) {}

  async receipt(sessionId: string): Promise<Receipt | null> {
    const invoice = await this.o.ledger.invoiceForSession(sessionId);
    if (!invoice) return null;
    const current = invoice.bases.at(-1)!;
    const lines: ReceiptLine[] = invoice.lines.map((l) => ({
      kind: RECEIPT_KINDS.has(l.kind as ReceiptLine["kind"]) ? (l.kind as ReceiptLine["kind"]) : "adjustment",
      description: l.description.slice(0, 200) || l.kind,
      // An adjustment may take energy away; the line's energy is its size, its description says which way.
      energyWh: Math.abs(l.energyWh),
      exclVatMinor: Number(l.exclVatMinor),
      vatMinor: Number(l.vatMinor),
    }));
    return {
      sessionId,
      invoiceRef: invoice.invoiceId,
      issuedAtMs: invoice.createdAtMs,
      currency: invoice.currency,
      energyWh: current.energyWh,
      totalMinor: Number(current.totalMinor),
      paymentState: paymentStateOf(await this.o.ledger.paymentsOfSession(sessionId)),
      lines,
    };
  }

  async standing(accountId: string): Promise<PaymentStanding | null> {
    const account = this.o.accountOf(accountId);
    if (!account) return null;
    const id = account.accountId;
    const [{ standing }, debt] = await Promise.all([
      this.o.ledger.standing(id),
      this.o.ledger.balance(Accounts.debt(id), account.currency),
    ]);
    const debtMinor = debt > 0n ? Number(debt) : 0;
    return {
      state: standing === "blocked" ? "blocked" : debtMinor > 0 ? "in_debt" : "good",
      debtMinor,
      currency: account.currency,
      source: "billing",
    };
  }

  payments(): PaymentsInfo {
    return this.o.payments;
  }

  async replaceCard(accountId: string, paymentMethod: string): Promise<ReplaceCardResponse> {
    const replaced = this.o.replaceCard(accountId, paymentMethod);
    if (replaced === null) throw new ApiError("not_found", "billing holds no card for this account");
    if (replaced === "unknown_payment_method")
      throw new ApiError(
        "payment_method_unknown",
        `the payment provider does not know the payment method ${paymentMethod}`,
      );
    return {
      card: { paymentMethod: replaced.paymentMethod, network: replaced.network },
      standing: (await this.standing(accountId))!,
    };
  }

  async settle(accountId: string): Promise<SettleResponse> {
    const account = this.o.accountOf(accountId);
    if (!account) throw new ApiError("not_found", "billing holds no card for this account");
    await settleDebt(this.o.ledger, accountId as AccountId, account.paymentMethod, this.o.clock.now());
    const done = await finishedWithin(this.o.runNow(), this.o.settleWaitMs ?? 4_000);
    return { ...(await this.standing(accountId))!, inProgress: !done };
  }
}

/**
 * Whether `work` settles within `ms` of real time (a bound on an HTTP answer, not on billing). A
 * failure inside the bound is thrown; one after it is left to the next timer pass, which logs it.
 */
async function finishedWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  work.catch(() => undefined);
  try {
    return await Promise.race([work.then(() => true as const), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** A session's payment state from its payments: none yet or first attempts pending → pending. */
function paymentStateOf(payments: readonly StoredPayment[]): Receipt["paymentState"] {
  if (payments.length === 0) return "pending";
  if (payments.some((p) => p.status === "declined")) return "declined";
  if (payments.some((p) => p.status === "pending" && (p.inDebt || p.attemptNo > 0))) return "retrying";
  if (payments.some((p) => p.status === "pending")) return "pending";
  if (payments.some((p) => p.status === "abandoned")) return "written_off";
  return "paid";
}

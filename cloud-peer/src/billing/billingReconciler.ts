import type { Clock } from "@chargemesh/shared-model";
import { contractId as toContractId } from "@chargemesh/shared-model";
import type { Logger } from "pino";
import { BillingMetrics } from "./billingMetrics.js";
import type { CrashPoint, HoldPolicy, NotificationSink, StandingSink } from "./billingPorts.js";
import type {
  AccountDirectory,
  AccountId,
  BillableSession,
  BillableSessionSource,
  BillingAccount,
} from "./billingTypes.js";
import { basisKeyOf, invoiceLines, ratingPosting, totalsOf, transfer } from "./invoicePostings.js";
import type { FinancialLedger, StoredHold, StoredInvoice, StoredPayment } from "./ledger/financialLedger.js";
import { Accounts } from "./ledger/ledgerAccounts.js";
import {
  MAX_REATTEMPTS_PER_CARD,
  REATTEMPT_WINDOW_MS,
  holdLifetimeMs,
  isDoNotRetry,
  reattemptDelayMs,
  unknownOutcomeDelayMs,
} from "./payments/cardNetworkRules.js";
import type { PaymentProvider, PaymentResult } from "./payments/paymentProvider.js";
import type { SessionRater } from "./sessionRating.js";

export interface BillingReconcilerOptions {
  readonly ledger: FinancialLedger;
  readonly provider: PaymentProvider;
  readonly source: BillableSessionSource;
  readonly accounts: AccountDirectory;
  readonly rater: SessionRater;
  readonly holdPolicy: HoldPolicy;
  readonly standingSink: StandingSink;
  readonly notificationSink: NotificationSink;
  readonly clock: Clock;
  readonly logger?: Logger;
  readonly metrics?: BillingMetrics;
  /** Attempts (with a new key after each known decline) before a payment stays declined. Default 8. */
  readonly maxAttemptsPerPayment?: number;
  /** Test hook called between steps. */
  readonly crashPoint?: CrashPoint;
}

export interface ReconcileReport {
  readonly sessionsSeen: number;
  readonly invoicesWritten: number;
  readonly adjustmentsWritten: number;
  readonly paymentAttempts: number;
  /** Work that is waiting on something (a provider outcome, a retry time): run again later. */
  readonly waiting: number;
}

const idempotencyKey = (p: StoredPayment) => `${p.paymentKey}#${p.attemptNo}`;

/**
 * The billing reconciler (DESIGN.md step 8). Level-triggered: each pass looks at every session the
 * source yields and every payment that is due, and does the next step that is missing; every step is
 * idempotent and keyed by the session (holds, invoices, payments and postings all carry keys the
 * database keeps unique), so a crash between any two steps, or several cloud peers running passes on
 * one database at once, never bills or charges twice. The order of steps per session: hold at begin;
 * at the end rate and invoice (a later change of the signed facts adds an adjustment basis, never a
 * second invoice); plan payments from the invoice and the hold (capture up to the hold, a top-up
 * above it, a fresh charge when there is no live hold); attempt payments with one idempotency key per
 * attempt until its outcome is known; declines move the amount to debt, notify and block the
 * account's standing; paying the debt restores it.
 */
export class BillingReconciler {
  private readonly metrics: BillingMetrics;
  private readonly maxAttempts: number;
  private report = {
    sessionsSeen: 0,
    invoicesWritten: 0,
    adjustmentsWritten: 0,
    paymentAttempts: 0,
    waiting: 0,
  };
  private readonly touched = new Set<AccountId>();

  constructor(private readonly o: BillingReconcilerOptions) {
    this.metrics = o.metrics ?? new BillingMetrics();
    this.maxAttempts = o.maxAttemptsPerPayment ?? 8;
  }

  private crash(point: string): void {
    this.o.crashPoint?.(point);
  }

  /** One pass over every session and every due payment. Throws only what the crash hook throws or the database fails with. */
  async runOnce(): Promise<ReconcileReport> {
    this.report = {
      sessionsSeen: 0,
      invoicesWritten: 0,
      adjustmentsWritten: 0,
      paymentAttempts: 0,
      waiting: 0,
    };
    this.touched.clear();
    this.metrics.passes.inc();
    for await (const session of this.o.source.sessions()) {
      this.report.sessionsSeen++;
      await this.reconcileSession(session);
    }
    for (const p of await this.o.ledger.duePayments(this.o.clock.now(), 500)) await this.attempt(p);
    await this.expireLapsedHolds();
    for (const account of this.touched) await this.reconcileStanding(account);
    await this.deliverOutbox();
    return { ...this.report };
  }

  /** Passes until nothing is left to do now (or `maxPasses`); returns the last report. */
  async runUntilQuiet(maxPasses = 20): Promise<ReconcileReport> {
    let last = await this.runOnce();
    for (
      let i = 1;
      i < maxPasses &&
      (last.invoicesWritten + last.adjustmentsWritten + last.paymentAttempts > 0 ||
        (await this.hasDueWork()));
      i++
    ) {
      last = await this.runOnce();
    }
    return last;
  }

  private async hasDueWork(): Promise<boolean> {
    return (
      (await this.o.ledger.duePayments(this.o.clock.now(), 1)).length > 0 ||
      (await this.o.ledger.pendingOutbox(1)).length > 0
    );
  }

  private async reconcileSession(s: BillableSession): Promise<void> {
    const account = await this.o.accounts.accountFor(s.contractId);
    if (!account) {
      this.metrics.skipped.inc({ reason: "no_account" });
      return;
    }
    this.touched.add(account.accountId);
    if (s.end === null) return void (await this.ensureHold(s, account));
    let hold = await this.o.ledger.hold(s.sessionId);
    if (hold?.status === "requested") hold = await this.ensureHold(s, account);
    if (hold?.status === "requested") return void this.report.waiting++;
    const invoice = await this.ensureInvoice(s, account);
    if (!invoice) return;
    await this.planPayments(s, account, invoice, hold);
  }

  private async ensureHold(s: BillableSession, account: BillingAccount): Promise<StoredHold | null> {
    let hold = await this.o.ledger.hold(s.sessionId);
    if (!hold) {
      const amount = this.o.holdPolicy.holdAmountMinor(account);
      if (amount <= 0n) return null;
      hold = (
        await this.o.ledger.openHold({
          sessionId: s.sessionId,
          accountId: account.accountId,
          idempotencyKey: `hold:${s.sessionId}`,
          currency: account.currency,
          amountMinor: amount,
          initiatedBy: "customer",
          requestedAtMs: this.o.clock.now(),
        })
      ).hold;
      this.crash("hold:opened");
    }
    if (hold.status !== "requested") return hold;
    const r = await this.o.provider.authorize({
      idempotencyKey: hold.idempotencyKey,
      amountMinor: hold.amountMinor,
      currency: hold.currency,
      paymentMethod: account.paymentMethod,
      customer: account.customer,
      initiatedBy: hold.initiatedBy,
      sessionId: s.sessionId,
    });
    this.crash("hold:answered");
    this.metrics.holds.inc({ outcome: r.kind });
    const now = this.o.clock.now();
    if (r.kind === "succeeded") {
      await this.o.ledger.changeHold(s.sessionId, "requested", {
        status: "authorized",
        providerRef: r.providerRef,
        expiresAtMs: r.expiresAtMs ?? hold.requestedAtMs + holdLifetimeMs(account.network, hold.initiatedBy),
        posting: transfer({
          kind: "hold",
          externalRef: `hold:${s.sessionId}`,
          sessionId: s.sessionId,
          accountId: account.accountId,
          currency: hold.currency,
          atMs: now,
          debit: Accounts.holds(account.accountId),
          credit: Accounts.holdsContra,
          amountMinor: hold.amountMinor,
          memo: `hold ${r.providerRef}`,
        }),
      });
    } else if (r.kind === "declined" || r.kind === "rejected") {
      await this.o.ledger.changeHold(s.sessionId, "requested", { status: "declined" });
    }
    this.crash("hold:recorded");
    return this.o.ledger.hold(s.sessionId);
  }

  private async ensureInvoice(s: BillableSession, account: BillingAccount): Promise<StoredInvoice | null> {
    const end = s.end!;
    const basisKey = basisKeyOf(s.begin.signedRecord, end.signedRecord);
    const existing = await this.o.ledger.invoiceForSession(s.sessionId);
    if (existing && existing.bases.some((b) => b.basisKey === basisKey)) return existing;
    const rated = this.o.rater.rate(s, account);
    if (!rated.ok) {
      this.metrics.skipped.inc({ reason: "unrateable" });
      this.o.logger?.warn(
        { sessionId: s.sessionId, code: rated.error.code, err: rated.error.message },
        "session not rateable",
      );
      return existing;
    }
    const rating = rated.value;
    this.crash("invoice:rated");
    const now = this.o.clock.now();
    if (!existing) {
      const lines = invoiceLines(rating.lineItems);
      const { created, invoice } = await this.o.ledger.createInvoice({
        sessionId: s.sessionId,
        accountId: account.accountId,
        contractId: s.contractId,
        siteId: s.siteId,
        stallId: s.stallId,
        meterId: s.meterId,
        currency: rating.currency,
        tariffId: rating.tariffId,
        createdAtMs: now,
        basis: {
          basisKey,
          beginRecord: s.begin.signedRecord,
          endRecord: end.signedRecord,
          energyWh: rating.energyWh,
          totalMinor: rating.totalMinorUnits,
          lines,
          posting: ratingPosting({
            kind: "invoice",
            externalRef: `invoice:${s.sessionId}`,
            sessionId: s.sessionId,
            accountId: account.accountId,
            currency: rating.currency,
            atMs: now,
            totals: totalsOf(lines),
          }),
        },
      });
      if (created) {
        this.report.invoicesWritten++;
        this.metrics.invoices.inc();
      }
      this.crash("invoice:written");
      return invoice.bases.some((b) => b.basisKey === basisKey) ? invoice : this.ensureInvoice(s, account);
    }
    // Late or changed facts: one adjustment basis with the difference to everything invoiced so far.
    const before = totalsOf(existing.lines);
    const after = totalsOf(rating.lineItems);
    const previous = existing.bases.at(-1)!;
    const delta = {
      revenue: after.revenue - before.revenue,
      promotion: after.promotion - before.promotion,
      vat: after.vat - before.vat,
    };
    const energyDelta = rating.energyWh - previous.energyWh;
    const { created } = await this.o.ledger.addInvoiceBasis(existing.invoiceId, {
      basisKey,
      beginRecord: s.begin.signedRecord,
      endRecord: end.signedRecord,
      energyWh: rating.energyWh,
      totalMinor: rating.totalMinorUnits,
      lines: [
        {
          kind: "adjustment",
          description: `adjustment: ${energyDelta >= 0 ? "+" : ""}${energyDelta} Wh from records ${s.meterId}/${s.begin.seq}..${end.seq}`,
          energyWh: energyDelta,
          exclVatMinor: delta.revenue + delta.promotion,
          vatMinor: delta.vat,
          sourceRecords: [`${s.meterId}/${s.begin.seq}`, `${s.meterId}/${end.seq}`],
        },
      ],
      posting: ratingPosting({
        kind: "adjustment",
        externalRef: `adjustment:${s.sessionId}:${basisKey}`,
        sessionId: s.sessionId,
        accountId: account.accountId,
        currency: existing.currency,
        atMs: now,
        totals: delta,
      }),
    });
    if (created) {
      this.report.adjustmentsWritten++;
      this.metrics.adjustments.inc();
    }
    this.crash("adjustment:written");
    return this.o.ledger.invoiceForSession(s.sessionId);
  }

  /**
   * Decides the payments of an invoice once: the primary payment (`<session>:primary`) is a capture
   * of min(total, held) when a live hold exists, else a fresh charge; a top-up charges what exceeds the
   * hold; each later adjustment basis with a positive difference gets its own charge. The keys make
   * the decision stick: a peer that decides later finds the payment the first one opened.
   */
  private async planPayments(
    s: BillableSession,
    account: BillingAccount,
    invoice: StoredInvoice,
    hold: StoredHold | null,
  ): Promise<void> {
    const now = this.o.clock.now();
    const total = invoice.bases[0]!.totalMinor;
    const existing = new Map(
      (await this.o.ledger.paymentsOfSession(s.sessionId)).map((p) => [p.paymentKey, p]),
    );
    const base = {
      sessionId: s.sessionId,
      accountId: account.accountId,
      currency: invoice.currency,
      paymentMethod: account.paymentMethod,
      network: account.network,
      initiatedBy: "merchant" as const,
      createdAtMs: now,
    };
    const primaryKey = `${s.sessionId}:primary`;
    let primary = existing.get(primaryKey);
    if (!primary) {
      const liveHold = hold?.status === "authorized" && hold.expiresAtMs !== null && now < hold.expiresAtMs;
      if (hold?.status === "authorized" && !liveHold) await this.expireHold(hold);
      const amount = liveHold ? (total < hold.amountMinor ? total : hold.amountMinor) : total;
      if (amount > 0n) {
        primary = (
          await this.o.ledger.openPayment({
            ...base,
            paymentKey: primaryKey,
            purpose: liveHold ? "capture" : "charge",
            amountMinor: amount,
          })
        ).payment;
        this.crash("plan:primary-opened");
      } else if (liveHold) await this.releaseHold(hold);
    }
    if (
      primary?.purpose === "capture" &&
      hold &&
      total > hold.amountMinor &&
      !existing.has(`${s.sessionId}:top_up`)
    ) {
      await this.o.ledger.openPayment({
        ...base,
        paymentKey: `${s.sessionId}:top_up`,
        purpose: "top_up",
        amountMinor: total - hold.amountMinor,
      });
      this.crash("plan:top-up-opened");
    }
    if (
      primary?.status === "abandoned" &&
      primary.purpose === "capture" &&
      !existing.has(`${s.sessionId}:fallback`)
    ) {
      await this.o.ledger.openPayment({
        ...base,
        paymentKey: `${s.sessionId}:fallback`,
        purpose: "charge",
        amountMinor: primary.amountMinor,
      });
      this.crash("plan:fallback-opened");
    }
    for (let i = 1; i < invoice.bases.length; i++) {
      const delta = invoice.bases[i]!.totalMinor - invoice.bases[i - 1]!.totalMinor;
      const key = `${s.sessionId}:adjustment:${i}`;
      if (delta > 0n && !existing.has(key)) {
        await this.o.ledger.openPayment({
          ...base,
          paymentKey: key,
          purpose: "adjustment",
          amountMinor: delta,
        });
        this.crash("plan:adjustment-opened");
      }
    }
  }

  /** Authorized holds past their life with no capture planned: resolved as expired. */
  private async expireLapsedHolds(): Promise<void> {
    const rows = await this.o.ledger.sql.query(
      "SELECT h.session_id FROM holds h WHERE h.status = 'authorized' AND h.expires_at_ms <= ? AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.session_id = h.session_id AND p.purpose = 'capture' AND p.status = 'pending')",
      [this.o.clock.now()],
    );
    for (const r of rows) {
      const hold = await this.o.ledger.hold(r.session_id as string);
      if (hold?.status === "authorized") await this.expireHold(hold);
    }
  }

  private async expireHold(hold: StoredHold): Promise<void> {
    await this.o.ledger.changeHold(hold.sessionId, "authorized", {
      status: "expired",
      posting: this.holdResolved(hold, "expired"),
    });
  }

  private async releaseHold(hold: StoredHold): Promise<void> {
    const r = await this.o.provider.release({
      idempotencyKey: `release:${hold.sessionId}`,
      providerRef: hold.providerRef!,
    });
    this.crash("release:answered");
    if (r.kind === "succeeded" || r.kind === "rejected") {
      await this.o.ledger.changeHold(hold.sessionId, "authorized", {
        status: "released",
        posting: this.holdResolved(hold, "released"),
      });
    } else this.report.waiting++;
  }

  private holdResolved(hold: StoredHold, how: string) {
    return transfer({
      kind: "hold_resolved",
      externalRef: `hold-resolved:${hold.sessionId}`,
      sessionId: hold.sessionId,
      accountId: hold.accountId,
      currency: hold.currency,
      atMs: this.o.clock.now(),
      debit: Accounts.holdsContra,
      credit: Accounts.holds(hold.accountId),
      amountMinor: hold.amountMinor,
      memo: `hold ${how}`,
    });
  }

  private async call(p: StoredPayment): Promise<PaymentResult> {
    const key = idempotencyKey(p);
    if (p.purpose === "capture") {
      const hold = await this.o.ledger.hold(p.sessionId);
      if (!hold?.providerRef)
        return { kind: "rejected", code: "no_hold", message: "capture without an authorized hold" };
      return this.o.provider.capture({
        idempotencyKey: key,
        providerRef: hold.providerRef,
        amountMinor: p.amountMinor,
      });
    }
    return this.o.provider.charge({
      idempotencyKey: key,
      amountMinor: p.amountMinor,
      currency: p.currency,
      paymentMethod: p.paymentMethod,
      customer: null,
      initiatedBy: p.initiatedBy,
      sessionId: p.sessionId,
    });
  }

  /** One attempt of a due payment, with the key of its current attempt. */
  private async attempt(p: StoredPayment): Promise<void> {
    const now = this.o.clock.now();
    if (
      p.attemptNo > 0 &&
      (await this.o.ledger.declinedAttemptsOnCard(p.paymentMethod, now - REATTEMPT_WINDOW_MS)) >
        MAX_REATTEMPTS_PER_CARD
    ) {
      // The card had its reattempts in the window: this payment stays declined (in debt) until the account pays.
      await this.o.ledger.changePayment(p.paymentKey, "pending", p.attemptNo, {
        status: "declined",
        lastCode: "reattempt_limit",
      });
      this.touched.add(p.accountId);
      return;
    }
    const r = await this.call(p);
    this.report.paymentAttempts++;
    this.metrics.payments.inc({ purpose: p.purpose, outcome: r.kind });
    this.touched.add(p.accountId);
    this.crash("payment:answered");
    await this.o.ledger.recordAttempt({
      idempotencyKey: idempotencyKey(p),
      paymentKey: p.paymentKey,
      paymentMethod: p.paymentMethod,
      outcome: r.kind,
      code: r.kind === "declined" || r.kind === "rejected" ? r.code : null,
      atMs: now,
    });
    this.crash("payment:attempt-recorded");
    const tag = {
      kind: "payment" as const,
      sessionId: p.sessionId,
      accountId: p.accountId,
      currency: p.currency,
      atMs: now,
    };
    if (r.kind === "succeeded") {
      const hold = p.purpose === "capture" ? await this.o.ledger.hold(p.sessionId) : null;
      if (p.inDebt) {
        await this.o.ledger.enqueue({
          dedupeKey: `settled:${p.paymentKey}`,
          kind: "notification",
          accountId: p.accountId,
          payload: {
            event: "debt_settled",
            sessionId: p.sessionId,
            amountMinor: p.amountMinor.toString(),
            currency: p.currency,
          },
          createdAtMs: now,
        });
      }
      await this.o.ledger.changePayment(p.paymentKey, "pending", p.attemptNo, {
        status: "succeeded",
        providerRef: r.providerRef,
        lastCode: null,
        postings: [
          transfer({
            ...tag,
            externalRef: `payment:${p.paymentKey}`,
            debit: Accounts.paymentClearing,
            credit: p.inDebt ? Accounts.debt(p.accountId) : Accounts.receivable(p.accountId),
            amountMinor: p.amountMinor,
            memo: `${p.purpose} ${r.providerRef}`,
          }),
        ],
        ...(hold
          ? {
              hold: {
                sessionId: p.sessionId,
                change: {
                  status: "captured" as const,
                  capturedMinor: p.amountMinor,
                  posting: this.holdResolved(hold, "captured"),
                },
              },
            }
          : {}),
      });
    } else if (r.kind === "declined") {
      const doNotRetry = isDoNotRetry(r);
      const onCard = await this.o.ledger.declinedAttemptsOnCard(p.paymentMethod, now - REATTEMPT_WINDOW_MS);
      const final = doNotRetry || onCard > MAX_REATTEMPTS_PER_CARD || p.attemptNo + 1 >= this.maxAttempts;
      await this.o.ledger.enqueue({
        dedupeKey: `declined:${idempotencyKey(p)}`,
        kind: "notification",
        accountId: p.accountId,
        payload: {
          event: "payment_declined",
          sessionId: p.sessionId,
          code: r.code,
          retrying: !final,
          amountMinor: p.amountMinor.toString(),
          currency: p.currency,
        },
        createdAtMs: now,
      });
      await this.o.ledger.changePayment(p.paymentKey, "pending", p.attemptNo, {
        status: final ? "declined" : "pending",
        attemptNo: p.attemptNo + 1,
        inDebt: true,
        lastCode: r.networkDeclineCode ? `${r.code}/${r.networkDeclineCode}` : r.code,
        nextAttemptAtMs: now + reattemptDelayMs(p.attemptNo + 1),
        postings: p.inDebt
          ? []
          : [
              transfer({
                ...tag,
                kind: "decline_to_debt",
                externalRef: `debt:${p.paymentKey}`,
                debit: Accounts.debt(p.accountId),
                credit: Accounts.receivable(p.accountId),
                amountMinor: p.amountMinor,
                memo: `declined ${r.code}`,
              }),
            ],
      });
      this.crash("payment:declined-recorded");
    } else if (r.kind === "rejected" && r.code === "charge_expired_for_capture") {
      const hold = await this.o.ledger.hold(p.sessionId);
      await this.o.ledger.changePayment(p.paymentKey, "pending", p.attemptNo, {
        status: "abandoned",
        lastCode: r.code,
        ...(hold
          ? {
              hold: {
                sessionId: p.sessionId,
                change: {
                  status: "expired" as const,
                  posting: this.holdResolved(hold, "expired at the provider"),
                },
              },
            }
          : {}),
      });
    } else {
      // Unknown outcome, a concurrent request with the same key, or a refusal to look into: same key, later.
      if (r.kind === "rejected")
        this.o.logger?.error(
          { paymentKey: p.paymentKey, code: r.code, message: r.message },
          "payment request rejected",
        );
      const tries = await this.unknownTries(p);
      await this.o.ledger.changePayment(p.paymentKey, "pending", p.attemptNo, {
        status: "pending",
        nextAttemptAtMs: now + unknownOutcomeDelayMs(tries),
      });
      this.report.waiting++;
    }
    this.crash("payment:recorded");
  }

  private async unknownTries(p: StoredPayment): Promise<number> {
    const rows = await this.o.ledger.sql.query(
      "SELECT COUNT(*) AS n FROM payment_attempts WHERE idempotency_key = ?",
      [idempotencyKey(p)],
    );
    return Number(rows[0]!.n as bigint);
  }

  /** Blocked while the account owes debt, good otherwise; a change goes out through the outbox. */
  private async reconcileStanding(accountId: AccountId): Promise<void> {
    const debts = await this.o.ledger.sql.query(
      "SELECT COALESCE(SUM(amount_minor), 0) AS d FROM fin_entries WHERE account = ?",
      [Accounts.debt(accountId)],
    );
    const owes = BigInt(debts[0]!.d as bigint) > 0n;
    const changed = await this.o.ledger.setStanding(
      accountId,
      owes ? "blocked" : "good",
      this.o.clock.now(),
      {
        reason: owes ? "unpaid debt" : "debt settled",
        contractIds: await this.o.ledger.contractsOfAccount(accountId),
      },
    );
    if (changed) this.crash("standing:changed");
  }

  private async deliverOutbox(): Promise<void> {
    for (const item of await this.o.ledger.pendingOutbox(200)) {
      try {
        if (item.kind === "standing") {
          const p = item.payload as {
            standing: "good" | "blocked";
            version: number;
            reason?: string;
            contractIds?: string[];
          };
          await this.o.standingSink.applyStanding({
            accountId: item.accountId,
            contractIds: (p.contractIds ?? []).map((c) => toContractId(c)),
            standing: p.standing,
            version: p.version,
            reason: p.reason ?? "",
          });
        } else {
          await this.o.notificationSink.notify({
            dedupeKey: item.dedupeKey,
            accountId: item.accountId,
            payload: item.payload,
          });
        }
      } catch (e) {
        this.o.logger?.warn(
          { dedupeKey: item.dedupeKey, err: (e as Error).message },
          "outbox delivery failed; retried next pass",
        );
        continue;
      }
      this.crash("outbox:delivered");
      await this.o.ledger.markDelivered(item.dedupeKey, this.o.clock.now());
      this.metrics.outbox.inc({ kind: item.kind });
    }
  }
}

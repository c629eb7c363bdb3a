import { Counter, Registry } from "prom-client";

/** The reconciler's Prometheus metrics (registered on the given registry). */
export class BillingMetrics {
  readonly passes: Counter;
  readonly invoices: Counter;
  readonly adjustments: Counter;
  readonly holds: Counter<"outcome">;
  readonly payments: Counter<"purpose" | "outcome">;
  readonly skipped: Counter<"reason">;
  readonly outbox: Counter<"kind">;

  constructor(readonly registry: Registry = new Registry()) {
    const r = [registry];
    this.passes = new Counter({
      name: "billing_reconcile_passes_total",
      help: "Reconciler passes run",
      registers: r,
    });
    this.invoices = new Counter({
      name: "billing_invoices_written_total",
      help: "Invoices this process wrote",
      registers: r,
    });
    this.adjustments = new Counter({
      name: "billing_adjustments_written_total",
      help: "Adjustment bases this process wrote",
      registers: r,
    });
    this.holds = new Counter({
      name: "billing_hold_requests_total",
      help: "Hold requests by outcome",
      labelNames: ["outcome"],
      registers: r,
    });
    this.payments = new Counter({
      name: "billing_payment_attempts_total",
      help: "Payment attempts by purpose and outcome",
      labelNames: ["purpose", "outcome"],
      registers: r,
    });
    this.skipped = new Counter({
      name: "billing_sessions_skipped_total",
      help: "Sessions not billed this pass, by reason",
      labelNames: ["reason"],
      registers: r,
    });
    this.outbox = new Counter({
      name: "billing_outbox_delivered_total",
      help: "Outbox items delivered",
      labelNames: ["kind"],
      registers: r,
    });
  }
}

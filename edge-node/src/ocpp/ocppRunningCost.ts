import type { Clock } from "@chargemesh/shared-model";
import type { OcppTotalCost } from "./ocppTotalCost.js";
import { chargerCostFigure } from "./ocppTotalCost.js";
import type { TransactionSummary } from "./ocppTransactionLog.js";

/** A CostUpdatedRequest's payload (OCPP 2.0.1 I02): the running total cost, VAT included, in major units. */
export interface CostUpdate {
  readonly totalCost: number;
  readonly transactionId: string;
}

export interface RunningCostOptions {
  /** The shortest time between two CostUpdated of one transaction, ms of the injected clock. */
  readonly minIntervalMs: number;
  /** Transactions tracked at once; beyond this the least recently updated is forgotten. */
  readonly maxTransactions?: number;
}

interface Sent {
  cost: number;
  atMs: number;
}

/** Default shortest time between two CostUpdated of one transaction: a minute. */
export const DEFAULT_COST_UPDATE_INTERVAL_MS = 60_000;

/**
 * When a charger is sent the running cost of a transaction (OCPP 2.0.1 I02.FR.01: CostUpdated at a
 * relevant moment). The figure is `cost`, the same function the Ended answer's `totalCost` comes
 * from (ocppTotalCost), over the transaction as stored so far. An update is due when the transaction
 * is open, the figure exists, it rose since the last one sent (figures are whole minor units, so any
 * rise is at least one) and `minIntervalMs` of the clock passed since then; the charger therefore
 * sees non-decreasing costs, none when the site has no OCPI tariff. Bounded memory; never throws.
 */
export class OcppRunningCost {
  private readonly sent = new Map<string, Sent>();

  constructor(
    private readonly cost: OcppTotalCost | undefined,
    private readonly clock: Clock,
    private readonly opts: RunningCostOptions,
  ) {}

  /** The update to send for `tx` now, recorded as sent (call it only when it will be sent); null when none is due. */
  take(tx: TransactionSummary): CostUpdate | null {
    const key = `${tx.stationId}\u0000${tx.transactionId}`;
    if (tx.ended) {
      this.sent.delete(key);
      return null;
    }
    const figure = chargerCostFigure(this.cost, tx);
    if (figure === null) return null;
    const now = this.clock.now();
    const last = this.sent.get(key);
    if (last && (figure <= last.cost || now - last.atMs < this.opts.minIntervalMs)) return null;
    if (!last && figure <= 0) return null;
    this.sent.delete(key);
    this.sent.set(key, { cost: figure, atMs: now });
    const max = this.opts.maxTransactions ?? 1_000;
    while (this.sent.size > max) this.sent.delete(this.sent.keys().next().value!);
    return { totalCost: figure, transactionId: tx.transactionId };
  }

  /** Forgets a transaction (it ended). */
  forget(stationId: string, transactionId: string): void {
    this.sent.delete(`${stationId}\u0000${transactionId}`);
  }

  /** Transactions tracked now (bounded by `maxTransactions`). */
  tracked(): number {
    return this.sent.size;
  }
}

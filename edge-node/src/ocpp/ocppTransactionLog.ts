/** One TransactionEvent as the CSMS stored it. */
export interface StoredTransactionEvent {
  readonly eventType: "Started" | "Updated" | "Ended";
  readonly seqNo: number;
  readonly timestamp: string;
  readonly offline: boolean;
  readonly triggerReason: string;
}

export interface TransactionSummary {
  readonly stationId: string;
  readonly transactionId: string;
  readonly evseId: number | null;
  readonly idToken: { readonly idToken: string; readonly type: string } | null;
  readonly events: number;
  readonly ended: boolean;
  readonly offlineEvents: number;
  readonly highestRegisterWh: number | null;
  /** The lowest register and the earliest event time seen (the transaction's start, in any arrival order). */
  readonly lowestRegisterWh: number | null;
  readonly firstEventMs: number | null;
  readonly lastEventMs: number | null;
}

interface TransactionState {
  evseId: number | null;
  idToken: { idToken: string; type: string } | null;
  readonly seqNos: Map<number, StoredTransactionEvent>;
  ended: boolean;
  highestRegisterWh: number | null;
  lowestRegisterWh: number | null;
  firstEventMs: number | null;
  lastEventMs: number | null;
  lastTouched: number;
}

/**
 * TransactionEvents stored idempotently by (station, transaction, seqNo). What the events mean does
 * not depend on their order: the register is the highest seen (and its start the lowest, at the
 * earliest event time), a transaction has ended once any Ended
 * event arrived, EVSE and idToken are the first ones named. Bounded: at most `maxTransactions`
 * transactions (the oldest ended ones go first) and `maxEventsPerTransaction` events each.
 */
export class OcppTransactionLog {
  private readonly txs = new Map<string, TransactionState>();
  private touch = 0;

  constructor(
    private readonly maxTransactions = 10_000,
    private readonly maxEventsPerTransaction = 5_000,
  ) {}

  /** Stores one event; "duplicate" when (station, transaction, seqNo) is already here, "full" past the bound. */
  record(
    stationId: string,
    transactionId: string,
    event: StoredTransactionEvent,
    facts: {
      evseId: number | null;
      idToken: { idToken: string; type: string } | null;
      registerWh: number | null;
    },
  ): "new" | "duplicate" | "full" {
    const key = `${stationId}\u0000${transactionId}`;
    let tx = this.txs.get(key);
    if (!tx) {
      this.evict();
      tx = {
        evseId: null,
        idToken: null,
        seqNos: new Map(),
        ended: false,
        highestRegisterWh: null,
        lowestRegisterWh: null,
        firstEventMs: null,
        lastEventMs: null,
        lastTouched: 0,
      };
      this.txs.set(key, tx);
    }
    tx.lastTouched = ++this.touch;
    if (tx.seqNos.has(event.seqNo)) return "duplicate";
    if (tx.seqNos.size >= this.maxEventsPerTransaction) return "full";
    tx.seqNos.set(event.seqNo, event);
    tx.evseId ??= facts.evseId;
    tx.idToken ??= facts.idToken;
    if (event.eventType === "Ended") tx.ended = true;
    if (
      facts.registerWh !== null &&
      (tx.highestRegisterWh === null || facts.registerWh > tx.highestRegisterWh)
    )
      tx.highestRegisterWh = facts.registerWh;
    if (facts.registerWh !== null && (tx.lowestRegisterWh === null || facts.registerWh < tx.lowestRegisterWh))
      tx.lowestRegisterWh = facts.registerWh;
    const atMs = Date.parse(event.timestamp);
    if (Number.isFinite(atMs)) {
      if (tx.firstEventMs === null || atMs < tx.firstEventMs) tx.firstEventMs = atMs;
      if (tx.lastEventMs === null || atMs > tx.lastEventMs) tx.lastEventMs = atMs;
    }
    return "new";
  }

  get(stationId: string, transactionId: string): TransactionSummary | null {
    const tx = this.txs.get(`${stationId}\u0000${transactionId}`);
    return tx ? summary(stationId, transactionId, tx) : null;
  }

  /** Transactions of a station with no Ended event yet (what GetTransactionStatus asks about after a reconnect). */
  open(stationId: string): TransactionSummary[] {
    const out: TransactionSummary[] = [];
    for (const [key, tx] of this.txs) {
      const [station, id] = key.split("\u0000") as [string, string];
      if (station === stationId && !tx.ended) out.push(summary(station, id, tx));
    }
    return out;
  }

  /** Marks a transaction over (the charger says it no longer runs and has nothing queued). */
  markEnded(stationId: string, transactionId: string): void {
    const tx = this.txs.get(`${stationId}\u0000${transactionId}`);
    if (tx) tx.ended = true;
  }

  private evict(): void {
    if (this.txs.size < this.maxTransactions) return;
    const all = [...this.txs];
    const ended = all.filter(([, t]) => t.ended);
    const pool = ended.length > 0 ? ended : all;
    const victim = pool.reduce((a, b) => (b[1].lastTouched < a[1].lastTouched ? b : a));
    this.txs.delete(victim[0]);
  }
}

function summary(stationId: string, transactionId: string, tx: TransactionState): TransactionSummary {
  let offlineEvents = 0;
  for (const e of tx.seqNos.values()) if (e.offline) offlineEvents++;
  return {
    stationId,
    transactionId,
    evseId: tx.evseId,
    idToken: tx.idToken,
    events: tx.seqNos.size,
    ended: tx.ended,
    offlineEvents,
    highestRegisterWh: tx.highestRegisterWh,
    lowestRegisterWh: tx.lowestRegisterWh,
    firstEventMs: tx.firstEventMs,
    lastEventMs: tx.lastEventMs,
  };
}

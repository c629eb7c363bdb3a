import type { AuthorizationDecision, Clock } from "@chargemesh/shared-model";
import { systemClock } from "@chargemesh/shared-model";
import type { OcppStoreDamage } from "./ocppSiteDatabase.js";
import type {
  OcppTransactionStore,
  StoredTransactionEvent,
  TransactionFacts,
} from "./sqliteOcppTransactionStore.js";

export type { StoredTransactionEvent } from "./sqliteOcppTransactionStore.js";

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
  /** The site session the transaction charges for, and the decision that opened it (null until one did). */
  readonly sessionId?: string | null;
  readonly decision?: AuthorizationDecision | null;
  /** The site ended that session while the transaction may still run (it must be stopped, not adopted). */
  readonly sessionOver?: boolean;
}

interface TransactionState {
  facts: {
    -readonly [K in keyof TransactionFacts]: TransactionFacts[K];
  };
  readonly seqNos: Map<number, StoredTransactionEvent>;
  lastTouched: number;
}

export interface TransactionLogPersistence {
  /** Where transactions are written through and loaded from (absent: memory only). */
  readonly store?: OcppTransactionStore;
  readonly clock?: Clock;
  /** How long an ended transaction is kept after it ended, ms (default 7 days). */
  readonly endedRetentionMs?: number;
  /** A write the store refused (the log goes on in memory; a restart loses what was not written). */
  readonly onStoreError?: (e: unknown) => void;
}

const DAY_MS = 86_400_000;

/**
 * TransactionEvents stored idempotently by (station, transaction, seqNo). What the events mean does
 * not depend on their order: the register is the highest seen (and its start the lowest, at the
 * earliest event time), a transaction has ended once any Ended event arrived, EVSE and idToken are
 * the first ones named. Bounded: at most `maxTransactionsPerStation` transactions per station (the
 * least recently touched ended ones go first), `maxEventsPerTransaction` events each, and ended
 * transactions are pruned `endedRetentionMs` after they ended. With a store, every change is written
 * through (one atomic write per event) and the log loads it back on construction; rows the store
 * could not read are in `damaged`.
 */
export class OcppTransactionLog {
  private readonly txs = new Map<string, TransactionState>();
  private touch = 0;
  private readonly store: OcppTransactionStore | null;
  private readonly clock: Clock;
  private readonly retentionMs: number;
  private readonly onStoreError: (e: unknown) => void;
  /** Writes the store refused since start. */
  storeErrors = 0;
  /** Rows the store held but could not read back (reported, left out). */
  readonly damaged: readonly OcppStoreDamage[];

  constructor(
    private readonly maxTransactionsPerStation = 1_000,
    private readonly maxEventsPerTransaction = 5_000,
    persistence: TransactionLogPersistence = {},
  ) {
    this.store = persistence.store ?? null;
    this.clock = persistence.clock ?? systemClock;
    this.retentionMs = persistence.endedRetentionMs ?? 7 * DAY_MS;
    this.onStoreError = persistence.onStoreError ?? (() => {});
    const loaded = this.store?.load() ?? { transactions: [], damaged: [] };
    this.damaged = loaded.damaged;
    for (const t of loaded.transactions) {
      const seqNos = new Map<number, StoredTransactionEvent>();
      for (const e of t.events.slice(0, this.maxEventsPerTransaction)) seqNos.set(e.seqNo, e);
      this.txs.set(keyOf(t.stationId, t.transactionId), {
        facts: { ...t.facts },
        seqNos,
        lastTouched: ++this.touch,
      });
    }
    this.prune();
    for (const station of new Set([...this.txs.keys()].map((k) => k.split("\u0000")[0]!)))
      while (this.countOf(station) > this.maxTransactionsPerStation) this.evictOne(station);
  }

  /** Stores one event; "duplicate" when (station, transaction, seqNo) is already here, "full" past the bound. Never throws: a failed store write is counted and reported to `onStoreError`. */
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
    const key = keyOf(stationId, transactionId);
    let tx = this.txs.get(key);
    if (!tx) {
      this.prune();
      while (this.countOf(stationId) >= this.maxTransactionsPerStation) this.evictOne(stationId);
      tx = {
        facts: {
          evseId: null,
          idToken: null,
          ended: false,
          endedAtMs: null,
          highestRegisterWh: null,
          lowestRegisterWh: null,
          firstEventMs: null,
          lastEventMs: null,
          sessionId: null,
          decision: null,
          sessionOver: false,
        },
        seqNos: new Map(),
        lastTouched: 0,
      };
      this.txs.set(key, tx);
    }
    tx.lastTouched = ++this.touch;
    if (tx.seqNos.has(event.seqNo)) return "duplicate";
    if (tx.seqNos.size >= this.maxEventsPerTransaction) return "full";
    tx.seqNos.set(event.seqNo, event);
    const f = tx.facts;
    f.evseId ??= facts.evseId;
    f.idToken ??= facts.idToken;
    if (event.eventType === "Ended" && !f.ended) {
      f.ended = true;
      f.endedAtMs = this.clock.now();
    }
    if (facts.registerWh !== null && (f.highestRegisterWh === null || facts.registerWh > f.highestRegisterWh))
      f.highestRegisterWh = facts.registerWh;
    if (facts.registerWh !== null && (f.lowestRegisterWh === null || facts.registerWh < f.lowestRegisterWh))
      f.lowestRegisterWh = facts.registerWh;
    const atMs = Date.parse(event.timestamp);
    if (Number.isFinite(atMs)) {
      if (f.firstEventMs === null || atMs < f.firstEventMs) f.firstEventMs = atMs;
      if (f.lastEventMs === null || atMs > f.lastEventMs) f.lastEventMs = atMs;
    }
    this.persist((st) => st.write(stationId, transactionId, f, this.clock.now(), event));
    return "new";
  }

  get(stationId: string, transactionId: string): TransactionSummary | null {
    const tx = this.txs.get(keyOf(stationId, transactionId));
    return tx ? summary(stationId, transactionId, tx) : null;
  }

  /** Transactions of a station with no Ended event yet (what GetTransactionStatus asks about after a reconnect). */
  open(stationId: string): TransactionSummary[] {
    const out: TransactionSummary[] = [];
    for (const [key, tx] of this.txs) {
      const [station, id] = key.split("\u0000") as [string, string];
      if (station === stationId && !tx.facts.ended) out.push(summary(station, id, tx));
    }
    return out;
  }

  /** Marks a transaction over (the charger says it no longer runs and has nothing queued). */
  markEnded(stationId: string, transactionId: string): void {
    const tx = this.txs.get(keyOf(stationId, transactionId));
    if (!tx || tx.facts.ended) return;
    tx.facts.ended = true;
    tx.facts.endedAtMs = this.clock.now();
    this.persist((st) => st.write(stationId, transactionId, tx.facts, this.clock.now(), null));
  }

  /**
   * Records which site session the transaction charges for (and the decision that opened it), so a
   * controller that restarts under a running transaction continues that session. False when the log
   * holds no such transaction; a no-op when it already names this session.
   */
  bindSession(
    stationId: string,
    transactionId: string,
    sessionId: string,
    decision: AuthorizationDecision | null,
  ): boolean {
    const tx = this.txs.get(keyOf(stationId, transactionId));
    if (!tx) return false;
    if (tx.facts.sessionId === sessionId && (decision === null || tx.facts.decision !== null)) return true;
    if (tx.facts.sessionId !== sessionId) tx.facts.sessionOver = false;
    tx.facts.sessionId = sessionId;
    tx.facts.decision = decision ?? tx.facts.decision;
    this.persist((st) => st.write(stationId, transactionId, tx.facts, this.clock.now(), null));
    return true;
  }

  /** Notes that the site ended `sessionId`: a station's open transaction bound to it is to be stopped, not adopted. Returns those transactions. */
  sessionEnded(stationId: string, sessionId: string): string[] {
    const out: string[] = [];
    for (const [key, tx] of this.txs) {
      const k = splitKey(key);
      if (
        k.stationId !== stationId ||
        tx.facts.ended ||
        tx.facts.sessionId !== sessionId ||
        tx.facts.sessionOver
      )
        continue;
      tx.facts.sessionOver = true;
      this.persist((st) => st.write(k.stationId, k.transactionId, tx.facts, this.clock.now(), null));
      out.push(k.transactionId);
    }
    return out;
  }

  /** The session a transaction is bound to, and whether its decision is stored (cheap: no summary). */
  sessionOf(
    stationId: string,
    transactionId: string,
  ): { sessionId: string | null; hasDecision: boolean } | null {
    const tx = this.txs.get(keyOf(stationId, transactionId));
    return tx ? { sessionId: tx.facts.sessionId, hasDecision: tx.facts.decision !== null } : null;
  }

  /** The running transaction of a station's EVSE that charges for `sessionId`, if the log holds one. */
  runningFor(stationId: string, evseId: number, sessionId: string): TransactionSummary | null {
    return (
      this.open(stationId).find(
        (t) => t.sessionId === sessionId && !t.sessionOver && (t.evseId === evseId || t.evseId === null),
      ) ?? null
    );
  }

  /** How many transactions the log holds for a station. */
  countOf(stationId: string): number {
    let n = 0;
    for (const key of this.txs.keys()) if (key.startsWith(`${stationId}\u0000`)) n++;
    return n;
  }

  private persist(fn: (store: OcppTransactionStore) => void): void {
    if (!this.store) return;
    try {
      fn(this.store);
    } catch (e) {
      this.storeErrors++;
      this.onStoreError(e);
    }
  }

  /** Drops ended transactions older than the retention. */
  private prune(): void {
    const cutoff = this.clock.now() - this.retentionMs;
    const gone: Array<{ stationId: string; transactionId: string }> = [];
    for (const [key, tx] of this.txs) {
      if (tx.facts.ended && tx.facts.endedAtMs !== null && tx.facts.endedAtMs < cutoff) {
        this.txs.delete(key);
        gone.push(splitKey(key));
      }
    }
    this.persist((st) => st.remove(gone));
  }

  private evictOne(stationId: string): void {
    const all = [...this.txs].filter(([k]) => k.startsWith(`${stationId}\u0000`));
    if (all.length === 0) return;
    const ended = all.filter(([, t]) => t.facts.ended);
    const pool = ended.length > 0 ? ended : all;
    const victim = pool.reduce((a, b) => (b[1].lastTouched < a[1].lastTouched ? b : a));
    this.txs.delete(victim[0]);
    this.persist((st) => st.remove([splitKey(victim[0])]));
  }
}

const keyOf = (stationId: string, transactionId: string): string => `${stationId}\u0000${transactionId}`;
function splitKey(key: string): { stationId: string; transactionId: string } {
  const [stationId, transactionId] = key.split("\u0000") as [string, string];
  return { stationId, transactionId };
}

function summary(stationId: string, transactionId: string, tx: TransactionState): TransactionSummary {
  let offlineEvents = 0;
  for (const e of tx.seqNos.values()) if (e.offline) offlineEvents++;
  const f = tx.facts;
  return {
    stationId,
    transactionId,
    evseId: f.evseId,
    idToken: f.idToken,
    events: tx.seqNos.size,
    ended: f.ended,
    offlineEvents,
    highestRegisterWh: f.highestRegisterWh,
    lowestRegisterWh: f.lowestRegisterWh,
    firstEventMs: f.firstEventMs,
    lastEventMs: f.lastEventMs,
    sessionId: f.sessionId,
    decision: f.decision,
    sessionOver: f.sessionOver,
  };
}

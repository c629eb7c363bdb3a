import type Database from "better-sqlite3";
import { z } from "zod";
import { authorizationDecisionSchema } from "@chargemesh/shared-model";
import type { AuthorizationDecision } from "@chargemesh/shared-model";
import type { OcppStoreDamage } from "./ocppSiteDatabase.js";
import { parseStoredJson } from "./ocppSiteDatabase.js";

/** One TransactionEvent as the CSMS stored it. */
export interface StoredTransactionEvent {
  readonly eventType: "Started" | "Updated" | "Ended";
  readonly seqNo: number;
  readonly timestamp: string;
  readonly offline: boolean;
  readonly triggerReason: string;
}

/** What the CSMS knows of one transaction besides its events (one row of `ocpp_transactions`). */
export interface TransactionFacts {
  readonly evseId: number | null;
  readonly idToken: { readonly idToken: string; readonly type: string } | null;
  readonly ended: boolean;
  /** Site clock when the transaction was found over (what the retention of ended ones counts from). */
  readonly endedAtMs: number | null;
  readonly highestRegisterWh: number | null;
  readonly lowestRegisterWh: number | null;
  readonly firstEventMs: number | null;
  readonly lastEventMs: number | null;
  /** The site session this transaction charges for, once the orchestrator opened one. */
  readonly sessionId: string | null;
  readonly decision: AuthorizationDecision | null;
  /** The site ended that session (stop, cap, refusal) while the charger may still run the transaction. */
  readonly sessionOver: boolean;
}

export interface PersistedTransaction {
  readonly stationId: string;
  readonly transactionId: string;
  readonly facts: TransactionFacts;
  readonly touchedMs: number;
  readonly events: readonly StoredTransactionEvent[];
}

/** Where `OcppTransactionLog` keeps its transactions across controller restarts. */
export interface OcppTransactionStore {
  load(): { transactions: PersistedTransaction[]; damaged: OcppStoreDamage[] };
  /** Writes the transaction's facts and (when given) one new event, atomically. */
  write(
    stationId: string,
    transactionId: string,
    facts: TransactionFacts,
    touchedMs: number,
    event: StoredTransactionEvent | null,
  ): void;
  /** Deletes transactions with their events, atomically. */
  remove(keys: ReadonlyArray<{ stationId: string; transactionId: string }>): void;
}

const eventSchema = z.object({
  eventType: z.enum(["Started", "Updated", "Ended"]),
  seqNo: z.number().int().nonnegative(),
  timestamp: z.string(),
  offline: z.boolean(),
  triggerReason: z.string(),
});

const whSchema = z.number().int().nullable();
const factsSchema = z.object({
  evseId: z.number().int().nullable(),
  idToken: z.object({ idToken: z.string(), type: z.string() }).nullable(),
  ended: z.boolean(),
  endedAtMs: z.number().int().nullable(),
  highestRegisterWh: whSchema,
  lowestRegisterWh: whSchema,
  firstEventMs: z.number().int().nullable(),
  lastEventMs: z.number().int().nullable(),
  sessionId: z.string().nullable(),
  decision: authorizationDecisionSchema.nullable(),
  sessionOver: z.boolean().default(false),
});

interface TxRow {
  station_id: string;
  transaction_id: string;
  facts: string;
  touched_ms: number;
}
interface EventRow {
  station_id: string;
  transaction_id: string;
  seq_no: number;
  event: string;
}

/**
 * The OCPP transaction log in the site's SQLite database: `ocpp_transactions` (one row per station
 * and transaction, its facts as JSON) and `ocpp_transaction_events` (one row per seqNo). Every write
 * is one SQLite transaction. A row that does not parse or validate is reported by `load` (table,
 * key, why) and left out; the rest loads.
 */
export class SqliteOcppTransactionStore implements OcppTransactionStore {
  private readonly stmts;

  constructor(private readonly db: Database.Database) {
    db.exec(
      "CREATE TABLE IF NOT EXISTS ocpp_transactions (station_id TEXT NOT NULL, transaction_id TEXT NOT NULL, facts TEXT NOT NULL, touched_ms INTEGER NOT NULL, PRIMARY KEY (station_id, transaction_id))",
    );
    db.exec(
      "CREATE TABLE IF NOT EXISTS ocpp_transaction_events (station_id TEXT NOT NULL, transaction_id TEXT NOT NULL, seq_no INTEGER NOT NULL, event TEXT NOT NULL, PRIMARY KEY (station_id, transaction_id, seq_no))",
    );
    this.stmts = {
      txs: db.prepare<[], TxRow>(
        "SELECT station_id, transaction_id, facts, touched_ms FROM ocpp_transactions ORDER BY touched_ms, rowid",
      ),
      events: db.prepare<[], EventRow>(
        "SELECT station_id, transaction_id, seq_no, event FROM ocpp_transaction_events ORDER BY station_id, transaction_id, seq_no",
      ),
      upsert: db.prepare<[string, string, string, number]>(
        "INSERT INTO ocpp_transactions (station_id, transaction_id, facts, touched_ms) VALUES (?, ?, ?, ?) ON CONFLICT(station_id, transaction_id) DO UPDATE SET facts = excluded.facts, touched_ms = excluded.touched_ms",
      ),
      event: db.prepare<[string, string, number, string]>(
        "INSERT OR IGNORE INTO ocpp_transaction_events (station_id, transaction_id, seq_no, event) VALUES (?, ?, ?, ?)",
      ),
      removeTx: db.prepare<[string, string]>(
        "DELETE FROM ocpp_transactions WHERE station_id = ? AND transaction_id = ?",
      ),
      removeEvents: db.prepare<[string, string]>(
        "DELETE FROM ocpp_transaction_events WHERE station_id = ? AND transaction_id = ?",
      ),
    };
  }

  /** Every stored transaction, least recently touched first, and the rows that could not be read. */
  load(): { transactions: PersistedTransaction[]; damaged: OcppStoreDamage[] } {
    const damaged: OcppStoreDamage[] = [];
    const events = new Map<string, StoredTransactionEvent[]>();
    for (const r of this.stmts.events.all()) {
      const key = `${r.station_id}/${r.transaction_id}/${r.seq_no}`;
      const parsed = parseStoredJson(r.event, { table: "ocpp_transaction_events", key });
      if (!parsed.ok) {
        damaged.push(parsed.damage);
        continue;
      }
      const e = eventSchema.safeParse(parsed.value);
      if (!e.success || e.data.seqNo !== r.seq_no) {
        damaged.push({
          table: "ocpp_transaction_events",
          key,
          code: "invalid_input",
          message: `ocpp_transaction_events ${key}: ${e.success ? "seqNo differs from its key" : e.error.issues[0]?.message}`,
        });
        continue;
      }
      const k = `${r.station_id}\u0000${r.transaction_id}`;
      const list = events.get(k) ?? [];
      list.push(e.data);
      events.set(k, list);
    }
    const transactions: PersistedTransaction[] = [];
    for (const r of this.stmts.txs.all()) {
      const key = `${r.station_id}/${r.transaction_id}`;
      const parsed = parseStoredJson(r.facts, { table: "ocpp_transactions", key });
      if (!parsed.ok) {
        damaged.push(parsed.damage);
        continue;
      }
      const f = factsSchema.safeParse(parsed.value);
      if (!f.success) {
        const issue = f.error.issues[0];
        damaged.push({
          table: "ocpp_transactions",
          key,
          code: "invalid_input",
          message: `ocpp_transactions ${key}: ${issue?.path.join(".") ?? ""} ${issue?.message ?? "invalid"}`,
        });
        continue;
      }
      transactions.push({
        stationId: r.station_id,
        transactionId: r.transaction_id,
        facts: f.data as TransactionFacts,
        touchedMs: r.touched_ms,
        events: events.get(`${r.station_id}\u0000${r.transaction_id}`) ?? [],
      });
    }
    return { transactions, damaged };
  }

  write(
    stationId: string,
    transactionId: string,
    facts: TransactionFacts,
    touchedMs: number,
    event: StoredTransactionEvent | null,
  ): void {
    this.db.transaction(() => {
      this.stmts.upsert.run(stationId, transactionId, JSON.stringify(facts), touchedMs);
      if (event) this.stmts.event.run(stationId, transactionId, event.seqNo, JSON.stringify(event));
    })();
  }

  remove(keys: ReadonlyArray<{ stationId: string; transactionId: string }>): void {
    if (keys.length === 0) return;
    this.db.transaction(() => {
      for (const k of keys) {
        this.stmts.removeEvents.run(k.stationId, k.transactionId);
        this.stmts.removeTx.run(k.stationId, k.transactionId);
      }
    })();
  }
}

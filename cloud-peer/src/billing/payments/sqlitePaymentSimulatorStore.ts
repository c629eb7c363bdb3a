import { chmodSync, closeSync, openSync } from "node:fs";
import Database from "better-sqlite3";
import type { CardNetwork } from "../billingTypes.js";
import type {
  DeclineSpec,
  PaymentSimulatorStore,
  SavedResponse,
  SimMovement,
  StoredIntent,
} from "./paymentSimulatorStore.js";

const SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS sim_cards (
  payment_method TEXT PRIMARY KEY,
  network TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sim_declines (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  payment_method TEXT NOT NULL REFERENCES sim_cards (payment_method),
  decline_code TEXT NOT NULL,
  network_decline_code TEXT,
  network_advice_code TEXT
);
CREATE INDEX IF NOT EXISTS sim_declines_card ON sim_declines (payment_method, id);
CREATE TABLE IF NOT EXISTS sim_intents (
  id TEXT PRIMARY KEY,
  status TEXT NOT NULL,
  session_id TEXT,
  state TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sim_idempotency (
  key TEXT PRIMARY KEY,
  fingerprint TEXT NOT NULL,
  status INTEGER NOT NULL,
  body TEXT NOT NULL,
  at_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS sim_idempotency_at ON sim_idempotency (at_ms);
CREATE TABLE IF NOT EXISTS sim_movements (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL CHECK (kind IN ('capture', 'charge', 'refund')),
  intent_id TEXT NOT NULL REFERENCES sim_intents (id),
  session_id TEXT,
  amount INTEGER NOT NULL CHECK (amount > 0)
);
CREATE INDEX IF NOT EXISTS sim_movements_session ON sim_movements (session_id, id);
`;

interface MovementRow {
  kind: SimMovement["kind"];
  intent_id: string;
  session_id: string | null;
  amount: number;
}

const movementOf = (r: MovementRow): SimMovement => ({
  kind: r.kind,
  intentId: r.intent_id,
  sessionId: r.session_id,
  amount: r.amount,
});

/**
 * The payment simulator's state in a SQLite file (better-sqlite3, WAL, synchronous FULL), so a cloud
 * restarted on the same data directory still finds the holds, saved idempotent responses and
 * scripted declines it had: each simulator request is one transaction, committed before it answers.
 * The file is created 0600 (its WAL and shared-memory files take the same mode). One process writes
 * it at a time (the simulator's in-flight keys are per process). Throws when the file cannot be
 * opened or carries another schema version.
 */
export class SqlitePaymentSimulatorStore implements PaymentSimulatorStore {
  private readonly db: Database.Database;
  private readonly stmt: ReturnType<SqlitePaymentSimulatorStore["prepare"]>;

  constructor(path: string) {
    closeSync(openSync(path, "a", 0o600));
    chmodSync(path, 0o600);
    this.db = new Database(path);
    try {
      this.db.pragma("journal_mode = WAL");
      this.db.pragma("synchronous = FULL");
      this.db.pragma("busy_timeout = 10000");
      this.db.pragma("foreign_keys = ON");
      const version = this.db.pragma("user_version", { simple: true }) as number;
      if (version !== 0 && version !== SCHEMA_VERSION)
        throw new Error(`${path}: payment simulator schema ${version}, expected ${SCHEMA_VERSION}`);
      this.db.transaction(() => {
        this.db.exec(SCHEMA);
        this.db.pragma(`user_version = ${SCHEMA_VERSION}`);
      })();
      this.stmt = this.prepare();
    } catch (e) {
      this.db.close();
      throw e;
    }
  }

  private prepare() {
    const db = this.db;
    return {
      card: db.prepare<[string], { network: CardNetwork }>(
        "SELECT network FROM sim_cards WHERE payment_method = ?",
      ),
      putCard: db.prepare<[string, string]>(
        "INSERT INTO sim_cards (payment_method, network) VALUES (?, ?) ON CONFLICT (payment_method) DO UPDATE SET network = excluded.network",
      ),
      pushDecline: db.prepare<[string, string, string | null, string | null]>(
        "INSERT INTO sim_declines (payment_method, decline_code, network_decline_code, network_advice_code) VALUES (?, ?, ?, ?)",
      ),
      nextDecline: db.prepare<
        [string],
        {
          id: number;
          decline_code: string;
          network_decline_code: string | null;
          network_advice_code: string | null;
        }
      >(
        "SELECT id, decline_code, network_decline_code, network_advice_code FROM sim_declines WHERE payment_method = ? ORDER BY id LIMIT 1",
      ),
      dropDecline: db.prepare<[number]>("DELETE FROM sim_declines WHERE id = ?"),
      intent: db.prepare<[string], { state: string }>("SELECT state FROM sim_intents WHERE id = ?"),
      putIntent: db.prepare<[string, string, string | null, string]>(
        "INSERT INTO sim_intents (id, status, session_id, state) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET status = excluded.status, session_id = excluded.session_id, state = excluded.state",
      ),
      saved: db.prepare<[string], { fingerprint: string; status: number; body: string; at_ms: number }>(
        "SELECT fingerprint, status, body, at_ms FROM sim_idempotency WHERE key = ?",
      ),
      save: db.prepare<[string, string, number, string, number]>(
        "INSERT INTO sim_idempotency (key, fingerprint, status, body, at_ms) VALUES (?, ?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET fingerprint = excluded.fingerprint, status = excluded.status, body = excluded.body, at_ms = excluded.at_ms",
      ),
      forget: db.prepare<[number]>("DELETE FROM sim_idempotency WHERE at_ms < ?"),
      addMovement: db.prepare<[string, string, string | null, number]>(
        "INSERT INTO sim_movements (kind, intent_id, session_id, amount) VALUES (?, ?, ?, ?)",
      ),
      movements: db.prepare<[], MovementRow>(
        "SELECT kind, intent_id, session_id, amount FROM sim_movements ORDER BY id",
      ),
      movementsOf: db.prepare<[string], MovementRow>(
        "SELECT kind, intent_id, session_id, amount FROM sim_movements WHERE session_id = ? ORDER BY id",
      ),
    };
  }

  transaction<T>(work: () => T): T {
    // Nested calls become savepoints; the outermost takes the write lock up front (BEGIN IMMEDIATE).
    return this.db.inTransaction ? this.db.transaction(work)() : this.db.transaction(work).immediate();
  }

  cardNetwork(paymentMethod: string): CardNetwork | null {
    return this.stmt.card.get(paymentMethod)?.network ?? null;
  }

  putCard(paymentMethod: string, network: CardNetwork): void {
    this.stmt.putCard.run(paymentMethod, network);
  }

  pushDeclines(paymentMethod: string, declines: readonly DeclineSpec[]): void {
    this.transaction(() => {
      if (!this.cardNetwork(paymentMethod)) throw new Error(`unknown card ${paymentMethod}`);
      for (const d of declines)
        this.stmt.pushDecline.run(
          paymentMethod,
          d.declineCode,
          d.networkDeclineCode,
          d.networkAdviceCode ?? null,
        );
    });
  }

  shiftDecline(paymentMethod: string): DeclineSpec | null {
    return this.transaction(() => {
      const row = this.stmt.nextDecline.get(paymentMethod);
      if (!row) return null;
      this.stmt.dropDecline.run(row.id);
      return {
        declineCode: row.decline_code,
        networkDeclineCode: row.network_decline_code,
        networkAdviceCode: row.network_advice_code,
      };
    });
  }

  intent(id: string): StoredIntent | null {
    const row = this.stmt.intent.get(id);
    return row ? (JSON.parse(row.state) as StoredIntent) : null;
  }

  putIntent(intent: StoredIntent): void {
    this.stmt.putIntent.run(
      intent.id,
      intent.status,
      intent.metadata.session_id ?? null,
      JSON.stringify(intent),
    );
  }

  savedResponse(key: string): SavedResponse | null {
    const row = this.stmt.saved.get(key);
    if (!row) return null;
    return {
      fingerprint: row.fingerprint,
      response: { status: row.status, body: JSON.parse(row.body) as Record<string, unknown> },
      atMs: row.at_ms,
    };
  }

  saveResponse(key: string, saved: SavedResponse): void {
    this.stmt.save.run(
      key,
      saved.fingerprint,
      saved.response.status,
      JSON.stringify(saved.response.body),
      saved.atMs,
    );
  }

  forgetSavedBefore(cutoffMs: number): void {
    this.stmt.forget.run(cutoffMs);
  }

  addMovement(m: SimMovement): void {
    this.stmt.addMovement.run(m.kind, m.intentId, m.sessionId, m.amount);
  }

  movements(sessionId?: string): SimMovement[] {
    const rows = sessionId === undefined ? this.stmt.movements.all() : this.stmt.movementsOf.all(sessionId);
    return rows.map(movementOf);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

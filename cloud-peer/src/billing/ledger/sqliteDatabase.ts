import Database from "better-sqlite3";
import { ChargemeshError } from "@chargemesh/shared-model";
import type { SqlDatabase, SqlExecutor, SqlRow, SqlValue } from "./sqlDatabase.js";

function toSqlite(v: SqlValue): unknown {
  return v instanceof Uint8Array ? Buffer.from(v.buffer, v.byteOffset, v.byteLength) : v;
}

function fromSqlite(row: Record<string, unknown>): SqlRow {
  const out: SqlRow = {};
  for (const [k, v] of Object.entries(row)) {
    out[k] = Buffer.isBuffer(v) ? new Uint8Array(v) : typeof v === "number" ? BigInt(v) : (v as SqlValue);
  }
  return out;
}

function mapError(e: unknown): never {
  const code = (e as { code?: string }).code ?? "";
  const message = (e as Error).message;
  if (code === "SQLITE_CONSTRAINT_UNIQUE" || code === "SQLITE_CONSTRAINT_PRIMARYKEY") {
    throw new ChargemeshError("conflict", message, { constraint: message });
  }
  if (code.startsWith("SQLITE_CONSTRAINT"))
    throw new ChargemeshError("forbidden", message, { constraint: message });
  if (code === "SQLITE_BUSY") throw new ChargemeshError("unavailable", message);
  throw e;
}

/**
 * SQLite through better-sqlite3 (WAL, foreign keys on, 64-bit integers as bigint). One connection;
 * transactions are serialized in-process by a queue and `BEGIN IMMEDIATE` across processes.
 */
export class SqliteDatabase implements SqlDatabase {
  readonly dialect = "sqlite" as const;
  private readonly db: Database.Database;
  private queue: Promise<unknown> = Promise.resolve();
  private inTransaction = false;

  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("busy_timeout = 10000");
    this.db.pragma("foreign_keys = ON");
    this.db.defaultSafeIntegers(true);
  }

  /** Runs a script of several statements (schema creation). */
  exec(sql: string): void {
    this.db.exec(sql);
  }

  private run(sql: string, params: readonly SqlValue[], read: boolean): SqlRow[] | number {
    try {
      const stmt = this.db.prepare(sql);
      const args = params.map(toSqlite);
      if (read) return (stmt.all(...args) as Record<string, unknown>[]).map(fromSqlite);
      return stmt.run(...args).changes;
    } catch (e) {
      return mapError(e);
    }
  }

  private direct(): SqlExecutor {
    return {
      query: async (sql, params = []) => this.run(sql, params, true) as SqlRow[],
      execute: async (sql, params = []) => this.run(sql, params, false) as number,
    };
  }

  async query(sql: string, params: readonly SqlValue[] = []): Promise<SqlRow[]> {
    if (!this.inTransaction) return this.run(sql, params, true) as SqlRow[];
    return this.serialized(async () => this.run(sql, params, true) as SqlRow[]);
  }

  async execute(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    return this.serialized(async () => this.run(sql, params, false) as number);
  }

  private serialized<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }

  transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.serialized(async () => {
      try {
        this.db.exec("BEGIN IMMEDIATE");
      } catch (e) {
        mapError(e);
      }
      this.inTransaction = true;
      try {
        const result = await work(this.direct());
        this.db.exec("COMMIT");
        return result;
      } catch (e) {
        if (this.db.inTransaction) this.db.exec("ROLLBACK");
        if (e instanceof ChargemeshError) throw e;
        return mapError(e);
      } finally {
        this.inTransaction = false;
      }
    });
  }

  async close(): Promise<void> {
    await this.queue;
    this.db.close();
  }
}

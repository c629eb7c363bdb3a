import pg from "pg";
import { ChargemeshError } from "@chargemesh/shared-model";
import type { SqlDatabase, SqlExecutor, SqlRow, SqlValue } from "./sqlDatabase.js";

/** `?` placeholders to `$1..$n` (the ledger's statements never contain a literal `?`). */
function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

function toPg(v: SqlValue): unknown {
  if (typeof v === "bigint") return v.toString();
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  return v;
}

function fromPg(row: Record<string, unknown>): SqlRow {
  const out: SqlRow = {};
  for (const [k, v] of Object.entries(row)) {
    if (Buffer.isBuffer(v)) out[k] = new Uint8Array(v);
    else if (typeof v === "number") out[k] = BigInt(v);
    else out[k] = v as SqlValue;
  }
  return out;
}

function mapError(e: unknown): never {
  const code = (e as { code?: string }).code ?? "";
  const message = (e as Error).message;
  const constraint = (e as { constraint?: string }).constraint ?? message;
  if (code === "23505") throw new ChargemeshError("conflict", message, { constraint });
  if (code.startsWith("23") || code === "P0001")
    throw new ChargemeshError("forbidden", message, { constraint });
  if (code === "40001" || code === "40P01") throw new ChargemeshError("unavailable", message);
  throw e;
}

// int8 (20) and numeric sums (1700) as bigint; bytea stays a Buffer.
const types = {
  getTypeParser(oid: number, format?: string) {
    if (oid === 20 || oid === 1700) return (v: string) => BigInt(v);
    return pg.types.getTypeParser(oid, format as "text");
  },
};

/** PostgreSQL through a `pg` pool; every statement of one transaction runs on one client. */
export class PostgresDatabase implements SqlDatabase {
  readonly dialect = "postgres" as const;
  private readonly pool: pg.Pool;

  constructor(connectionString: string, maxConnections = 4) {
    this.pool = new pg.Pool({ connectionString, max: maxConnections, types });
    this.pool.on("error", () => undefined);
  }

  private static async run(client: pg.Pool | pg.PoolClient, sql: string, params: readonly SqlValue[]) {
    try {
      return await client.query(numbered(sql), params.map(toPg));
    } catch (e) {
      return mapError(e);
    }
  }

  /** Runs a script of several statements (schema creation) under an advisory lock, so peers migrate one at a time. */
  async exec(sql: string): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query("BEGIN");
      await client.query("SELECT pg_advisory_xact_lock(727311)");
      await client.query(sql);
      await client.query("COMMIT");
    } catch (e) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw e;
    } finally {
      client.release();
    }
  }

  async query(sql: string, params: readonly SqlValue[] = []): Promise<SqlRow[]> {
    return (await PostgresDatabase.run(this.pool, sql, params)).rows.map(fromPg);
  }

  async execute(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    return (await PostgresDatabase.run(this.pool, sql, params)).rowCount ?? 0;
  }

  async transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    const tx: SqlExecutor = {
      query: async (sql, params = []) => (await PostgresDatabase.run(client, sql, params)).rows.map(fromPg),
      execute: async (sql, params = []) => (await PostgresDatabase.run(client, sql, params)).rowCount ?? 0,
    };
    try {
      await client.query("BEGIN");
      const result = await work(tx);
      try {
        await client.query("COMMIT");
      } catch (e) {
        mapError(e);
      }
      return result;
    } catch (e) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw e;
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

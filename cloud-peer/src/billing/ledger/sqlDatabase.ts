/**
 * The small SQL surface the financial ledger runs on; one adapter per database (SQLite, PostgreSQL).
 * Statements use `?` placeholders. Integers come back as bigint, byte strings as Uint8Array.
 * Constraint failures are thrown as ChargemeshError: `conflict` for a unique or primary-key violation
 * (details.constraint names it), `forbidden` for a check, trigger or foreign-key violation.
 */
export type SqlValue = string | bigint | number | Uint8Array | null;
export type SqlRow = Record<string, SqlValue>;

export interface SqlExecutor {
  query(sql: string, params?: readonly SqlValue[]): Promise<SqlRow[]>;
  execute(sql: string, params?: readonly SqlValue[]): Promise<number>;
}

export interface SqlDatabase extends SqlExecutor {
  readonly dialect: "sqlite" | "postgres";
  /** Runs `work` in one database transaction: commits when it resolves, rolls back when it throws. */
  transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

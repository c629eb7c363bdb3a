import type { RandomSource } from "@chargemesh/shared-model";
import { cryptoRandom } from "@chargemesh/shared-model";
import type { FinancialLedger } from "./financialLedger.js";
import { POSTGRES_LEDGER_SCHEMA } from "./postgresLedgerSchema.js";
import { PostgresDatabase } from "./postgresDatabase.js";
import { SqlFinancialLedger } from "./sqlFinancialLedger.js";
import { SQLITE_LEDGER_SCHEMA } from "./sqliteLedgerSchema.js";
import { SqliteDatabase } from "./sqliteDatabase.js";

/** Opens (and creates the schema of) the SQLite financial ledger at `path` (":memory:" for tests). */
export function openSqliteFinancialLedger(
  path: string,
  random: RandomSource = cryptoRandom,
): FinancialLedger {
  const db = new SqliteDatabase(path);
  db.exec(SQLITE_LEDGER_SCHEMA);
  return new SqlFinancialLedger(db, random);
}

/** Opens (and migrates) the PostgreSQL financial ledger; fails when the server does not answer. */
export async function openPostgresFinancialLedger(
  connectionString: string,
  random: RandomSource = cryptoRandom,
  maxConnections = 4,
): Promise<FinancialLedger> {
  const db = new PostgresDatabase(connectionString, maxConnections);
  try {
    await db.exec(POSTGRES_LEDGER_SCHEMA);
  } catch (e) {
    await db.close();
    throw e;
  }
  return new SqlFinancialLedger(db, random);
}

/** Opens a ledger by location: a `postgres://` / `postgresql://` URL or a SQLite file path. */
export async function openFinancialLedger(
  location: string,
  random: RandomSource = cryptoRandom,
): Promise<FinancialLedger> {
  return /^postgres(ql)?:\/\//.test(location)
    ? openPostgresFinancialLedger(location, random)
    : openSqliteFinancialLedger(location, random);
}

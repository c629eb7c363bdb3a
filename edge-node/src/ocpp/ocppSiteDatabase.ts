import { mkdirSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";

/** A row an OCPP store could not read back: which table and key, and why (the row is left out, not fatal). */
export interface OcppStoreDamage {
  readonly table: string;
  readonly key: string;
  readonly code: "malformed_json" | "invalid_input";
  readonly message: string;
}

/**
 * Opens the site's SQLite database (`<dataDir>/site.sqlite`, the file the site's automerge store
 * already lives in) for the CSMS's own tables, the way the store's adapter does: WAL journal with
 * synchronous=FULL, so a write is on disk when its transaction returns and survives `kill -9`; a
 * busy timeout lets it share the file with the automerge adapter's connection. Throws when the
 * directory cannot be created or the file is not a database.
 */
export function openOcppSiteDatabase(dataDir: string): Database.Database {
  mkdirSync(dataDir, { recursive: true });
  const db = new Database(join(dataDir, "site.sqlite"));
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  db.pragma("busy_timeout = 5000");
  return db;
}

/** `JSON.parse` that reports a damaged row instead of throwing. */
export function parseStoredJson(
  text: unknown,
  where: { table: string; key: string },
): { ok: true; value: unknown } | { ok: false; damage: OcppStoreDamage } {
  if (typeof text !== "string")
    return {
      ok: false,
      damage: { ...where, code: "malformed_json", message: `${where.table} ${where.key}: not a JSON text` },
    };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (e) {
    return {
      ok: false,
      damage: {
        ...where,
        code: "malformed_json",
        message: `${where.table} ${where.key}: ${e instanceof Error ? e.message : String(e)}`,
      },
    };
  }
}

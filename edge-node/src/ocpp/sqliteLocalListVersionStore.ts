import type Database from "better-sqlite3";
import type { LocalListStatus, LocalListVersions, SentLocalList } from "./localAuthList.js";
import type { OcppStoreDamage } from "./ocppSiteDatabase.js";
import { parseStoredJson } from "./ocppSiteDatabase.js";

interface Row {
  station_id: string;
  version: number;
  list: string;
}

const STATUSES: ReadonlySet<string> = new Set<LocalListStatus>(["Accepted", "Blocked", "Invalid"]);

/**
 * The local-list version and content each charger last accepted, in the site's SQLite database
 * (`ocpp_local_lists`: one row per station, the list as JSON `[[eMAID, status], …]`), so the first
 * update after a controller restart is Differential from what the charger holds. At most
 * `maxStations` rows (one per configured station) and `maxEntries` entries per list: a list past the
 * bound is not stored (the station is forgotten, its next update is Full). Loaded once on
 * construction; a row that does not parse is reported in `damaged` and left out (that station gets
 * a Full update).
 */
export class SqliteLocalListVersions implements LocalListVersions {
  private readonly sent = new Map<string, SentLocalList>();
  private readonly stmts;
  readonly damaged: readonly OcppStoreDamage[];

  constructor(
    db: Database.Database,
    private readonly maxStations = 1_000,
    private readonly maxEntries = 200_000,
    private readonly onStoreError: (e: unknown) => void = () => {},
  ) {
    db.exec(
      "CREATE TABLE IF NOT EXISTS ocpp_local_lists (station_id TEXT PRIMARY KEY, version INTEGER NOT NULL, list TEXT NOT NULL)",
    );
    this.stmts = {
      all: db.prepare<[], Row>("SELECT station_id, version, list FROM ocpp_local_lists ORDER BY rowid"),
      upsert: db.prepare<[string, number, string]>(
        "INSERT INTO ocpp_local_lists (station_id, version, list) VALUES (?, ?, ?) ON CONFLICT(station_id) DO UPDATE SET version = excluded.version, list = excluded.list",
      ),
      remove: db.prepare<[string]>("DELETE FROM ocpp_local_lists WHERE station_id = ?"),
    };
    const damaged: OcppStoreDamage[] = [];
    for (const r of this.stmts.all.all()) {
      const where = { table: "ocpp_local_lists", key: r.station_id };
      const parsed = parseStoredJson(r.list, where);
      if (!parsed.ok) {
        damaged.push(parsed.damage);
        continue;
      }
      const list = listOf(parsed.value);
      if (typeof list === "string" || !Number.isSafeInteger(r.version) || r.version <= 0) {
        damaged.push({
          ...where,
          code: "invalid_input",
          message: `ocpp_local_lists ${r.station_id}: ${typeof list === "string" ? list : `version ${r.version} is not a positive integer`}`,
        });
        continue;
      }
      this.sent.set(r.station_id, { version: r.version, list });
    }
    this.damaged = damaged;
  }

  get(stationId: string): SentLocalList | null {
    return this.sent.get(stationId) ?? null;
  }

  /**
   * Stores what the charger accepted (one atomic row write). Never throws: when the database refuses
   * the write, the station is kept in memory and the error goes to `onStoreError`.
   */
  set(stationId: string, sent: SentLocalList | null): void {
    try {
      this.write(stationId, sent);
    } catch (e) {
      if (sent) this.sent.set(stationId, sent);
      else this.sent.delete(stationId);
      this.onStoreError(e);
    }
  }

  private write(stationId: string, sent: SentLocalList | null): void {
    const storable =
      sent !== null &&
      sent.list.size <= this.maxEntries &&
      (this.sent.has(stationId) || this.sent.size < this.maxStations);
    if (!storable) {
      this.sent.delete(stationId);
      this.stmts.remove.run(stationId);
      return;
    }
    this.stmts.upsert.run(stationId, sent.version, JSON.stringify([...sent.list]));
    this.sent.set(stationId, sent);
  }
}

function listOf(value: unknown): Map<string, LocalListStatus> | string {
  if (!Array.isArray(value)) return "the list is not an array";
  const out = new Map<string, LocalListStatus>();
  for (const [i, e] of value.entries()) {
    if (!Array.isArray(e) || e.length !== 2 || typeof e[0] !== "string" || !STATUSES.has(e[1] as string))
      return `entry ${i} is not [eMAID, Accepted|Blocked|Invalid]`;
    out.set(e[0], e[1] as LocalListStatus);
  }
  return out;
}

import type Database from "better-sqlite3";

/** The availability the site wants an EVSE in, and whether its charger has accepted it. */
export interface DesiredAvailability {
  readonly operative: boolean;
  /** The charger answered Accepted or Scheduled to this availability. */
  readonly acknowledged: boolean;
}

/** Desired availability per (station, EVSE): kept across controller restarts when durable. */
export interface AvailabilityStore {
  get(stationId: string, evseId: number): DesiredAvailability | undefined;
  /** Stores the desired availability; a durable store that fails throws (the caller keeps it in memory). */
  set(stationId: string, evseId: number, desired: DesiredAvailability): void;
}

const key = (stationId: string, evseId: number) => `${stationId}\u0000${evseId}`;

/** The availability store in memory only (lost at a restart; the journal's out-of-service flags reseed it). */
export class MemoryAvailabilityStore implements AvailabilityStore {
  protected readonly rows = new Map<string, DesiredAvailability>();
  get(stationId: string, evseId: number): DesiredAvailability | undefined {
    return this.rows.get(key(stationId, evseId));
  }
  set(stationId: string, evseId: number, desired: DesiredAvailability): void {
    this.rows.set(key(stationId, evseId), desired);
  }
}

interface Row {
  station_id: string;
  evse_id: number;
  operative: number;
  acknowledged: number;
}

/**
 * The desired availability in the site's SQLite database (`ocpp_availability`: one row per station
 * and EVSE, both flags 0/1), loaded once on construction and written through; at most `maxRows`
 * rows (one per configured EVSE), a write past that bound stays in memory. Rows that are not 0/1
 * flags are skipped (the journal's out-of-service flags reseed them).
 */
export class SqliteAvailabilityStore extends MemoryAvailabilityStore {
  private readonly upsert;

  constructor(
    db: Database.Database,
    private readonly maxRows = 10_000,
  ) {
    super();
    db.exec(
      "CREATE TABLE IF NOT EXISTS ocpp_availability (station_id TEXT NOT NULL, evse_id INTEGER NOT NULL, operative INTEGER NOT NULL, acknowledged INTEGER NOT NULL, PRIMARY KEY (station_id, evse_id))",
    );
    this.upsert = db.prepare<[string, number, number, number]>(
      "INSERT INTO ocpp_availability (station_id, evse_id, operative, acknowledged) VALUES (?, ?, ?, ?) ON CONFLICT(station_id, evse_id) DO UPDATE SET operative = excluded.operative, acknowledged = excluded.acknowledged",
    );
    const all = db.prepare<[], Row>(
      "SELECT station_id, evse_id, operative, acknowledged FROM ocpp_availability ORDER BY rowid",
    );
    for (const r of all.all()) {
      const flags = [r.operative, r.acknowledged];
      if (!Number.isSafeInteger(r.evse_id) || flags.some((f) => f !== 0 && f !== 1)) continue;
      if (this.rows.size >= maxRows) break;
      this.rows.set(key(r.station_id, r.evse_id), {
        operative: r.operative === 1,
        acknowledged: r.acknowledged === 1,
      });
    }
  }

  override set(stationId: string, evseId: number, desired: DesiredAvailability): void {
    const k = key(stationId, evseId);
    if (!this.rows.has(k) && this.rows.size >= this.maxRows) return;
    super.set(stationId, evseId, desired);
    this.upsert.run(stationId, evseId, desired.operative ? 1 : 0, desired.acknowledged ? 1 : 0);
  }
}

import Database from "better-sqlite3";
import type { Chunk, StorageAdapterInterface, StorageKey } from "@automerge/automerge-repo";

/**
 * automerge-repo storage on SQLite (better-sqlite3): WAL journal with synchronous=FULL, so a save is
 * on disk when its promise resolves and survives `kill -9` and power loss (the stock file-system
 * adapter neither fsyncs nor renames atomically). Keys are stored as a BLOB of their UTF-8 parts
 * joined by 0x00, which makes a key-prefix query a byte range; ranges come back in first-save order.
 */
export class SqliteStorageAdapter implements StorageAdapterInterface {
  private readonly db: Database.Database;
  private readonly ownsDb: boolean;
  private closed = false;
  /** Writes that arrived after close() (automerge-repo's save throttle can fire after a flush). */
  lateWritesDiscarded = 0;
  private readonly stmts: {
    load: Database.Statement<[Buffer], { data: Buffer }>;
    save: Database.Statement<[Buffer, Buffer]>;
    remove: Database.Statement<[Buffer]>;
    range: Database.Statement<[Buffer, Buffer, Buffer], { key: Buffer; data: Buffer }>;
    removeRange: Database.Statement<[Buffer, Buffer, Buffer]>;
    quarantine: Database.Statement<[string, number, Buffer, Buffer, Buffer]>;
    quarantined: Database.Statement<[Buffer, Buffer, Buffer], QuarantineRow>;
  };
  /** The database file (null for ":memory:" or a database the caller opened). */
  readonly file: string | null;

  /** Opens or creates the store at `pathOrDb` (a file path, ":memory:", or an open database). */
  constructor(pathOrDb: string | Database.Database) {
    this.ownsDb = typeof pathOrDb === "string";
    this.file = typeof pathOrDb === "string" && pathOrDb !== ":memory:" ? pathOrDb : null;
    this.db = typeof pathOrDb === "string" ? new Database(pathOrDb) : pathOrDb;
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = FULL");
    this.db.exec(
      "CREATE TABLE IF NOT EXISTS automerge_chunks (id INTEGER PRIMARY KEY, key BLOB NOT NULL UNIQUE, data BLOB NOT NULL)",
    );
    this.db.exec(
      "CREATE TABLE IF NOT EXISTS quarantined_chunks (id INTEGER PRIMARY KEY, key BLOB NOT NULL, data BLOB NOT NULL, reason TEXT NOT NULL, at_ms INTEGER NOT NULL)",
    );
    this.stmts = {
      load: this.db.prepare("SELECT data FROM automerge_chunks WHERE key = ?"),
      save: this.db.prepare(
        "INSERT INTO automerge_chunks (key, data) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET data = excluded.data",
      ),
      remove: this.db.prepare("DELETE FROM automerge_chunks WHERE key = ?"),
      range: this.db.prepare(
        "SELECT key, data FROM automerge_chunks WHERE key = ? OR (key >= ? AND key < ?) ORDER BY id",
      ),
      removeRange: this.db.prepare("DELETE FROM automerge_chunks WHERE key = ? OR (key >= ? AND key < ?)"),
      quarantine: this.db.prepare(
        "INSERT INTO quarantined_chunks (key, data, reason, at_ms) SELECT key, data, ?, ? FROM automerge_chunks WHERE key = ? OR (key >= ? AND key < ?) ORDER BY id",
      ),
      quarantined: this.db.prepare(
        "SELECT key, data, reason, at_ms AS atMs FROM quarantined_chunks WHERE key = ? OR (key >= ? AND key < ?) ORDER BY id",
      ),
    };
  }

  async load(key: StorageKey): Promise<Uint8Array | undefined> {
    if (this.closed) return undefined;
    const row = this.stmts.load.get(encodeKey(key));
    return row ? new Uint8Array(row.data) : undefined;
  }

  async save(key: StorageKey, data: Uint8Array): Promise<void> {
    if (this.closed) return void this.lateWritesDiscarded++;
    this.stmts.save.run(encodeKey(key), Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  }

  async remove(key: StorageKey): Promise<void> {
    if (this.closed) return void this.lateWritesDiscarded++;
    this.stmts.remove.run(encodeKey(key));
  }

  async loadRange(keyPrefix: StorageKey): Promise<Chunk[]> {
    if (this.closed) return [];
    return this.stmts.range
      .all(...prefixRange(keyPrefix))
      .map((row) => ({ key: decodeKey(row.key), data: new Uint8Array(row.data) }));
  }

  async removeRange(keyPrefix: StorageKey): Promise<void> {
    if (this.closed) return void this.lateWritesDiscarded++;
    this.stmts.removeRange.run(...prefixRange(keyPrefix));
  }

  /**
   * Sets aside every chunk under `keyPrefix`: in one transaction they are copied, with `reason` and
   * `atMs`, into the `quarantined_chunks` table and leave the live table, so automerge-repo no longer
   * reads them and nothing is deleted. Returns how many chunks moved (0 when closed or none). Throws
   * on a database error (nothing moved then).
   */
  quarantine(keyPrefix: StorageKey, reason: string, atMs: number): number {
    if (this.closed) return 0;
    const range = prefixRange(keyPrefix);
    return this.db.transaction(() => {
      const moved = this.stmts.quarantine.run(reason, atMs, ...range).changes;
      this.stmts.removeRange.run(...range);
      return moved;
    })();
  }

  /** The distinct first key parts (automerge-repo's document IDs, "storage-adapter-id") held live, in first-save order. */
  documentIds(): string[] {
    if (this.closed) return [];
    const ids = new Set<string>();
    for (const row of this.db.prepare("SELECT key FROM automerge_chunks ORDER BY id").all() as {
      key: Buffer;
    }[])
      ids.add(decodeKey(row.key)[0]!);
    return [...ids];
  }

  /** The quarantined chunks under `keyPrefix`, oldest first ([] when closed). */
  quarantined(keyPrefix: StorageKey): QuarantinedChunk[] {
    if (this.closed) return [];
    return this.stmts.quarantined.all(...prefixRange(keyPrefix)).map((r) => ({
      key: decodeKey(r.key),
      data: new Uint8Array(r.data),
      reason: r.reason,
      atMs: r.atMs,
    }));
  }

  /**
   * Closes the database if this adapter opened it. Idempotent. The owner flushes its Repo first;
   * a write automerge-repo's save throttle sends afterwards (the same data again) is discarded and
   * counted, never an unhandled error.
   */
  close(): void {
    this.closed = true;
    if (this.ownsDb && this.db.open) this.db.close();
  }
}

/** A chunk set aside by `quarantine`, with why and when. */
export interface QuarantinedChunk {
  readonly key: StorageKey;
  readonly data: Uint8Array;
  readonly reason: string;
  readonly atMs: number;
}

interface QuarantineRow {
  key: Buffer;
  data: Buffer;
  reason: string;
  atMs: number;
}

function encodeKey(key: StorageKey): Buffer {
  for (const part of key)
    if (part.includes("\0")) throw new Error(`storage key part contains NUL: ${JSON.stringify(part)}`);
  return Buffer.from(key.join("\0"), "utf8");
}

function decodeKey(blob: Buffer): StorageKey {
  return blob.toString("utf8").split("\0");
}

/** [exact key, lower bound of its children, upper bound of its children]. The empty prefix matches all. */
function prefixRange(prefix: StorageKey): [Buffer, Buffer, Buffer] {
  if (prefix.length === 0) return [Buffer.alloc(0), Buffer.alloc(0), Buffer.from([0xff, 0xff, 0xff, 0xff])];
  const exact = encodeKey(prefix);
  return [exact, Buffer.concat([exact, Buffer.from([0])]), Buffer.concat([exact, Buffer.from([1])])];
}

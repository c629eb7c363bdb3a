import { Counter, Gauge } from "prom-client";
import type { Registry } from "prom-client";
import type { Clock } from "@chargemesh/shared-model";

/** Where the damage is: a live document in the site's SQLite store, or an archive file. */
export type DamageWhere = "store" | "archive";

/** One damaged document the site knows of, and how its repair stands. */
export interface DamagedDocument {
  /** The document's URL. */
  readonly documentId: string;
  /** Its key in the root index: `journals/<day>` or `segments/<meter>/<day>`. */
  readonly key: string;
  readonly where: DamageWhere;
  /** The file that holds the damage: the SQLite store (with the chunk keys in `reason`) or the archive file. */
  readonly file: string;
  /** What is wrong (the first damaged chunk and Automerge's error, or the checksum mismatch). */
  readonly reason: string;
  /** Site clock when first found. */
  readonly sinceMs: number;
  /** Bytes (`A.save`) of what the site still holds undamaged; a copy must contain it. Null: nothing readable. */
  readonly held: Uint8Array | null;
  /** For an archive file: the heads its checksum sidecar recorded (a copy must contain them). */
  readonly heads: readonly string[] | null;
  /** Where the damaged bytes were set aside (the quarantine table or file). */
  readonly quarantinedAt: string;
  /** True for a document the cloud writes (the config): it comes back by ordinary sync, not by the repairer. */
  readonly refetch?: boolean;
  state: "damaged" | "repaired";
  /** The last repair attempt's outcome when it did not repair (a refused copy, the cloud lacking it). */
  lastAttempt: string | null;
}

/**
 * The site's register of damaged documents and archive files: what the alarms show, what the
 * repairer works on, and the metrics `chargemesh_site_damaged_documents{where}` (not yet repaired)
 * and `chargemesh_site_integrity_events_total{event,where}` (damaged, repaired, copy_refused).
 * A document is reported once; reporting it again keeps the first sighting.
 */
export class StoreIntegrity {
  private readonly items = new Map<string, DamagedDocument>();
  private gauge: Gauge | null = null;
  private events: Counter | null = null;

  constructor(private readonly clock: Clock) {}

  /** Registers the metrics in `registry` (once); before that, nothing is counted. */
  observe(registry: Registry): void {
    if (this.gauge) return;
    this.gauge = new Gauge({
      name: "chargemesh_site_damaged_documents",
      help: "Documents and archive files found damaged and not yet repaired",
      labelNames: ["where"],
      registers: [registry],
    });
    this.events = new Counter({
      name: "chargemesh_site_integrity_events_total",
      help: "Integrity events: a document found damaged, repaired from a cloud copy, a copy refused",
      labelNames: ["event", "where"],
      registers: [registry],
    });
    for (const d of this.items.values()) this.events.inc({ event: "damaged", where: d.where });
    this.refreshGauge();
  }

  /** Records damage (first sighting wins); returns the entry. */
  report(
    d: Omit<DamagedDocument, "sinceMs" | "state" | "lastAttempt"> & { readonly sinceMs?: number },
  ): DamagedDocument {
    const id = bare(d.documentId);
    const held = this.items.get(id);
    if (held && held.state === "damaged") return held;
    const entry: DamagedDocument = {
      ...d,
      sinceMs: d.sinceMs ?? this.clock.now(),
      state: "damaged",
      lastAttempt: null,
    };
    this.items.set(id, entry);
    this.events?.inc({ event: "damaged", where: d.where });
    this.refreshGauge();
    return entry;
  }

  /** True while a live document of the store is damaged and not repaired (its sync messages are held off). */
  isUnderRepair(documentId: string): boolean {
    const d = this.items.get(bare(documentId));
    return d !== undefined && d.state === "damaged" && d.where === "store" && d.refetch !== true;
  }

  /** The damaged entry of `documentId` not yet repaired, if any. */
  pendingOf(documentId: string): DamagedDocument | null {
    const d = this.items.get(bare(documentId));
    return d && d.state === "damaged" ? d : null;
  }

  /** Every entry not yet repaired, oldest first. */
  pending(): DamagedDocument[] {
    return [...this.items.values()]
      .filter((d) => d.state === "damaged")
      .sort((a, b) => a.sinceMs - b.sinceMs);
  }

  /** Every entry, repaired ones included (what the site found since it started). */
  all(): DamagedDocument[] {
    return [...this.items.values()];
  }

  /** Marks a document repaired: its alarm clears. */
  repaired(documentId: string): void {
    const d = this.items.get(bare(documentId));
    if (!d || d.state !== "damaged") return;
    d.state = "repaired";
    d.lastAttempt = null;
    this.events?.inc({ event: "repaired", where: d.where });
    this.refreshGauge();
  }

  /** Records why a repair attempt did not repair (shown in the alarm); `refused` counts a refused copy. */
  attemptFailed(documentId: string, why: string, refused: boolean): void {
    const d = this.items.get(bare(documentId));
    if (!d || d.state !== "damaged") return;
    d.lastAttempt = why;
    if (refused) this.events?.inc({ event: "copy_refused", where: d.where });
  }

  private refreshGauge(): void {
    if (!this.gauge) return;
    for (const where of ["store", "archive"] as const)
      this.gauge.set({ where }, this.pending().filter((d) => d.where === where).length);
  }
}

const bare = (urlOrId: string) => urlOrId.replace("automerge:", "");

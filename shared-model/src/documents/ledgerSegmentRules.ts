import * as A from "@automerge/automerge";
import { ChargemeshError, err, ok } from "../errors.js";
import type { Result } from "../errors.js";
import type { LedgerSegment } from "./documentSchemas.js";

/** Lexicographic byte order (no Buffer: shared-model runs in browsers). */
function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * Adds a shipped record under `meter/seq` inside a change callback. A grow-only set: identical bytes
 * are a no-op, different bytes under an existing key are refused (never overwritten) with `conflict`.
 */
export function appendRecord(
  doc: LedgerSegment,
  key: string,
  shipped: Uint8Array,
): Result<"added" | "present"> {
  const existing = doc.records[key];
  if (existing !== undefined) {
    return same(existing, shipped)
      ? ok("present")
      : err(new ChargemeshError("conflict", `ledger key ${key} already holds a different record`));
  }
  doc.records[key] = shipped;
  return ok("added");
}

export interface LedgerEntry {
  readonly key: string;
  /** Every distinct value written under the key (more than one: equivocation evidence, all kept). */
  readonly values: readonly Uint8Array[];
  readonly equivocation: boolean;
}

/**
 * Reads every key of a merged segment with all the values written under it. Two writers (e.g. a
 * redundant controller restored from a backup) that wrote different bytes under one key surface as
 * an Automerge conflict: both values come back, flagged, in a deterministic order; none is dropped.
 */
export function readLedgerSegment(doc: A.Doc<LedgerSegment>): LedgerEntry[] {
  const out: LedgerEntry[] = [];
  for (const key of Object.keys(doc.records).sort()) {
    const conflicts = A.getConflicts(doc.records, key);
    const raw = conflicts ? Object.values(conflicts) : [doc.records[key]];
    const values: Uint8Array[] = [];
    for (const v of raw) if (v instanceof Uint8Array && !values.some((x) => same(x, v))) values.push(v);
    values.sort(compareBytes);
    out.push({ key, values, equivocation: values.length > 1 });
  }
  return out;
}

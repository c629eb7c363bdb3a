import { readFileSync } from "node:fs";
import type { ChainHead, Result, TrustAnchors } from "@chargemesh/shared-model";
import { ChargemeshError, err, ok, parseTrustAnchors } from "@chargemesh/shared-model";

/**
 * The auditor's trust anchors from `--trust <file>` (each a chargemesh-trust-anchors JSON file) and
 * `--trust-key <keyId>=<hex>` (pinned operator keys), merged; null when none was given. An
 * unreadable or malformed file, or one key ID pinned to two keys, is an error value.
 */
export function loadTrustAnchors(
  files: readonly string[],
  pinned: readonly string[],
): Result<TrustAnchors | null> {
  if (files.length === 0 && pinned.length === 0) return ok(null);
  const operatorKeys = new Map<string, Uint8Array>();
  let meters: Set<string> | null = null;
  let maxRecordGapMs: number | null = null;
  let heads: Map<string, ChainHead> | null = null;
  const addKey = (id: string, key: Uint8Array, from: string): Result<true> => {
    const had = operatorKeys.get(id);
    if (had && Buffer.compare(had, key) !== 0)
      return err(
        new ChargemeshError("invalid_input", `operator key ${id} is pinned to two different keys (${from})`),
      );
    operatorKeys.set(id, key);
    return ok(true);
  };
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (e) {
      return err(
        new ChargemeshError("not_found", `cannot read trust anchors ${file}: ${(e as Error).message}`),
      );
    }
    const a = parseTrustAnchors(text);
    if (!a.ok) return err(new ChargemeshError("invalid_input", `${file}: ${a.error.message}`));
    for (const [id, k] of a.value.operatorKeys) {
      const added = addKey(id, k, file);
      if (!added.ok) return added;
    }
    if (a.value.meters) meters = new Set([...(meters ?? []), ...a.value.meters]);
    for (const [m, h] of a.value.heads ?? []) {
      heads ??= new Map();
      if ((heads.get(m)?.seq ?? -1) < h.seq) heads.set(m, h);
    }
    if (a.value.maxRecordGapMs !== null)
      maxRecordGapMs = Math.min(maxRecordGapMs ?? Infinity, a.value.maxRecordGapMs);
  }
  for (const p of pinned) {
    const m = /^([^=]+)=([0-9a-f]{64})$/.exec(p);
    if (!m)
      return err(
        new ChargemeshError("invalid_input", `--trust-key takes <keyId>=<64 lowercase hex digits>, got ${p}`),
      );
    const added = addKey(m[1]!, Uint8Array.from(Buffer.from(m[2]!, "hex")), "--trust-key");
    if (!added.ok) return added;
  }
  return ok({ operatorKeys, meters, maxRecordGapMs, heads });
}

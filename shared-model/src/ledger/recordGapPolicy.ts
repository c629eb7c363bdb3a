/**
 * The record-gap policy (docs/auditing.md "Completeness"): a running site signs a record on every
 * meter at least every idle interval, charging or not, so an auditor holding the policy sees a missing
 * stretch of time as a `time_gap` and a cut tail as a `chain_tail_missing`.
 */

/** How often a site's idle meter signs a record by default (edge-node's IdleRecorder). */
export const IDLE_RECORD_INTERVAL_MS = 15 * 60_000;

/** Slack over the idle interval: the controller's tick (at most 5 s) and signing take time; one minute at least. */
const minSlackMs = 60_000;

/**
 * The `maxRecordGapMs` an operator publishes in its trust anchors for sites writing idle records
 * every `idleIntervalMs`: the interval plus a third of it (at least one minute). 15 min gives 20 min.
 * Throws RangeError for an interval that is not a positive safe integer.
 */
export function maxRecordGapMsFor(idleIntervalMs: number): number {
  if (!Number.isSafeInteger(idleIntervalMs) || idleIntervalMs <= 0)
    throw new RangeError(`idle interval must be a positive whole number of ms, got ${idleIntervalMs}`);
  return idleIntervalMs + Math.max(minSlackMs, Math.ceil(idleIntervalMs / 3));
}

/** The record-gap policy of a site on the default idle interval (20 minutes). */
export const SITE_MAX_RECORD_GAP_MS = maxRecordGapMsFor(IDLE_RECORD_INTERVAL_MS);

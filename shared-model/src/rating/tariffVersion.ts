import { ChargemeshError, err, ok } from "../errors.js";
import type { Result } from "../errors.js";
import { parseOcpiDateTimeMs } from "./ocpiTariffSchema.js";
import type { OcpiTariff } from "./ocpiTariffSchema.js";

/**
 * The version of a tariff that applies to a session starting at `startMs`: among the versions whose
 * [start_date_time, end_date_time) holds the start (a missing bound is open), the one that became
 * active last; ties go to the latest last_updated, then to the later entry. Fails with `not_found`
 * when no version is valid then.
 */
export function tariffVersionAt(
  versions: OcpiTariff | readonly OcpiTariff[],
  startMs: number,
): Result<OcpiTariff> {
  const list = Array.isArray(versions) ? (versions as readonly OcpiTariff[]) : [versions as OcpiTariff];
  let best: { t: OcpiTariff; from: number; updated: number } | null = null;
  for (const t of list) {
    const from = t.start_date_time ? parseOcpiDateTimeMs(t.start_date_time) : -Infinity;
    const to = t.end_date_time ? parseOcpiDateTimeMs(t.end_date_time) : Infinity;
    if (!(startMs >= from && startMs < to)) continue;
    const updated = t.last_updated ? parseOcpiDateTimeMs(t.last_updated) : -Infinity;
    if (!best || from > best.from || (from === best.from && updated >= best.updated))
      best = { t, from, updated };
  }
  if (!best) {
    return err(
      new ChargemeshError(
        "not_found",
        `no version of tariff ${list[0]?.id ?? "?"} is valid at ${new Date(startMs).toISOString()}`,
      ),
    );
  }
  return ok(best.t);
}

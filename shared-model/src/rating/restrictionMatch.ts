import { parseDecimal } from "./decimalText.js";
import { localParts } from "./localTime.js";
import type { OcpiTariffRestrictions } from "./ocpiTariffSchema.js";
import { cmp, rat } from "./rational.js";
import type { Rational } from "./rational.js";

/** What a restriction is checked against: the values at the middle of one segment. */
export interface RestrictionContext {
  /** The instant checked, ms (local time of day, date and weekday come from it). */
  readonly atMs: number;
  readonly timeZone: string;
  /** Energy consumed since the session started, Wh. */
  readonly energyWh: Rational;
  /** Seconds since the session started. */
  readonly durationS: Rational;
  readonly minPowerKw: Rational | null;
  readonly maxPowerKw: Rational | null;
  readonly minCurrentA: Rational | null;
  readonly maxCurrentA: Rational | null;
}

const secondsOf = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 3600 + Number(hhmm.slice(3, 5)) * 60;

/** True when `secondOfDay` lies in [start, end), the window wrapping midnight when end < start. */
export function inTimeWindow(
  secondOfDay: number,
  start: string | undefined,
  end: string | undefined,
): boolean {
  const s = start === undefined ? 0 : secondsOf(start);
  const e = end === undefined || end === "00:00" ? 86_400 : secondsOf(end);
  if (s === e) return true;
  return s < e ? secondOfDay >= s && secondOfDay < e : secondOfDay >= s || secondOfDay < e;
}

/**
 * True when every restriction set holds (OCPI: restrictions are a logical AND). Minimums are
 * inclusive, maximums exclusive. A power or current restriction on a segment whose power or current
 * is unknown does not hold. The `reservation` field is decided by the caller (which elements apply).
 */
export function restrictionsHold(r: OcpiTariffRestrictions | undefined, c: RestrictionContext): boolean {
  if (!r) return true;
  if (r.start_time || r.end_time || r.start_date || r.end_date || r.day_of_week) {
    const local = localParts(c.atMs, c.timeZone);
    if ((r.start_time || r.end_time) && !inTimeWindow(local.secondOfDay, r.start_time, r.end_time))
      return false;
    if (r.start_date && local.date < r.start_date) return false;
    if (r.end_date && local.date >= r.end_date) return false;
    if (r.day_of_week && !r.day_of_week.includes(local.dayOfWeek)) return false;
  }
  const atLeast = (v: Rational | null, bound: string | undefined) =>
    bound === undefined || (v !== null && cmp(v, parseDecimal(bound)) >= 0);
  const below = (v: Rational | null, bound: string | undefined) =>
    bound === undefined || (v !== null && cmp(v, parseDecimal(bound)) < 0);
  const kwh = rat(c.energyWh.n, c.energyWh.d * 1000n);
  if (!atLeast(kwh, r.min_kwh) || !below(kwh, r.max_kwh)) return false;
  if (!atLeast(c.durationS, r.min_duration) || !below(c.durationS, r.max_duration)) return false;
  if (!atLeast(c.minPowerKw, r.min_power) || !below(c.maxPowerKw, r.max_power)) return false;
  if (!atLeast(c.minCurrentA, r.min_current) || !below(c.maxCurrentA, r.max_current)) return false;
  return true;
}

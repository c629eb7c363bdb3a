import { ChargemeshError, err, ok } from "../errors.js";
import type { Result } from "../errors.js";
import { parseDecimal } from "./decimalText.js";
import { instantOfLocal, localParts, nextDate, offsetAt } from "./localTime.js";
import type { OcpiTariff } from "./ocpiTariffSchema.js";
import { add, cmp, div, floor, isZero, mul, rat, sub } from "./rational.js";
import type { Rational } from "./rational.js";
import { splitSegment } from "./sessionTimeline.js";
import type { Segment, SessionTimeline } from "./sessionTimeline.js";

/** Sessions longer than this many local days are refused (bounds the work per session). */
const MAX_DAYS = 400;
/** A session is never cut into more segments than this. */
const MAX_SEGMENTS = 200_000;

const minutes = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 3600 + Number(hhmm.slice(3, 5)) * 60;

/** Instants in (from, to) where the UTC offset of `zone` changes, to the millisecond. */
function offsetChanges(from: number, to: number, zone: string): number[] {
  const out: number[] = [];
  const offset = (t: number) => offsetAt(t, zone);
  const step = 6 * 3_600_000;
  for (let a = from; a < to; a += step) {
    const b = Math.min(a + step, to);
    if (offset(a) === offset(b)) continue;
    let lo = a;
    let hi = b;
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (offset(mid) === offset(lo)) lo = mid;
      else hi = mid;
    }
    out.push(hi);
  }
  return out;
}

/** Every instant in (start, end) at which a restriction of `tariff` on wall clock, kWh aside, can change. */
function timeBoundaries(
  tariff: OcpiTariff,
  timeline: SessionTimeline,
  start: number,
  end: number,
): Result<Rational[]> {
  const zone = timeline.timeZone;
  const out = new Set<number>();
  const seconds = new Set<number>([0]);
  let wallClock = false;
  for (const el of tariff.elements) {
    const r = el.restrictions;
    if (!r) continue;
    if (r.start_time) seconds.add(minutes(r.start_time));
    if (r.end_time) seconds.add(minutes(r.end_time));
    if (r.start_time || r.end_time || r.start_date || r.end_date || r.day_of_week) wallClock = true;
    for (const d of [r.min_duration, r.max_duration]) {
      if (d !== undefined) out.add(timeline.sessionStartMs + Number(d) * 1000);
    }
  }
  if (wallClock && end > start) {
    let date = localParts(start - 86_400_000, zone).date;
    const last = localParts(end + 86_400_000, zone).date;
    for (let days = 0; date <= last; days++, date = nextDate(date)) {
      if (days > MAX_DAYS)
        return err(new ChargemeshError("invalid_input", `session spans more than ${MAX_DAYS} days`));
      for (const s of seconds) out.add(instantOfLocal(date, s, zone));
    }
    for (const t of offsetChanges(start, end, zone)) out.add(t);
  }
  return ok(
    [...out]
      .filter((t) => t > start && t < end)
      .sort((a, b) => a - b)
      .map((t) => rat(t)),
  );
}

/** Energy thresholds (Wh, cumulative from session start) at which a kWh restriction can change. */
function energyThresholds(tariff: OcpiTariff): Rational[] {
  const out: Rational[] = [];
  for (const el of tariff.elements) {
    for (const k of [el.restrictions?.min_kwh, el.restrictions?.max_kwh]) {
      if (k !== undefined) out.push(mul(parseDecimal(k), rat(1000n)));
    }
  }
  return out.sort(cmp);
}

/**
 * Cuts the timeline's segments at every instant a time-of-day, date, weekday or duration
 * restriction can change and at every kWh threshold, so that each resulting segment sees one
 * value of every restriction. Quantities are shared out in proportion (constant power in a segment).
 */
export function splitAtBoundaries(tariff: OcpiTariff, timeline: SessionTimeline): Result<Segment[]> {
  const segs = timeline.segments;
  if (segs.length === 0) return ok([]);
  const first = segs[0]!;
  const last = segs[segs.length - 1]!;
  const times = timeBoundaries(tariff, timeline, Number(floor(first.startMs)), Number(floor(last.endMs)) + 1);
  if (!times.ok) return times;
  const byTime: Segment[] = [];
  let bi = 0;
  for (const seg of segs) {
    let rest = seg;
    while (bi < times.value.length && cmp(times.value[bi]!, rest.startMs) <= 0) bi++;
    let j = bi;
    while (j < times.value.length && cmp(times.value[j]!, rest.endMs) < 0) {
      const f = div(sub(times.value[j]!, rest.startMs), sub(rest.endMs, rest.startMs));
      const [left, right] = splitSegment(rest, f);
      byTime.push(left);
      rest = right;
      j++;
      if (byTime.length > MAX_SEGMENTS)
        return err(new ChargemeshError("invalid_input", "session has too many tariff boundaries"));
    }
    byTime.push(rest);
  }
  const thresholds = energyThresholds(tariff);
  if (thresholds.length === 0) return ok(byTime);
  const out: Segment[] = [];
  let cumulative = rat(0n);
  for (const seg of byTime) {
    let rest = seg;
    for (const x of thresholds) {
      const end = add(cumulative, rest.energyWh);
      if (isZero(rest.energyWh) || cmp(x, cumulative) <= 0 || cmp(x, end) >= 0) continue;
      const [left, right] = splitSegment(rest, div(sub(x, cumulative), rest.energyWh));
      out.push(left);
      cumulative = add(cumulative, left.energyWh);
      rest = right;
    }
    out.push(rest);
    cumulative = add(cumulative, rest.energyWh);
    if (out.length > MAX_SEGMENTS)
      return err(new ChargemeshError("invalid_input", "session has too many tariff boundaries"));
  }
  return ok(out);
}

import type { DayOfWeek } from "./ocpiTariffSchema.js";

/**
 * Local wall-clock time in an IANA zone through Intl (Node and browsers), for tariff restrictions on
 * time of day, date and day of week. Instants are integer ms since the epoch.
 */
export interface LocalParts {
  /** YYYY-MM-DD */
  readonly date: string;
  /** Seconds since local midnight (0..86399). */
  readonly secondOfDay: number;
  readonly dayOfWeek: DayOfWeek;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
      weekday: "long",
    });
    formatters.set(zone, f);
  }
  return f;
}

/** True when `zone` is an IANA time zone this runtime knows; never throws. */
export function isTimeZone(zone: string): boolean {
  if (typeof zone !== "string" || zone.length === 0 || zone.length > 64) return false;
  try {
    formatterFor(zone);
    return true;
  } catch {
    return false;
  }
}

const WEEKDAYS: Record<string, DayOfWeek> = {
  Monday: "MONDAY",
  Tuesday: "TUESDAY",
  Wednesday: "WEDNESDAY",
  Thursday: "THURSDAY",
  Friday: "FRIDAY",
  Saturday: "SATURDAY",
  Sunday: "SUNDAY",
};

function fields(ms: number, zone: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of formatterFor(zone).formatToParts(new Date(ms))) out[p.type] = p.value;
  return out;
}

/** Local date, second of day and weekday of instant `ms` in `zone` (sub-second part ignored). */
export function localParts(ms: number, zone: string): LocalParts {
  const f = fields(ms, zone);
  return {
    date: `${f.year}-${f.month}-${f.day}`,
    secondOfDay: Number(f.hour) * 3600 + Number(f.minute) * 60 + Number(f.second),
    dayOfWeek: WEEKDAYS[f.weekday!]!,
  };
}

/** Offset of `zone` from UTC at instant `ms`, in ms (local = utc + offset). */
function offsetAt(ms: number, zone: string): number {
  const whole = Math.floor(ms / 1000) * 1000;
  const f = fields(whole, zone);
  const asUtc = Date.UTC(
    Number(f.year),
    Number(f.month) - 1,
    Number(f.day),
    Number(f.hour),
    Number(f.minute),
    Number(f.second),
  );
  return asUtc - whole;
}

/**
 * The instant at which local wall-clock `date` + `secondOfDay` occurs in `zone`. In a DST gap the
 * instant the clocks jump over it; when the time occurs twice, the first occurrence.
 */
export function instantOfLocal(date: string, secondOfDay: number, zone: string): number {
  const [y, m, d] = date.split("-").map(Number) as [number, number, number];
  const wall = Date.UTC(y, m - 1, d) + secondOfDay * 1000;
  const earlier = wall - offsetAt(wall - 86_400_000 / 2, zone);
  const candidates = [
    wall - offsetAt(wall - 14 * 3_600_000, zone),
    wall - offsetAt(wall + 14 * 3_600_000, zone),
    earlier,
  ];
  const exact = candidates.filter((t) => t + offsetAt(t, zone) === wall).sort((a, b) => a - b);
  if (exact.length > 0) return exact[0]!;
  // Gap: the wall time does not exist; the clocks jump at the later of the two transition readings.
  return Math.max(...candidates.map((t) => t));
}

/** The local calendar date after `date`. */
export function nextDate(date: string): string {
  const [y, m, d] = date.split("-").map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + 1)).toISOString().slice(0, 10);
}

import { ChargemeshError, err, ok } from "../errors.js";
import type { Result } from "../errors.js";
import type { SignedMeterRecord } from "../ledger/meterRecordTypes.js";
import { parseDecimal } from "./decimalText.js";
import { parseOcpiDateTimeMs } from "./ocpiTariffSchema.js";
import type { CdrSession, CdrDimensionType } from "./ocpiSessionSchema.js";
import { add, div, isZero, mul, rat, sub, sum, ZERO } from "./rational.js";
import type { Rational } from "./rational.js";

/** A signed record a line item derives from. */
export interface SignedRecordRef {
  readonly meterId: string;
  readonly seq: number;
}

export type SegmentKind = "charging" | "parking" | "reservation";

/**
 * A stretch of a session in which nothing a tariff restriction looks at changes: the unit rating
 * works on. Instants are exact ms (splits at kWh thresholds fall between milliseconds).
 */
export interface Segment {
  readonly kind: SegmentKind;
  readonly startMs: Rational;
  readonly endMs: Rational;
  /** Energy delivered in this segment, Wh (zero unless charging). */
  readonly energyWh: Rational;
  /** Billable seconds: charging time, parking time or reservation time by `kind`. */
  readonly seconds: Rational;
  readonly minPowerKw: Rational | null;
  readonly maxPowerKw: Rational | null;
  readonly minCurrentA: Rational | null;
  readonly maxCurrentA: Rational | null;
  readonly records: readonly SignedRecordRef[];
  /** Index of the CDR charging period it came from, or null for meter readings. */
  readonly periodIndex: number | null;
}

export interface SessionTimeline {
  readonly timeZone: string;
  /** Start of the charging session proper (after any reservation), ms. */
  readonly sessionStartMs: number;
  /** Start of the CDR (reservation start when there is one), ms: selects the tariff version. */
  readonly cdrStartMs: number;
  readonly endMs: number;
  readonly segments: readonly Segment[];
  /** A reservation that never became a charging session (OCPI RESERVATION_EXPIRES applies). */
  readonly reservationExpired: boolean;
  /** The signed records at the session's start and end (for receipts); empty for CDR input. */
  readonly boundaryRecords: readonly SignedRecordRef[];
}

const WH_PER_KWH = rat(1000n);
const S_PER_H = rat(3600n);

function dimension(dims: ReadonlyMap<CdrDimensionType, Rational>, t: CdrDimensionType): Rational | null {
  return dims.get(t) ?? null;
}

/**
 * The timeline of an OCPI CDR-style session. Each period's quantities come from its dimensions;
 * its wall-clock span (to the next period, or the session end) is laid out reservation first, then
 * charging, then parking, in proportion to their volumes. Fails on negative volumes.
 */
export function timelineFromCdr(session: CdrSession): Result<SessionTimeline> {
  const endMs = parseOcpiDateTimeMs(session.end_date_time);
  const cdrStartMs = parseOcpiDateTimeMs(session.start_date_time);
  const segments: Segment[] = [];
  for (let i = 0; i < session.charging_periods.length; i++) {
    const p = session.charging_periods[i]!;
    const next = session.charging_periods[i + 1];
    const from = parseOcpiDateTimeMs(p.start_date_time);
    const to = next ? parseOcpiDateTimeMs(next.start_date_time) : endMs;
    const dims = new Map<CdrDimensionType, Rational>();
    for (const d of p.dimensions) {
      const v = parseDecimal(d.volume);
      if (
        v.n < 0n &&
        ["ENERGY", "ENERGY_IMPORT", "TIME", "PARKING_TIME", "RESERVATION_TIME"].includes(d.type)
      ) {
        return err(
          new ChargemeshError(
            "invalid_input",
            `charging_periods[${i}]: ${d.type} volume is negative (feed-in is not rated)`,
          ),
        );
      }
      dims.set(d.type, add(dims.get(d.type) ?? ZERO, v));
    }
    const energyWh = mul(dimension(dims, "ENERGY") ?? dimension(dims, "ENERGY_IMPORT") ?? ZERO, WH_PER_KWH);
    const parts: { kind: SegmentKind; seconds: Rational }[] = [
      { kind: "reservation", seconds: mul(dimension(dims, "RESERVATION_TIME") ?? ZERO, S_PER_H) },
      { kind: "charging", seconds: mul(dimension(dims, "TIME") ?? ZERO, S_PER_H) },
      { kind: "parking", seconds: mul(dimension(dims, "PARKING_TIME") ?? ZERO, S_PER_H) },
    ];
    const totalSeconds = sum(parts.map((x) => x.seconds));
    const span = rat(to - from);
    let cursor = rat(from);
    const avgPower = isZero(parts[1]!.seconds)
      ? null
      : div(mul(energyWh, S_PER_H), mul(parts[1]!.seconds, WH_PER_KWH));
    const power = dimension(dims, "POWER") ?? avgPower;
    const current = dimension(dims, "CURRENT");
    for (const part of parts) {
      const isOnlyPart = isZero(totalSeconds) && part.kind === "charging";
      if (isZero(part.seconds) && !isOnlyPart && !(part.kind === "charging" && !isZero(energyWh))) continue;
      const width = isZero(totalSeconds)
        ? isOnlyPart
          ? span
          : ZERO
        : mul(span, div(part.seconds, totalSeconds));
      const charging = part.kind === "charging";
      segments.push({
        kind: part.kind,
        startMs: cursor,
        endMs: add(cursor, width),
        energyWh: charging ? energyWh : ZERO,
        seconds: part.seconds,
        // Not charging: no power and no current flow.
        minPowerKw: charging ? (dimension(dims, "MIN_POWER") ?? power) : ZERO,
        maxPowerKw: charging ? (dimension(dims, "MAX_POWER") ?? power) : ZERO,
        minCurrentA: charging ? (dimension(dims, "MIN_CURRENT") ?? current) : ZERO,
        maxCurrentA: charging ? (dimension(dims, "MAX_CURRENT") ?? current) : ZERO,
        records: [],
        periodIndex: i,
      });
      cursor = add(cursor, width);
    }
  }
  const firstCharge = segments.find((s) => s.kind !== "reservation");
  const hasReservation = segments.some((s) => s.kind === "reservation");
  return ok({
    timeZone: session.time_zone,
    cdrStartMs,
    sessionStartMs: firstCharge ? Number(firstCharge.startMs.n / firstCharge.startMs.d) : cdrStartMs,
    endMs,
    segments,
    reservationExpired: hasReservation && !firstCharge,
    boundaryRecords: [],
  });
}

/** One signed reading of the cumulative import register (what rating needs of a signed record). */
export interface MeterReading {
  readonly meterId: string;
  readonly seq: number;
  readonly meterTimeMs: number;
  readonly registerWh: number;
}

/** A session as its signed meter records tell it (begin, checkpoints, end). */
export interface MeteredSession {
  readonly timeZone: string;
  readonly readings: readonly MeterReading[];
}

/** The readings of signed records (signatures and chains are verified by the caller, chainVerifier.ts). */
export function readingsFromRecords(records: readonly SignedMeterRecord[]): MeterReading[] {
  return records.map((r) => ({
    meterId: r.body.meterId,
    seq: r.body.seq,
    meterTimeMs: r.body.meterTimeMs,
    registerWh: r.body.registerWh,
  }));
}

/**
 * The timeline of a metered session: between consecutive readings, charging when the register rose
 * (average power from the rise), parking (no power, no current) when it did not. Current is not
 * metered, so current restrictions never match charging segments. Fails on readings out of order or
 * from two meters.
 */
export function timelineFromReadings(session: MeteredSession): Result<SessionTimeline> {
  const rs = session.readings;
  if (rs.length === 0)
    return err(new ChargemeshError("invalid_input", "a metered session needs at least one reading"));
  for (let i = 0; i < rs.length; i++) {
    const r = rs[i]!;
    for (const [name, v] of [
      ["seq", r.seq],
      ["meterTimeMs", r.meterTimeMs],
      ["registerWh", r.registerWh],
    ] as const) {
      if (!Number.isSafeInteger(v) || v < 0)
        return err(
          new ChargemeshError("invalid_input", `reading ${i}: ${name} must be a non-negative integer`),
        );
    }
    const prev = rs[i - 1];
    if (!prev) continue;
    if (r.meterId !== prev.meterId)
      return err(
        new ChargemeshError("invalid_input", `reading ${i}: readings of one session come from one meter`),
      );
    if (r.seq <= prev.seq || r.meterTimeMs < prev.meterTimeMs || r.registerWh < prev.registerWh) {
      return err(
        new ChargemeshError(
          "invalid_input",
          `reading ${i} (seq ${r.seq}): seq, time and register must not go backwards`,
        ),
      );
    }
  }
  const segments: Segment[] = [];
  for (let i = 1; i < rs.length; i++) {
    const a = rs[i - 1]!;
    const b = rs[i]!;
    const dt = b.meterTimeMs - a.meterTimeMs;
    const wh = b.registerWh - a.registerWh;
    if (dt === 0 && wh === 0) continue;
    const charging = wh > 0;
    const power = charging && dt > 0 ? rat(BigInt(wh) * 3600n, BigInt(dt)) : charging ? null : ZERO;
    segments.push({
      kind: charging ? "charging" : "parking",
      startMs: rat(a.meterTimeMs),
      endMs: rat(b.meterTimeMs),
      energyWh: rat(wh),
      seconds: rat(dt, 1000n),
      minPowerKw: power,
      maxPowerKw: power,
      minCurrentA: charging ? null : ZERO,
      maxCurrentA: charging ? null : ZERO,
      records: [
        { meterId: a.meterId, seq: a.seq },
        { meterId: b.meterId, seq: b.seq },
      ],
      periodIndex: null,
    });
  }
  const first = rs[0]!;
  const last = rs[rs.length - 1]!;
  return ok({
    timeZone: session.timeZone,
    cdrStartMs: first.meterTimeMs,
    sessionStartMs: first.meterTimeMs,
    endMs: last.meterTimeMs,
    segments,
    reservationExpired: false,
    boundaryRecords:
      rs.length === 1
        ? [{ meterId: first.meterId, seq: first.seq }]
        : [
            { meterId: first.meterId, seq: first.seq },
            { meterId: last.meterId, seq: last.seq },
          ],
  });
}

/** Splits `s` at fraction `f` (0 < f < 1) of everything it carries. */
export function splitSegment(s: Segment, f: Rational): [Segment, Segment] {
  const at = add(s.startMs, mul(sub(s.endMs, s.startMs), f));
  const e = mul(s.energyWh, f);
  const t = mul(s.seconds, f);
  return [
    { ...s, endMs: at, energyWh: e, seconds: t },
    { ...s, startMs: at, energyWh: sub(s.energyWh, e), seconds: sub(s.seconds, t) },
  ];
}

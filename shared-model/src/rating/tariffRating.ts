import { ok } from "../errors.js";
import type { Result } from "../errors.js";
import { splitAtBoundaries } from "./boundarySplitter.js";
import { parseDecimal } from "./decimalText.js";
import type {
  OcpiPriceComponent,
  OcpiTariff,
  OcpiTariffElement,
  TariffDimension,
} from "./ocpiTariffSchema.js";
import {
  add,
  ceilToMultiple,
  cmp,
  div,
  floor,
  isZero,
  max,
  min,
  mul,
  rat,
  sub,
  sum,
  ZERO,
  ONE,
} from "./rational.js";
import type { Rational } from "./rational.js";
import { restrictionsHold } from "./restrictionMatch.js";
import type { RestrictionContext } from "./restrictionMatch.js";
import type { SignedRecordRef, Segment, SessionTimeline } from "./sessionTimeline.js";

/** Which CDR cost field a line counts towards. */
export type CostGroup = "fixed" | "energy" | "time" | "parking" | "reservation";

/** One priced stretch: consecutive segments billed by the same price component. */
export interface TariffLine {
  readonly group: CostGroup;
  readonly dimension: TariffDimension;
  readonly elementIndex: number;
  readonly componentIndex: number;
  /** Price per unit excl. VAT (per kWh, per hour, or per session for FLAT). */
  readonly price: Rational;
  /** VAT percentage, or null when the component carries none (no VAT applicable). */
  readonly vatPercent: Rational | null;
  readonly stepSize: number;
  readonly startMs: Rational;
  readonly endMs: Rational;
  /** Measured quantity: Wh (ENERGY), seconds (TIME, PARKING_TIME), 1 (FLAT). */
  readonly quantity: Rational;
  /** Quantity billed after step_size (the session's rounding lands on its last line). */
  readonly billedQuantity: Rational;
  readonly exclVat: Rational;
  readonly inclVat: Rational;
  readonly records: readonly SignedRecordRef[];
  readonly periods: readonly number[];
}

export interface ExactPrice {
  readonly exclVat: Rational;
  readonly inclVat: Rational;
}

export interface TariffRating {
  readonly lines: readonly TariffLine[];
  readonly fixed: ExactPrice;
  readonly energy: ExactPrice;
  readonly time: ExactPrice;
  readonly parking: ExactPrice;
  readonly reservation: ExactPrice;
  /** Sum of the groups before min_price / max_price. */
  readonly beforeLimits: ExactPrice;
  /** After min_price / max_price: the CDR total_cost. */
  readonly total: ExactPrice;
  readonly limitApplied: "min_price" | "max_price" | null;
  readonly totalEnergyWh: Rational;
  readonly totalChargingS: Rational;
  readonly totalParkingS: Rational;
  readonly segments: readonly Segment[];
}

const UNIT: Record<TariffDimension, Rational> = {
  ENERGY: rat(1, 1000),
  TIME: rat(1, 3600),
  PARKING_TIME: rat(1, 3600),
  FLAT: ONE,
};

interface Pick {
  readonly elementIndex: number;
  readonly componentIndex: number;
  readonly component: OcpiPriceComponent;
}

function pick(
  elements: readonly { el: OcpiTariffElement; index: number }[],
  dim: TariffDimension,
  ctx: RestrictionContext,
): Pick | null {
  for (const { el, index } of elements) {
    const ci = el.price_components.findIndex((c) => c.type === dim);
    if (ci < 0) continue;
    if (restrictionsHold(el.restrictions, ctx))
      return { elementIndex: index, componentIndex: ci, component: el.price_components[ci]! };
  }
  return null;
}

interface Billed {
  group: CostGroup;
  dim: TariffDimension;
  pick: Pick;
  seg: Segment | null;
  quantity: Rational;
  billed: Rational;
}

const vatOf = (c: OcpiPriceComponent): Rational | null => (c.vat === undefined ? null : parseDecimal(c.vat));
const withVat = (excl: Rational, vat: Rational | null): Rational =>
  vat === null ? excl : mul(excl, add(ONE, div(vat, rat(100n))));

/** Rounds the group's session total up to the step_size of its last priced segment; the difference lands there. */
function applyStep(items: Billed[]): void {
  const last = items[items.length - 1];
  if (!last) return;
  const step = Number(last.pick.component.step_size);
  if (step <= 0) return;
  const total = sum(items.map((b) => b.quantity));
  const rounded = ceilToMultiple(total, rat(step));
  last.billed = add(last.billed, sub(rounded, total));
}

function contextAt(seg: Segment, timeline: SessionTimeline, energyBeforeWh: Rational): RestrictionContext {
  const mid = div(add(seg.startMs, seg.endMs), rat(2n));
  return {
    atMs: Number(floor(mid)),
    timeZone: timeline.timeZone,
    energyWh: add(energyBeforeWh, div(seg.energyWh, rat(2n))),
    durationS: max(ZERO, div(sub(mid, rat(timeline.sessionStartMs)), rat(1000n))),
    minPowerKw: seg.minPowerKw,
    maxPowerKw: seg.maxPowerKw,
    minCurrentA: seg.minCurrentA,
    maxCurrentA: seg.maxCurrentA,
  };
}

/**
 * Rates a timeline against one OCPI tariff (mod_tariffs and mod_cdrs "step_size"): splits at every
 * restriction boundary, picks per dimension the first element whose restrictions all hold, applies
 * step_size once per session for ENERGY, for charging TIME (only when no parking is priced), for
 * PARKING_TIME and for reservation time, then min_price/max_price to the total excl. and incl. VAT
 * independently. Fails only for sessions past the splitter's bounds.
 */
export function rateTimeline(tariff: OcpiTariff, timeline: SessionTimeline): Result<TariffRating> {
  const split = splitAtBoundaries(tariff, timeline);
  if (!split.ok) return split;
  const segments = split.value;
  const indexed = tariff.elements.map((el, index) => ({ el, index }));
  const regular = indexed.filter((e) => !e.el.restrictions?.reservation);
  const reservationOnly = indexed.filter((e) => e.el.restrictions?.reservation === "RESERVATION");
  const reservationEls = timeline.reservationExpired
    ? [...indexed.filter((e) => e.el.restrictions?.reservation === "RESERVATION_EXPIRES"), ...reservationOnly]
    : reservationOnly;

  const energy: Billed[] = [];
  const time: Billed[] = [];
  const parking: Billed[] = [];
  const reservation: Billed[] = [];
  const flats: Billed[] = [];
  let energyBefore = ZERO;
  let regularFlatContext: RestrictionContext | null = null;
  let reservationFlatContext: RestrictionContext | null = null;
  for (const seg of segments) {
    const ctx = contextAt(seg, timeline, energyBefore);
    if (seg.kind === "reservation") {
      reservationFlatContext ??= ctx;
      const p = pick(reservationEls, "TIME", ctx);
      if (p)
        reservation.push({
          group: "reservation",
          dim: "TIME",
          pick: p,
          seg,
          quantity: seg.seconds,
          billed: seg.seconds,
        });
    } else {
      regularFlatContext ??= ctx;
      if (seg.kind === "charging") {
        const e = pick(regular, "ENERGY", ctx);
        if (e)
          energy.push({
            group: "energy",
            dim: "ENERGY",
            pick: e,
            seg,
            quantity: seg.energyWh,
            billed: seg.energyWh,
          });
        const t = pick(regular, "TIME", ctx);
        if (t)
          time.push({ group: "time", dim: "TIME", pick: t, seg, quantity: seg.seconds, billed: seg.seconds });
      } else {
        const p = pick(regular, "PARKING_TIME", ctx);
        if (p)
          parking.push({
            group: "parking",
            dim: "PARKING_TIME",
            pick: p,
            seg,
            quantity: seg.seconds,
            billed: seg.seconds,
          });
      }
    }
    energyBefore = add(energyBefore, seg.energyWh);
  }
  if (!timeline.reservationExpired) {
    regularFlatContext ??= {
      atMs: timeline.sessionStartMs,
      timeZone: timeline.timeZone,
      energyWh: ZERO,
      durationS: ZERO,
      minPowerKw: null,
      maxPowerKw: null,
      minCurrentA: null,
      maxCurrentA: null,
    };
    const f = pick(regular, "FLAT", regularFlatContext);
    if (f) flats.push({ group: "fixed", dim: "FLAT", pick: f, seg: null, quantity: ONE, billed: ONE });
  }
  if (reservationFlatContext) {
    const f = pick(reservationEls, "FLAT", reservationFlatContext);
    if (f) flats.push({ group: "reservation", dim: "FLAT", pick: f, seg: null, quantity: ONE, billed: ONE });
  }
  applyStep(energy);
  // mod_cdrs step_size: when TIME and PARKING_TIME are both used, step_size counts for the parking total only.
  applyStep(parking.length > 0 ? parking : time);
  applyStep(reservation);

  const lines = mergeLines([...flats, ...reservation, ...energy, ...time, ...parking], timeline);
  const group = (g: CostGroup): ExactPrice => ({
    exclVat: sum(lines.filter((l) => l.group === g).map((l) => l.exclVat)),
    inclVat: sum(lines.filter((l) => l.group === g).map((l) => l.inclVat)),
  });
  const groups = {
    fixed: group("fixed"),
    energy: group("energy"),
    time: group("time"),
    parking: group("parking"),
    reservation: group("reservation"),
  };
  const beforeLimits = {
    exclVat: sum(Object.values(groups).map((g) => g.exclVat)),
    inclVat: sum(Object.values(groups).map((g) => g.inclVat)),
  };
  const limited = applyPriceLimits(tariff, beforeLimits);
  const chargingSegs = segments.filter((s) => s.kind === "charging");
  return ok({
    lines,
    ...groups,
    beforeLimits,
    total: limited.total,
    limitApplied: limited.applied,
    totalEnergyWh: sum(chargingSegs.map((s) => s.energyWh)),
    totalChargingS: sum(chargingSegs.map((s) => s.seconds)),
    totalParkingS: sum(segments.filter((s) => s.kind === "parking").map((s) => s.seconds)),
    segments,
  });
}

function mergeLines(items: Billed[], timeline: SessionTimeline): TariffLine[] {
  const out: TariffLine[] = [];
  for (const b of items) {
    const c = b.pick.component;
    const price = parseDecimal(c.price);
    const vat = vatOf(c);
    const excl = mul(mul(price, UNIT[b.dim]), b.billed);
    const prev = out[out.length - 1];
    const startMs = b.seg?.startMs ?? rat(timeline.sessionStartMs);
    const endMs = b.seg?.endMs ?? startMs;
    const records = b.seg ? b.seg.records : timeline.boundaryRecords.slice(0, 1);
    const periods = b.seg && b.seg.periodIndex !== null ? [b.seg.periodIndex] : [];
    if (
      prev &&
      prev.group === b.group &&
      prev.dimension === b.dim &&
      prev.elementIndex === b.pick.elementIndex &&
      prev.componentIndex === b.pick.componentIndex &&
      b.dim !== "FLAT"
    ) {
      const exclVat = add(prev.exclVat, excl);
      out[out.length - 1] = {
        ...prev,
        endMs,
        quantity: add(prev.quantity, b.quantity),
        billedQuantity: add(prev.billedQuantity, b.billed),
        exclVat,
        inclVat: withVat(exclVat, vat),
        records: [...prev.records, ...records],
        periods: [...new Set([...prev.periods, ...periods])],
      };
      continue;
    }
    out.push({
      group: b.group,
      dimension: b.dim,
      elementIndex: b.pick.elementIndex,
      componentIndex: b.pick.componentIndex,
      price,
      vatPercent: vat,
      stepSize: Number(c.step_size),
      startMs,
      endMs,
      quantity: b.quantity,
      billedQuantity: b.billed,
      exclVat: excl,
      inclVat: withVat(excl, vat),
      records,
      periods,
    });
  }
  return out.map((l) => ({ ...l, records: distinctRecords(l.records) }));
}

function distinctRecords(rs: readonly SignedRecordRef[]): SignedRecordRef[] {
  const seen = new Set<string>();
  return rs.filter((r) => {
    const key = `${r.meterId}/${r.seq}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * OCPI min_price / max_price: the excl. and incl. VAT totals are bounded independently. A bound
 * without incl_vat bounds the incl. total by the same ratio the excl. total was moved by.
 */
function applyPriceLimits(
  tariff: OcpiTariff,
  p: ExactPrice,
): { total: ExactPrice; applied: "min_price" | "max_price" | null } {
  let { exclVat, inclVat } = p;
  let applied: "min_price" | "max_price" | null = null;
  const bound = (kind: "min_price" | "max_price") => {
    const limit = tariff[kind];
    if (!limit) return;
    const below = kind === "min_price";
    const clamp = (v: Rational, l: Rational) => (below ? max(v, l) : min(v, l));
    const lex = parseDecimal(limit.excl_vat);
    const newExcl = clamp(exclVat, lex);
    let newIncl: Rational;
    if (limit.incl_vat !== undefined) newIncl = clamp(inclVat, parseDecimal(limit.incl_vat));
    else if (isZero(exclVat)) newIncl = below ? max(inclVat, newExcl) : inclVat;
    else newIncl = mul(inclVat, div(newExcl, exclVat));
    if (cmp(newExcl, exclVat) !== 0 || cmp(newIncl, inclVat) !== 0) applied = kind;
    exclVat = newExcl;
    inclVat = newIncl;
  };
  bound("min_price");
  bound("max_price");
  return { total: { exclVat, inclVat }, applied };
}

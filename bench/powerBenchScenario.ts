/**
 * The seeded day the power bench simulates: a 50-stall site (5 cabinets of 8 AC + 2 DC stalls), a
 * grid limit far under the sum of stall maxima, a day of car arrivals with morning and evening peaks,
 * cars with batteries, state of charge, taper curves and stay durations, a stage that stops answering
 * for 20 minutes, and a demand-response cut announced a minute ahead.
 */
import { SeededRandom } from "@chargemesh/shared-model";
import type { LimitNode } from "@chargemesh/shared-model";

export interface StallSpec {
  readonly index: number;
  readonly id: string;
  readonly cabinet: string;
  readonly kind: "ac" | "dc";
  readonly maxW: number;
  readonly minW: number;
  readonly safeLimitW: number;
  readonly reactionDelayMs: number;
}

export interface CarSpec {
  readonly arriveS: number;
  readonly stayS: number;
  readonly kind: "ac" | "dc";
  readonly capacityWh: number;
  readonly socPermille: number;
  readonly targetPermille: number;
  /** What the car's charger can take at low state of charge, W. */
  readonly maxW: number;
  /** Whether the car tells the stall its acceptance (ISO 15118 / DC) or says nothing (basic AC). */
  readonly reports: boolean;
}

export interface Scenario {
  readonly stalls: readonly StallSpec[];
  readonly limits: LimitNode;
  /** Demand-response cut: announced at `announceS`, binding from `fromS` to `untilS`. */
  readonly demandResponse: {
    readonly announceS: number;
    readonly fromS: number;
    readonly untilS: number;
    readonly limits: LimitNode;
  };
  readonly cars: readonly CarSpec[];
  /** A stall whose stage stops answering (keeps its old limit) for a while. */
  readonly outage: { readonly stall: number; readonly fromS: number; readonly untilS: number };
  readonly daySeconds: number;
}

const CABINETS = 5;
const SITE_LIMIT_W = 400_000;
const CABINET_LIMIT_W = 120_000;

function tree(site: number, cabinet: number): LimitNode {
  return {
    id: "site",
    limitW: site,
    children: Array.from({ length: CABINETS }, (_, c) => ({ id: `cab${c}`, limitW: cabinet })),
  };
}

/** Builds the day from a seed; the same seed gives the same day. */
export function buildScenario(seed: number): Scenario {
  const rnd = new SeededRandom(seed);
  const stalls: StallSpec[] = [];
  for (let c = 0; c < CABINETS; c++) {
    for (let k = 0; k < 10; k++) {
      const dc = k >= 8;
      const index = stalls.length;
      stalls.push({
        index,
        id: `st${String(index).padStart(2, "0")}`,
        cabinet: `cab${c}`,
        kind: dc ? "dc" : "ac",
        maxW: dc ? 150_000 : 22_000,
        minW: dc ? 5_000 : 4_140, // AC: 6 A x 3 phases x 230 V
        safeLimitW: dc ? 10_000 : 4_140,
        reactionDelayMs: rnd.int(1, 5) * 1_000,
      });
    }
  }
  const cars: CarSpec[] = [];
  const day = 86_400;
  for (let s = 0; s < day; s++) {
    const h = s / 3_600;
    // arrivals per hour: a night floor, a morning peak at 8:30 and an evening peak at 18:00
    const perHour =
      1.5 +
      28 * Math.exp(-((h - 8.5) ** 2) / (2 * 1.0 ** 2)) +
      26 * Math.exp(-((h - 18) ** 2) / (2 * 1.5 ** 2)) +
      (h > 10 && h < 16 ? 8 : 0);
    if (rnd.next() >= perHour / 3_600) continue;
    const dc = rnd.next() < 0.3;
    const capacityWh = rnd.int(40, 100) * 1_000;
    const soc = rnd.int(100, 600);
    cars.push({
      arriveS: s,
      stayS: dc ? rnd.int(20, 60) * 60 : Math.floor(3_600 * (1 + 7 * rnd.next() ** 2)),
      kind: dc ? "dc" : "ac",
      capacityWh,
      socPermille: soc,
      targetPermille: rnd.int(Math.max(soc + 100, 800), 1_000),
      maxW: dc ? rnd.int(5, 25) * 10_000 : [7_400, 11_000, 11_000, 22_000][rnd.int(0, 3)]!,
      reports: dc || rnd.next() < 0.5,
    });
  }
  return {
    stalls,
    limits: tree(SITE_LIMIT_W, CABINET_LIMIT_W),
    demandResponse: {
      announceS: 18.5 * 3_600,
      fromS: 18.5 * 3_600 + 60,
      untilS: 19.5 * 3_600,
      limits: tree(300_000, 90_000),
    },
    cars,
    outage: { stall: 7, fromS: 14 * 3_600, untilS: 14 * 3_600 + 1_200 },
    daySeconds: day,
  };
}

/** The car's acceptance at a state of charge (W): DC tapers from 50 %, AC from 90 %; 0 once at target. */
export function carAcceptanceW(car: CarSpec, socPermille: number): number {
  if (socPermille >= car.targetPermille) return 0;
  const soc = socPermille / 1_000;
  let f: number;
  if (car.kind === "dc")
    f = soc < 0.5 ? 1 : soc < 0.8 ? 1 - ((soc - 0.5) / 0.3) * 0.55 : 0.45 - ((soc - 0.8) / 0.2) * 0.35;
  else f = soc < 0.9 ? 1 : 1 - ((soc - 0.9) / 0.1) * 0.7;
  return Math.max(0, Math.floor(car.maxW * f));
}

/** The limits in force at second `s` (for breach accounting). */
export function limitsAt(sc: Scenario, s: number): LimitNode {
  return s >= sc.demandResponse.fromS && s < sc.demandResponse.untilS ? sc.demandResponse.limits : sc.limits;
}

import { SeededRandom } from "@chargemesh/shared-model";

/** One simulated car's visit: when it arrives, what it is, how long the driver stays at most. */
export interface CarVisit {
  readonly index: number;
  readonly arriveAtMs: number;
  /** The driver unplugs at this time at the latest (earlier if the car is full and the driver leaves). */
  readonly leaveAtMs: number;
  readonly capacityWh: number;
  readonly socPermille: number;
  readonly targetPermille: number;
  readonly maxPowerW: number;
  /** Index into the contract pool (several visits may share a contract). */
  readonly contract: number;
}

export interface ArrivalPlanOptions {
  readonly vehicles: number;
  readonly startMs: number;
  /** Length of the arrival window; arrivals cluster around a morning, a midday and an evening peak. */
  readonly windowMs: number;
  readonly contracts: number;
  readonly seed: number;
}

/** Where in the window each peak sits and which share of the cars it draws; the rest arrive uniformly. */
const PEAKS = [
  { at: 0.25, share: 0.3 },
  { at: 0.5, share: 0.25 },
  { at: 0.72, share: 0.3 },
] as const;
/** Spread of a peak: the sum of three uniforms minus 1.5 (standard deviation 0.5) times this share of the window. */
const PEAK_WIDTH = 0.15;

/** Cars on the road in 2026 (net capacity, peak DC acceptance). */
const CATALOGUE = [
  { capacityWh: 60_000, maxPowerW: 100_000 },
  { capacityWh: 64_000, maxPowerW: 130_000 },
  { capacityWh: 77_000, maxPowerW: 175_000 },
  { capacityWh: 84_000, maxPowerW: 235_000 },
  { capacityWh: 100_000, maxPowerW: 150_000 },
] as const;

/**
 * A seeded day of arrivals for a highway site: arrival times drawn from three peaks (morning commute
 * at 25% of the window, lunch at 50%, evening at 72%) plus a base rate; cars from a 2026 catalogue
 * (60-100 kWh, DC acceptance 100-235 kW) arriving at 10-35% and wanting 80-90%; drivers stay 20-55
 * min (a highway stop), leaving earlier once full. With the embedded default (20 stalls, 300 cars
 * over 16 h, a grid limit of 40% of the stalls' nameplate) the limit is shared for over a third of
 * the day. Same options, same plan.
 */
export function planArrivals(o: ArrivalPlanOptions): CarVisit[] {
  const rnd = new SeededRandom(o.seed);
  const visits: CarVisit[] = [];
  for (let i = 0; i < o.vehicles; i++) {
    const frac = arrivalFraction(rnd);
    const car = CATALOGUE[rnd.int(0, CATALOGUE.length - 1)]!;
    const arriveAtMs = o.startMs + Math.floor(frac * o.windowMs);
    const socPermille = rnd.int(100, 350);
    visits.push({
      index: i,
      arriveAtMs,
      leaveAtMs: arriveAtMs + rnd.int(20, 55) * 60_000,
      capacityWh: car.capacityWh,
      socPermille,
      targetPermille: rnd.int(800, 900),
      maxPowerW: car.maxPowerW,
      contract: rnd.int(0, o.contracts - 1),
    });
  }
  return visits.sort((a, b) => a.arriveAtMs - b.arriveAtMs || a.index - b.index);
}

/** Where in the window (0 to just under 1) one car arrives. */
function arrivalFraction(rnd: SeededRandom): number {
  let u = rnd.next();
  for (const peak of PEAKS) {
    if (u < peak.share) {
      const offset = (rnd.next() + rnd.next() + rnd.next() - 1.5) * PEAK_WIDTH;
      return Math.min(0.999, Math.max(0, peak.at + offset));
    }
    u -= peak.share;
  }
  return rnd.next();
}

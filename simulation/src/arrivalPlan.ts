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
  /** Length of the arrival window; arrivals cluster around a morning and an evening peak. */
  readonly windowMs: number;
  readonly contracts: number;
  readonly seed: number;
}

/**
 * A seeded day of arrivals for a highway site: arrival times drawn from two peaks plus a base rate,
 * cars from a small catalogue (capacities 40-100 kWh, DC acceptance 50-250 kW), stays of 15-60 min.
 * Same options, same plan.
 */
export function planArrivals(o: ArrivalPlanOptions): CarVisit[] {
  const rnd = new SeededRandom(o.seed);
  const catalogue = [
    { capacityWh: 40_000, maxPowerW: 50_000 },
    { capacityWh: 58_000, maxPowerW: 120_000 },
    { capacityWh: 77_000, maxPowerW: 175_000 },
    { capacityWh: 82_000, maxPowerW: 250_000 },
    { capacityWh: 100_000, maxPowerW: 150_000 },
  ];
  const visits: CarVisit[] = [];
  for (let i = 0; i < o.vehicles; i++) {
    const u = rnd.next();
    // 35% around the morning peak (30% of the window), 35% around the evening peak (70%), 30% uniform.
    const centre = u < 0.35 ? 0.3 : u < 0.7 ? 0.7 : null;
    const frac =
      centre === null
        ? rnd.next()
        : Math.min(0.999, Math.max(0, centre + (rnd.next() + rnd.next() + rnd.next() - 1.5) * 0.12));
    const car = catalogue[rnd.int(0, catalogue.length - 1)]!;
    const arriveAtMs = o.startMs + Math.floor(frac * o.windowMs);
    const socPermille = rnd.int(50, 450);
    visits.push({
      index: i,
      arriveAtMs,
      leaveAtMs: arriveAtMs + rnd.int(15, 60) * 60_000,
      capacityWh: car.capacityWh,
      socPermille,
      targetPermille: rnd.int(Math.max(socPermille + 100, 700), 900),
      maxPowerW: car.maxPowerW,
      contract: rnd.int(0, o.contracts - 1),
    });
  }
  return visits.sort((a, b) => a.arriveAtMs - b.arriveAtMs || a.index - b.index);
}

/**
 * Runs one strategy through the bench's day in 1 s steps on virtual time: hal's SimPowerStage with
 * reaction delays, cars charging and tapering, arrivals and departures, a stage outage (it falls back
 * to its safe limit after 10 s) and a demand-response cut. Integrates the figures the bench prints,
 * among them fairness against shared-model's weighted max-min oracle.
 */
import { SeededRandom, VirtualClock, maxMinFairShares, stallId } from "@chargemesh/shared-model";
import type { FairShareClaim, LimitNode } from "@chargemesh/shared-model";
import { SimPowerStage } from "@chargemesh/hal";
import { PowerManager, VirtualTimeScheduler } from "@chargemesh/edge-node";
import type { BaselinePlanner, BaselineStall } from "./powerBaselines.js";
import { carAcceptanceW, limitsAt } from "./powerBenchScenario.js";
import type { CarSpec, Scenario } from "./powerBenchScenario.js";

export interface DayMetrics {
  /** Integrated delivered energy and the lesser of demand and limits, W*s (integers). */
  deliveredWs: number;
  idealWs: number;
  /** Headroom left unused while some car wanted more, W*s. */
  strandedWs: number;
  jainSum: number;
  contendedSteps: number;
  /** Instants (timer fires and step ends) at which a site or cabinet draw exceeded its limit. */
  breachInstants: number;
  breachSeconds: number;
  maxOverW: number;
  overWs: number;
  replans: number;
  carsServed: number;
  carsTurnedAway: number;
  /** Against the oracle, over every step and over steady steps (25 s after the last arrival,
   *  departure, limit change or outage event). */
  oracle: OracleTally;
  oracleSteady: OracleTally;
}

export interface OracleTally {
  steps: number;
  contended: number;
  /** Sum of Jain's index of delivered / fair share over contended steps. */
  jainSum: number;
  /** Contended steps where some car was off its fair share by more than max(1 kW, 5 %). */
  unfair: number;
  deliveredWs: number;
  fairWs: number;
}

const oracleTally = (): OracleTally => ({
  steps: 0,
  contended: 0,
  jainSum: 0,
  unfair: 0,
  deliveredWs: 0,
  fairWs: 0,
});
const STEADY_AFTER_S = 25;

interface Occupant {
  car: CarSpec;
  chargedWs: number;
  leaveS: number;
}

interface Controller {
  start(): Promise<void>;
  plugged(i: number, nowMs: number): void;
  unplugged(i: number): void;
  step(s: number): void;
  setLimits(l: LimitNode, why: string): void;
  replans(): number;
  close(): Promise<void>;
}

/** Simulates the day with our power manager ("ours") or a baseline planner applied naively. */
export async function runDay(
  sc: Scenario,
  strategy: "ours" | BaselinePlanner,
  seed: number,
): Promise<DayMetrics> {
  const clock = new VirtualClock(0);
  const sched = new VirtualTimeScheduler(clock);
  const stages = sc.stalls.map(
    (s) =>
      new SimPowerStage(s.maxW, s.minW, s.reactionDelayMs, clock, {
        timers: sched,
        fallbackLimitW: s.safeLimitW,
        fallbackAfterMs: 10_000,
      }),
  );
  for (const st of stages) void st.setContactor(true);
  const occ: (Occupant | null)[] = sc.stalls.map(() => null);
  const reported: (number | null)[] = sc.stalls.map(() => 0);
  const pick = new SeededRandom(seed ^ 0x5eed);
  const m: DayMetrics = {
    deliveredWs: 0,
    idealWs: 0,
    strandedWs: 0,
    jainSum: 0,
    contendedSteps: 0,
    breachInstants: 0,
    breachSeconds: 0,
    maxOverW: 0,
    overWs: 0,
    replans: 0,
    carsServed: 0,
    carsTurnedAway: 0,
    oracle: oracleTally(),
    oracleSteady: oracleTally(),
  };
  let lastEventS = 0;
  const cabinets = (sc.limits.children ?? []).map((c) => c.id);
  const cabOf = sc.stalls.map((s) => cabinets.indexOf(s.cabinet));
  const trueAcceptance = (i: number): number => {
    const o = occ[i];
    if (!o) return 0;
    const soc = o.car.socPermille + Math.floor(((o.chargedWs / 3_600) * 1_000) / o.car.capacityWh);
    const a = carAcceptanceW(o.car, soc);
    return Math.min(sc.stalls[i]!.maxW, sc.stalls[i]!.kind === "ac" ? Math.min(a, 22_000) : a);
  };
  const overNow = (s: number): number => {
    const l = limitsAt(sc, s);
    const cab = new Array<number>(cabinets.length).fill(0);
    let site = 0;
    stages.forEach((st, i) => {
      const w = st.drawW();
      site += w;
      cab[cabOf[i]!]! += w;
    });
    let over = site - l.limitW;
    (l.children ?? []).forEach((c, k) => (over = Math.max(over, cab[k]! - c.limitW)));
    return over;
  };
  let second = 0;
  let breachedThisStep = false;
  sched.afterFire = () => {
    const over = overNow(second);
    if (over > 0) {
      m.breachInstants++;
      breachedThisStep = true;
      m.maxOverW = Math.max(m.maxOverW, over);
    }
  };

  const ctl: Controller =
    strategy === "ours" ? ours(sc, clock, sched, stages, reported) : naive(sc, stages, strategy);
  await ctl.start();
  let nextCar = 0;
  for (second = 0; second < sc.daySeconds; second++) {
    breachedThisStep = false;
    // departures, then arrivals (a uniformly chosen free stall of the right kind)
    for (let i = 0; i < occ.length; i++) {
      const o = occ[i];
      if (o && o.leaveS <= second) {
        occ[i] = null;
        stages[i]!.setLoad(0);
        reported[i] = 0;
        ctl.unplugged(i);
        lastEventS = second;
      }
    }
    while (nextCar < sc.cars.length && sc.cars[nextCar]!.arriveS <= second) {
      const car = sc.cars[nextCar++]!;
      let free = occ
        .map((o, i) => (o === null && sc.stalls[i]!.kind === car.kind ? i : -1))
        .filter((i) => i >= 0);
      if (free.length === 0 && car.kind === "dc")
        free = occ.map((o, i) => (o === null ? i : -1)).filter((i) => i >= 0);
      if (free.length === 0) {
        m.carsTurnedAway++;
        continue;
      }
      const i = free[pick.int(0, free.length - 1)]!;
      occ[i] = { car, chargedWs: 0, leaveS: second + car.stayS };
      const wants = trueAcceptance(i);
      stages[i]!.setLoad(wants); // the car states its needs before power is requested
      reported[i] = car.reports ? wants : null;
      m.carsServed++;
      lastEventS = second;
      ctl.plugged(i, clock.now());
    }
    if (second === sc.outage.fromS) stages[sc.outage.stall]!.setUnreachable(true);
    if (second === sc.outage.untilS) stages[sc.outage.stall]!.setUnreachable(false);
    if (second === sc.demandResponse.announceS) ctl.setLimits(sc.demandResponse.limits, "demand-response");
    if (second === sc.demandResponse.untilS) ctl.setLimits(sc.limits, "demand-response-end");
    if (
      [sc.outage.fromS, sc.outage.untilS, sc.demandResponse.fromS, sc.demandResponse.untilS].includes(second)
    )
      lastEventS = second;
    for (let i = 0; i < occ.length; i++) {
      const a = trueAcceptance(i);
      stages[i]!.setLoad(a);
      const o = occ[i];
      reported[i] = o ? (o.car.reports ? a : null) : 0;
    }
    ctl.step(second);
    await sched.advance(1_000);
    // end of the step: integrate this second
    const l = limitsAt(sc, second + 1);
    let delivered = 0;
    let demandTotal = 0;
    let wantsMore = false;
    const cabDemand = new Array<number>(cabinets.length).fill(0);
    let jx = 0;
    let jx2 = 0;
    let jn = 0;
    for (let i = 0; i < occ.length; i++) {
      const got = stages[i]!.drawW();
      delivered += got;
      const o = occ[i];
      if (o) o.chargedWs += got;
      const d = trueAcceptance(i);
      if (d <= 0) continue;
      demandTotal += d;
      cabDemand[cabOf[i]!]! += d;
      if (got < d - 100) wantsMore = true;
      const x = Math.min(1, got / d);
      jx += x;
      jx2 += x * x;
      jn++;
    }
    const ideal = Math.min(
      l.limitW,
      (l.children ?? []).reduce((a, c, k) => a + Math.min(c.limitW, cabDemand[k]!), 0),
    );
    m.deliveredWs += Math.min(delivered, ideal);
    m.idealWs += ideal;
    if (wantsMore) m.strandedWs += Math.max(0, ideal - delivered);
    if (demandTotal > ideal && jn > 0) {
      m.contendedSteps++;
      m.jainSum += jx2 > 0 ? (jx * jx) / (jn * jx2) : 1;
    }
    const outage = second >= sc.outage.fromS && second < sc.outage.untilS;
    const steady = second - lastEventS >= STEADY_AFTER_S && !outage;
    tallyOracle(
      steady ? [m.oracle, m.oracleSteady] : [m.oracle],
      l,
      sc,
      stages,
      trueAcceptance,
      outage ? sc.outage.stall : -1,
    );
    const over = overNow(second + 1);
    if (over > 0) {
      m.breachInstants++;
      breachedThisStep = true;
      m.maxOverW = Math.max(m.maxOverW, over);
      m.overWs += over;
    }
    if (breachedThisStep) m.breachSeconds++;
  }
  m.replans = ctl.replans();
  await ctl.close();
  return m;
}

/** One step against the oracle: fair shares of the true demands (a demand under the stage minimum
 *  claims the minimum, as no stage can offer less, and is owed only what the car takes); the stall
 *  in an outage is a fixed claim at the limit it really enforces. */
function tallyOracle(
  tallies: OracleTally[],
  limits: LimitNode,
  sc: Scenario,
  stages: SimPowerStage[],
  wants: (i: number) => number,
  outageStall: number,
): void {
  const claims: FairShareClaim[] = sc.stalls.map((s, i) => {
    if (i === outageStall)
      return { nodeId: s.cabinet, demandW: stages[i]!.enforcedLimitW(), weight: 1, fixed: true };
    const d = wants(i);
    return { nodeId: s.cabinet, demandW: d > 0 ? Math.max(d, s.minW) : 0, weight: 1 };
  });
  const share = maxMinFairShares(limits, claims);
  let demand = 0;
  let fairSum = 0;
  let delivered = 0;
  let x1 = 0;
  let x2 = 0;
  let n = 0;
  let unfair = false;
  claims.forEach((c, i) => {
    if (c.fixed) return;
    const fair = Math.min(share[i]!, wants(i));
    const got = stages[i]!.drawW();
    demand += wants(i);
    fairSum += fair;
    delivered += got;
    if (fair < 1) return;
    const x = got / fair;
    x1 += x;
    x2 += x * x;
    n++;
    if (Math.abs(got - fair) > Math.max(1_000, 0.05 * fair)) unfair = true;
  });
  for (const t of tallies) {
    t.steps++;
    t.deliveredWs += delivered;
    t.fairWs += fairSum;
    if (demand > fairSum + 1 && n > 0) {
      t.contended++;
      t.jainSum += x2 > 0 ? (x1 * x1) / (n * x2) : 1;
      if (unfair) t.unfair++;
    }
  }
}

function ours(
  sc: Scenario,
  clock: VirtualClock,
  sched: VirtualTimeScheduler,
  stages: SimPowerStage[],
  reported: (number | null)[],
): Controller {
  const manager = new PowerManager({
    clock,
    scheduler: sched,
    limits: sc.limits,
    stalls: sc.stalls.map((s, i) => ({
      stallId: stallId(s.id),
      nodeId: s.cabinet,
      stage: stages[i]!,
      safeLimitW: s.safeLimitW,
      acceptanceW: () => reported[i]!,
    })),
    settleMs: 10_000,
    minSoftReplanMs: 5_000,
    tickMs: 1_000,
  });
  let applied = 0;
  manager.onPlan((p) => {
    if (p.status === "applied") applied++;
  });
  return {
    start: () => manager.start(),
    plugged: (i) => {
      manager.stallCharging(stallId(sc.stalls[i]!.id), true);
      void manager.replan("plug-in");
    },
    unplugged: (i) => {
      manager.stallCharging(stallId(sc.stalls[i]!.id), false);
      void manager.replan("unplug");
    },
    step: () => {},
    setLimits: (l, why) => void manager.setLimits(l, why),
    replans: () => applied,
    close: () => manager.close(),
  };
}

/** A baseline planner re-planned every 5 s and on events, its setpoints sent to all stages at once. */
function naive(sc: Scenario, stages: SimPowerStage[], planner: BaselinePlanner): Controller {
  const charging = sc.stalls.map(() => false);
  const since = sc.stalls.map(() => 0);
  const grant = sc.stalls.map(() => 0);
  const grantSince = sc.stalls.map(() => 0);
  let limits = sc.limits;
  let dirty = true;
  let plans = 0;
  return {
    start: async () => {},
    plugged: (i, nowMs) => {
      charging[i] = true;
      since[i] = nowMs;
      dirty = true;
    },
    unplugged: (i) => {
      charging[i] = false;
      dirty = true;
    },
    setLimits: (l) => {
      limits = l;
      dirty = true;
    },
    step: (s) => {
      if (!dirty && s % 5 !== 0) return;
      dirty = false;
      plans++;
      const input: BaselineStall[] = sc.stalls.map((st, i) => ({
        nodeId: st.cabinet,
        maxW: st.maxW,
        minW: st.minW,
        charging: charging[i]!,
        sinceMs: since[i]!,
        grantedW: grant[i]!,
        ...(s - grantSince[i]! >= 10 ? { measuredW: stages[i]!.status().measuredW } : {}),
      }));
      const plan = planner(limits, input);
      plan.forEach((w, i) => {
        if (w !== grant[i]) {
          grant[i] = w;
          grantSince[i] = s;
        }
        if (w !== stages[i]!.status().requestedLimitW) void stages[i]!.setLimit(w).catch(() => {});
      });
    },
    replans: () => plans,
    close: async () => {},
  };
}

/**
 * Drives a power controller (the real PowerManager, or a bench baseline) through a stress scenario
 * (`powerStressScenario.ts`) over hal's SimPowerStage on virtual time, sampling the site every 10 ms
 * and at every timer instant. Counts breach instants per limit node (apart from the windows a cut
 * with no notice is allowed: the slowest stage's reaction delay), and measures fairness against an
 * independent weighted max-min oracle (shared-model `maxMinFairShares`) over the whole run and in
 * steady state (25 s after the last event, no stage impaired).
 */
import { SeededRandom, VirtualClock, maxMinFairShares, stallId } from "@chargemesh/shared-model";
import type { FairShareClaim, LimitNode } from "@chargemesh/shared-model";
import { SimPowerStage } from "@chargemesh/hal";
import { PowerManager } from "./powerManager.js";
import type { PowerManagerOptions } from "./powerManagerTypes.js";
import { VirtualTimeScheduler } from "./virtualTimeScheduler.js";
import type { StressEvent, StressScenario } from "./powerStressScenario.js";

/** What a controller under test sees of the simulated site. */
export interface StressSite {
  readonly clock: VirtualClock;
  readonly scheduler: VirtualTimeScheduler;
  readonly scenario: StressScenario;
  readonly stages: readonly SimPowerStage[];
  /** What the car on stall i reports it accepts now: W, or null when it says nothing; 0 without a car. */
  reportedW(i: number): number | null;
}

export interface StressController {
  plugged(i: number): void;
  unplugged(i: number): void;
  setLimits(limits: LimitNode, reason: string): void;
  /** Called at every 10 ms step. */
  step(nowMs: number): void;
  /** How many stalls are alarmed now. */
  alarmCount(): number;
  close(): Promise<void>;
}

export type StressControllerFactory = (site: StressSite) => Promise<StressController>;

export interface FairnessTally {
  /** Fairness samples (every 100 ms) counted. */
  samples: number;
  /** Samples where demand exceeded what the limits allow. */
  contended: number;
  /** Sum over contended samples of Jain's index of delivered / fair share. */
  jainSum: number;
  /** Contended samples where some stall was off its fair share by more than max(1 kW, 5 %). */
  unfair: number;
  /** Sums of delivered power and of oracle fair shares over the samples, W (ratio = utilization). */
  deliveredW: number;
  fairW: number;
}

export interface CutWindow {
  readonly atMs: number;
  readonly allowedMs: number;
  /** When the last breach inside the window was seen, relative to the cut (null: none). */
  lastBreachMs: number | null;
}

export interface StressMetrics {
  readonly seed: number;
  samples: number;
  /** Breach instants outside the allowed windows of unannounced cuts, per limit node. */
  readonly breaches: Record<string, number>;
  breachesInCutWindows: number;
  readonly cutWindows: CutWindow[];
  worstOverW: number;
  readonly all: FairnessTally;
  readonly steady: FairnessTally;
  /** Most stalls alarmed at once. */
  maxAlarms: number;
}

export interface StressRunOptions {
  readonly stepMs?: number;
  readonly fairEveryMs?: number;
  readonly steadyAfterMs?: number;
}

const tally = (): FairnessTally => ({
  samples: 0,
  contended: 0,
  jainSum: 0,
  unfair: 0,
  deliveredW: 0,
  fairW: 0,
});

interface Car {
  wantsW: number;
  reports: boolean;
  paused: boolean;
  honestPause: boolean;
}

/** Runs `scenario` against the controller `factory` builds; resolves with the metrics. */
export async function runStress(
  scenario: StressScenario,
  factory: StressControllerFactory,
  options: StressRunOptions = {},
): Promise<StressMetrics> {
  const stepMs = options.stepMs ?? 10;
  const fairEvery = Math.max(1, Math.round((options.fairEveryMs ?? 100) / stepMs));
  const steadyAfter = options.steadyAfterMs ?? 25_000;
  const clock = new VirtualClock(0);
  const scheduler = new VirtualTimeScheduler(clock);
  const stages = scenario.stalls.map(
    (s) =>
      new SimPowerStage(s.maxW, s.minW, s.reactionDelayMs, clock, {
        timers: scheduler,
        fallbackLimitW: s.safeLimitW,
        fallbackAfterMs: s.fallbackAfterMs,
      }),
  );
  const cars: (Car | null)[] = scenario.stalls.map(() => null);
  const impaired = scenario.stalls.map(() => false);
  const lossRandom = new SeededRandom(scenario.seed ^ 0x10557);
  const site: StressSite = {
    clock,
    scheduler,
    scenario,
    stages,
    reportedW: (i) => {
      const car = cars[i];
      if (!car) return 0;
      if (!car.reports) return null;
      return car.paused && car.honestPause ? 0 : car.wantsW;
    },
  };
  const controller = await factory(site);
  const m: StressMetrics = {
    seed: scenario.seed,
    samples: 0,
    breaches: {},
    breachesInCutWindows: 0,
    cutWindows: [],
    worstOverW: 0,
    all: tally(),
    steady: tally(),
    maxAlarms: 0,
  };
  let inForce = scenario.limits;
  const pendingLimits: Array<{ atMs: number; limits: LimitNode }> = [];
  let lastEventMs = 0;
  const nodes = flatten(inForce);
  const maxReaction = Math.max(...scenario.stalls.map((s) => s.reactionDelayMs));

  const load = (i: number) => {
    const car = cars[i];
    stages[i]!.setLoad(car && !car.paused ? car.wantsW : 0);
  };
  const apply = (e: StressEvent) => {
    lastEventMs = Math.max(lastEventMs, e.kind === "limits" ? e.effectiveMs : e.atMs);
    switch (e.kind) {
      case "plug":
        if (cars[e.stall]) return; // occupied: the arriving car goes elsewhere
        cars[e.stall] = { wantsW: e.wantsW, reports: e.reports, paused: false, honestPause: true };
        void stages[e.stall]!.setContactor(true).catch(() => {});
        load(e.stall);
        controller.plugged(e.stall);
        return;
      case "unplug":
        if (!cars[e.stall]) return;
        cars[e.stall] = null;
        void stages[e.stall]!.setContactor(false).catch(() => {});
        load(e.stall);
        controller.unplugged(e.stall);
        return;
      case "pause":
      case "resume": {
        const car = cars[e.stall];
        if (!car) return;
        car.paused = e.kind === "pause";
        if (e.kind === "pause") car.honestPause = e.honest;
        load(e.stall);
        return;
      }
      case "wants": {
        const car = cars[e.stall];
        if (!car) return;
        car.wantsW = e.wantsW;
        load(e.stall);
        return;
      }
      case "loss": {
        const on = e.writes > 0 || e.acks > 0;
        impaired[e.stall] = on || !reachable(e.stall);
        stages[e.stall]!.setLoss(
          on
            ? { loseWrite: () => lossRandom.next() < e.writes, loseAck: () => lossRandom.next() < e.acks }
            : null,
        );
        return;
      }
      case "reachable":
        stages[e.stall]!.setUnreachable(!e.reachable);
        impaired[e.stall] = !e.reachable;
        return;
      case "limits":
        controller.setLimits(e.limits, e.announced ? "demand-response" : "limit-change");
        pendingLimits.push({ atMs: e.effectiveMs, limits: e.limits });
        if (!e.announced && lowers(inForce, e.limits)) {
          const lossy = impaired.some((x) => x);
          const worstTimeout = Math.max(
            ...scenario.stalls.map((s, i) => (impaired[i] ? 2 * s.reactionDelayMs + 1_000 : 0)),
          );
          m.cutWindows.push({
            atMs: e.effectiveMs,
            allowedMs: (lossy ? worstTimeout + maxReaction : maxReaction) + stepMs,
            lastBreachMs: null,
          });
        }
        return;
    }
  };
  const reachable = (i: number) => stages[i]!.status().state !== "unreachable";

  const nodeIds = [...nodes.limit.keys()];
  const nodeIndex = new Map(nodeIds.map((n, k) => [n, k]));
  const stallPaths = scenario.stalls.map((s) => nodes.path.get(s.nodeId)!.map((n) => nodeIndex.get(n)!));
  let limitW = nodeIds.map((n) => nodes.limit.get(n)!);
  const sums = nodeIds.map(() => 0);
  /** Per node, how far the true draw is over the limit in force (<= 0: within). */
  const overBy = (): number[] => {
    sums.fill(0);
    stallPaths.forEach((p, i) => {
      const w = stages[i]!.drawW();
      for (const n of p) sums[n]! += w;
    });
    return sums.map((w, n) => w - limitW[n]!);
  };
  const sampleBreach = () => {
    m.samples++;
    const over = overBy();
    if (over.every((w) => w <= 0)) return;
    const now = clock.now();
    const window = m.cutWindows.find((w) => now >= w.atMs && now <= w.atMs + w.allowedMs);
    for (const [k, w] of over.entries()) {
      if (w <= 0) continue;
      const n = nodeIds[k]!;
      m.worstOverW = Math.max(m.worstOverW, w);
      if (window) {
        m.breachesInCutWindows++;
        window.lastBreachMs = now - window.atMs;
      } else m.breaches[n] = (m.breaches[n] ?? 0) + 1;
    }
  };
  const sampleFairness = () => {
    const now = clock.now();
    const claims: FairShareClaim[] = scenario.stalls.map((s, i) => {
      const car = cars[i];
      if (impaired[i])
        return { nodeId: s.nodeId, demandW: stages[i]!.enforcedLimitW(), weight: 1, fixed: true };
      return { nodeId: s.nodeId, demandW: car && !car.paused ? Math.min(s.maxW, car.wantsW) : 0, weight: 1 };
    });
    const fair = maxMinFairShares(inForce, claims);
    const steady = now - lastEventMs >= steadyAfter && !impaired.some((x) => x);
    for (const t of steady ? [m.all, m.steady] : [m.all]) {
      let demand = 0;
      let fairSum = 0;
      let delivered = 0;
      let x1 = 0;
      let x2 = 0;
      let n = 0;
      let unfair = false;
      claims.forEach((c, i) => {
        if (c.fixed) return;
        const got = stages[i]!.drawW();
        demand += c.demandW;
        fairSum += fair[i]!;
        delivered += got;
        if (fair[i]! < 1) return;
        const x = got / fair[i]!;
        x1 += x;
        x2 += x * x;
        n++;
        if (Math.abs(got - fair[i]!) > Math.max(1_000, 0.05 * fair[i]!)) unfair = true;
      });
      t.samples++;
      t.deliveredW += delivered;
      t.fairW += fairSum;
      if (demand > fairSum + 1 && n > 0) {
        t.contended++;
        t.jainSum += x2 > 0 ? (x1 * x1) / (n * x2) : 1;
        if (unfair) t.unfair++;
      }
    }
  };

  scheduler.afterFire = sampleBreach;
  let next = 0;
  let step = 0;
  const events = scenario.events;
  while (clock.now() < scenario.durationMs) {
    const now = clock.now();
    while (next < events.length && events[next]!.atMs <= now) apply(events[next++]!);
    for (let k = pendingLimits.length - 1; k >= 0; k--) {
      if (pendingLimits[k]!.atMs > now) continue;
      inForce = pendingLimits[k]!.limits;
      const l = flatten(inForce).limit;
      limitW = nodeIds.map((n) => l.get(n) ?? Infinity);
      pendingLimits.splice(k, 1);
    }
    controller.step(now);
    sampleBreach();
    if (step++ % fairEvery === 0) {
      sampleFairness();
      m.maxAlarms = Math.max(m.maxAlarms, controller.alarmCount());
    }
    await scheduler.advance(stepMs);
  }
  scheduler.afterFire = null;
  await controller.close();
  return m;
}

/** The real PowerManager as the controller under test (options override the defaults it runs with). */
export function powerManagerController(
  overrides: Partial<PowerManagerOptions> = {},
): StressControllerFactory {
  return async (site) => {
    const manager = new PowerManager({
      clock: site.clock,
      scheduler: site.scheduler,
      limits: site.scenario.limits,
      stalls: site.scenario.stalls.map((s, i) => ({
        stallId: stallId(s.id),
        nodeId: s.nodeId,
        stage: site.stages[i]!,
        safeLimitW: s.safeLimitW,
        acceptanceW: () => site.reportedW(i),
      })),
      ...overrides,
    });
    void manager.start();
    const id = (i: number) => stallId(site.scenario.stalls[i]!.id);
    return {
      plugged: (i) => {
        manager.stallCharging(id(i), true);
        void manager.replan("plug-in");
      },
      unplugged: (i) => {
        manager.stallCharging(id(i), false);
        void manager.replan("unplug");
      },
      setLimits: (l, why) => void manager.setLimits(l, why),
      step: () => {},
      alarmCount: () => manager.alarms().length,
      close: () => manager.close(),
    };
  };
}

/** True when some node of `next` has a lower limit than in `prev`. */
function lowers(prev: LimitNode, next: LimitNode): boolean {
  const before = flatten(prev).limit;
  for (const [n, w] of flatten(next).limit) if (w < (before.get(n) ?? Infinity)) return true;
  return false;
}

function flatten(root: LimitNode): { limit: Map<string, number>; path: Map<string, string[]> } {
  const limit = new Map<string, number>();
  const path = new Map<string, string[]>();
  const walk = (n: LimitNode, above: string[]) => {
    const p = [...above, n.id];
    limit.set(n.id, n.limitW);
    path.set(n.id, p);
    for (const c of n.children ?? []) walk(c, p);
  };
  walk(root, []);
  return { limit, path };
}

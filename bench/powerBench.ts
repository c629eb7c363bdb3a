/**
 * `npm run bench:power`: one seeded day at a 50-stall site, side by side for our allocator + power
 * manager, an equal-split baseline and a fixed-slice (500 W rounds) baseline, with fairness against a
 * weighted max-min oracle; then edge-node's adversarial power stress scenario (the one its CI test
 * runs) over a seed list, for the same three; then compute time per re-plan at 50 and 300 stalls.
 * Options: `--seed N` (default 20260501).
 */
import { performance } from "node:perf_hooks";
import { SeededRandom, allocatePower, stallId } from "@chargemesh/shared-model";
import type { LimitNode, PowerPlanInput } from "@chargemesh/shared-model";
import { buildStressScenario, powerManagerController, runStress } from "@chargemesh/edge-node";
import type { FairnessTally, StressControllerFactory, StressMetrics } from "@chargemesh/edge-node";
import { equalSplit, fixedSlice } from "./powerBaselines.js";
import { naiveStressController } from "./powerStressBaselines.js";
import type { BaselinePlanner, BaselineStall } from "./powerBaselines.js";
import { buildScenario } from "./powerBenchScenario.js";
import { runDay } from "./powerBenchRun.js";
import type { DayMetrics, OracleTally } from "./powerBenchRun.js";

/** The adversarial scenario's seeds (edge-node/test/power/powerManagerStress.test.ts runs the same). */
const STRESS_SEEDS = [1, 2, 3, 4];

const seedArg = process.argv.indexOf("--seed");
const SEED = seedArg >= 0 ? Number(process.argv[seedArg + 1]) : 20260501;

/** A random instant at an n-stall site (cabinets of 10 stalls, each cabinet split in 3 phases). */
function snapshot(
  n: number,
  rnd: SeededRandom,
): { input: PowerPlanInput; baseline: { limits: LimitNode; stalls: BaselineStall[] } } {
  const cabinets = Math.ceil(n / 10);
  const root: LimitNode = {
    id: "site",
    limitW: n * 8_000,
    children: Array.from({ length: cabinets }, (_, c) => ({
      id: `cab${c}`,
      limitW: 120_000,
      children: [1, 2, 3].map((p) => ({ id: `cab${c}.L${p}`, limitW: 45_000 })),
    })),
  };
  const stalls = Array.from({ length: n }, (_, i) => {
    const dc = i % 10 >= 8;
    const maxW = dc ? 150_000 : 22_000;
    const charging = rnd.next() < 0.8;
    const acceptanceW = charging ? rnd.int(1_000, maxW) : 0;
    const grantedW = charging ? rnd.int(0, maxW) : 0;
    const measuredW = Math.min(grantedW, acceptanceW);
    return {
      i,
      dc,
      maxW,
      minW: dc ? 5_000 : 4_140,
      charging,
      acceptanceW,
      grantedW,
      measuredW,
      sinceMs: rnd.int(0, 86_400_000),
      tier: rnd.next() < 0.1 ? 0 : 1,
    };
  });
  const nodeOf = (i: number) => `cab${Math.floor(i / 10)}.L${(i % 3) + 1}`;
  return {
    input: {
      root,
      stalls: stalls.map((s) => ({
        stallId: stallId(`st${s.i}`),
        nodeId: nodeOf(s.i),
        maxW: s.maxW,
        minW: s.minW,
        acceptanceW: s.acceptanceW,
        tier: s.tier,
        weight: 1,
        sinceMs: s.sinceMs,
        measuredW: s.measuredW,
        grantedW: s.grantedW,
        inContact: rnd.next() > 0.02,
        safeLimitW: 4_140,
      })),
    },
    // baselines only know two levels; give them the cabinets
    baseline: {
      limits: {
        id: "site",
        limitW: root.limitW,
        children: root.children!.map((c) => ({ id: c.id, limitW: c.limitW })),
      },
      stalls: stalls.map((s) => ({
        nodeId: `cab${Math.floor(s.i / 10)}`,
        maxW: s.maxW,
        minW: s.minW,
        charging: s.charging,
        sinceMs: s.sinceMs,
        grantedW: s.grantedW,
        measuredW: s.measuredW,
      })),
    },
  };
}

/** Median microseconds per call over `count` random snapshots (each timed over `reps` calls). */
function timePlanner(n: number, count: number, reps: number): { ours: number; equal: number; slice: number } {
  const rnd = new SeededRandom(SEED + n);
  const snaps = Array.from({ length: count }, () => snapshot(n, rnd));
  const time = (f: (k: number) => unknown): number => {
    for (let k = 0; k < Math.min(50, count); k++) f(k); // warm-up
    const per: number[] = [];
    for (let k = 0; k < count; k++) {
      const t0 = performance.now();
      for (let r = 0; r < reps; r++) f(k);
      per.push(((performance.now() - t0) * 1_000) / reps);
    }
    per.sort((a, b) => a - b);
    return per[Math.floor(per.length / 2)]!;
  };
  const base = (p: BaselinePlanner) => (k: number) => p(snaps[k]!.baseline.limits, snaps[k]!.baseline.stalls);
  return {
    ours: time((k) => {
      const r = allocatePower(snaps[k]!.input);
      if (!r.ok) throw r.error;
    }),
    equal: time(base(equalSplit)),
    slice: time(base(fixedSlice)),
  };
}

const hhmm = (s: number) =>
  `${String(Math.floor(s / 3_600)).padStart(2, "0")}:${String(Math.floor((s % 3_600) / 60)).padStart(2, "0")}`;
const fmt = (x: number, d = 0) =>
  x.toLocaleString("en-US", { minimumFractionDigits: d, maximumFractionDigits: d });
const kwh = (ws: number) => ws / 3_600_000;
const jain = (t: OracleTally | FairnessTally) => t.jainSum / Math.max(1, t.contended);
const pct = (a: number, b: number, d = 1) => `${fmt((100 * a) / Math.max(1e-9, b), d)} %`;

/** Runs the stress scenario for every seed with one controller; sums the tallies. */
async function stressAll(
  factory: StressControllerFactory,
): Promise<{ runs: StressMetrics[]; wallS: number }> {
  const t = performance.now();
  const runs: StressMetrics[] = [];
  for (const seed of STRESS_SEEDS) runs.push(await runStress(buildStressScenario(seed), factory));
  return { runs, wallS: (performance.now() - t) / 1_000 };
}

function sumTally(ts: FairnessTally[]): FairnessTally {
  const out: FairnessTally = { samples: 0, contended: 0, jainSum: 0, unfair: 0, deliveredW: 0, fairW: 0 };
  for (const t of ts) for (const k of Object.keys(out) as (keyof FairnessTally)[]) out[k] += t[k];
  return out;
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const sc = buildScenario(SEED);
  const sumMax = sc.stalls.reduce((a, s) => a + s.maxW, 0);
  console.log(
    `power bench, seed ${SEED}: ${sc.stalls.length} stalls (sum of maxima ${fmt(sumMax / 1_000)} kW), site limit ${fmt(sc.limits.limitW / 1_000)} kW, ` +
      `${sc.limits.children!.length} cabinets of ${fmt(sc.limits.children![0]!.limitW / 1_000)} kW, ${sc.cars.length} arrivals, 1 s steps over 24 h`,
  );
  const dr = sc.demandResponse;
  console.log(
    `events: stage ${sc.stalls[sc.outage.stall]!.id} unreachable ${hhmm(sc.outage.fromS)}-${hhmm(sc.outage.untilS)}; demand response to ${fmt(dr.limits.limitW / 1_000)} kW ${hhmm(dr.fromS)}-${hhmm(dr.untilS)} (announced ${dr.fromS - dr.announceS} s ahead)`,
  );
  console.log(
    `stage reaction delays 1-5 s; ours re-plans on events + closed loop, baselines every 5 s + on events and are applied to all stages at once`,
  );
  const runs: Array<[string, DayMetrics, number]> = [];
  for (const [name, strategy] of [
    ["ours", "ours"],
    ["equal-split", equalSplit],
    ["fixed-slice 500W", fixedSlice],
  ] as const) {
    const t = performance.now();
    const m = await runDay(sc, strategy, SEED);
    runs.push([name, m, (performance.now() - t) / 1_000]);
  }
  const stress: Array<[string, { runs: StressMetrics[]; wallS: number }]> = [
    ["ours", await stressAll(powerManagerController())],
    ["equal-split", await stressAll(naiveStressController(equalSplit))],
    ["fixed-slice 500W", await stressAll(naiveStressController(fixedSlice))],
  ];
  const c50 = timePlanner(50, 400, 5);
  const c300 = timePlanner(300, 200, 3);
  const compute = [c50, c300];

  const rows: Array<[string, (m: DayMetrics, k: number) => string]> = [
    [
      "utilization (delivered / min(demand, limits))",
      (m) => `${fmt((100 * m.deliveredWs) / m.idealWs, 2)} %`,
    ],
    ["Jain fairness, contended steps (mean)", (m) => fmt(m.jainSum / Math.max(1, m.contendedSteps), 4)],
    ["contended steps (s)", (m) => fmt(m.contendedSteps)],
    ["oracle: Jain of delivered/fair share, all", (m) => fmt(jain(m.oracle), 4)],
    ["oracle: unfair contended steps, all", (m) => pct(m.oracle.unfair, m.oracle.contended)],
    ["oracle: utilization (delivered/fair), all", (m) => pct(m.oracle.deliveredWs, m.oracle.fairWs, 2)],
    ["oracle: Jain, steady state", (m) => fmt(jain(m.oracleSteady), 4)],
    ["oracle: unfair contended steps, steady", (m) => pct(m.oracleSteady.unfair, m.oracleSteady.contended)],
    ["oracle: utilization, steady state", (m) => pct(m.oracleSteady.deliveredWs, m.oracleSteady.fairWs, 2)],
    [
      "oracle: steady / contended steady steps (s)",
      (m) => `${fmt(m.oracleSteady.steps)} / ${fmt(m.oracleSteady.contended)}`,
    ],
    ["limit breaches: instants", (m) => fmt(m.breachInstants)],
    ["limit breaches: seconds with a breach", (m) => fmt(m.breachSeconds)],
    ["limit breaches: worst excess (W)", (m) => fmt(m.maxOverW)],
    ["limit breaches: energy over limit (Wh)", (m) => fmt(m.overWs / 3_600)],
    ["stranded headroom (kWh)", (m) => fmt(kwh(m.strandedWs), 1)],
    ["energy delivered within limits (kWh)", (m) => fmt(kwh(m.deliveredWs), 1)],
    ["cars served / turned away", (m) => `${m.carsServed} / ${m.carsTurnedAway}`],
    ["re-plans applied", (m) => fmt(m.replans)],
    ["compute per re-plan, 50 stalls (us, median)", (_, k) => fmt([c50.ours, c50.equal, c50.slice][k]!, 1)],
    [
      "compute per re-plan, 300 stalls (us, median)",
      (_, k) => fmt([c300.ours, c300.equal, c300.slice][k]!, 1),
    ],
  ];
  const w0 = Math.max(...rows.map(([l]) => l.length));
  const cols = runs.map(([n]) => n);
  const cw = 18;
  console.log();
  console.log(`${"".padEnd(w0)} | ${cols.map((c) => c.padStart(cw)).join(" | ")}`);
  console.log(`${"-".repeat(w0)}-+-${cols.map(() => "-".repeat(cw)).join("-+-")}`);
  for (const [label, f] of rows)
    console.log(`${label.padEnd(w0)} | ${runs.map(([, m], k) => f(m, k).padStart(cw)).join(" | ")}`);

  const eq = runs[1]![1];
  const ratio = (f: (m: DayMetrics) => number) =>
    runs
      .map(([, m]) => (f(eq) === 0 ? (f(m) === 0 ? "1.000" : "inf") : fmt(f(m) / f(eq), 3)).padStart(cw))
      .join(" | ");
  console.log();
  console.log(
    `ratios against equal-split${"".padEnd(Math.max(0, w0 - 26))} | ${cols.map((c) => c.padStart(cw)).join(" | ")}`,
  );
  console.log(`${"utilization".padEnd(w0)} | ${ratio((m) => m.deliveredWs / m.idealWs)}`);
  console.log(`${"Jain fairness".padEnd(w0)} | ${ratio((m) => m.jainSum / Math.max(1, m.contendedSteps))}`);
  console.log(`${"stranded headroom".padEnd(w0)} | ${ratio((m) => m.strandedWs)}`);
  console.log(`${"energy delivered".padEnd(w0)} | ${ratio((m) => m.deliveredWs)}`);
  console.log(
    `${"compute @300 stalls".padEnd(w0)} | ${compute[1] ? [c300.ours, c300.equal, c300.slice].map((x) => fmt(x / c300.equal, 2).padStart(cw)).join(" | ") : ""}`,
  );
  const sc0 = buildStressScenario(STRESS_SEEDS[0]!);
  console.log();
  console.log(
    `adversarial scenario (edge-node buildStressScenario), seeds ${STRESS_SEEDS.join(", ")}: ${sc0.stalls.length} stalls, ${fmt(sc0.durationMs / 60_000, 1)} min each on virtual time, ` +
      `sampled every 10 ms and at every timer; pauses/resumes, acceptance jumps, plug storms, lost writes/acks, unreachable + fallback, cuts with and without notice`,
  );
  const srows: Array<[string, (r: StressMetrics[]) => string]> = [
    [
      "breach instants outside unannounced-cut windows",
      (r) => fmt(r.reduce((a, m) => a + Object.values(m.breaches).reduce((x, y) => x + y, 0), 0)),
    ],
    [
      "breach instants inside unannounced-cut windows",
      (r) => fmt(r.reduce((a, m) => a + m.breachesInCutWindows, 0)),
    ],
    [
      "unannounced cuts: longest breach / allowed (ms)",
      (r) => {
        const w = r.flatMap((m) => m.cutWindows);
        return `${fmt(Math.max(0, ...w.map((x) => x.lastBreachMs ?? 0)))} / ${fmt(Math.max(0, ...w.map((x) => x.allowedMs)))}`;
      },
    ],
    ["worst excess over a limit (W)", (r) => fmt(Math.max(...r.map((m) => m.worstOverW)))],
    ["oracle: Jain of delivered/fair share, all", (r) => fmt(jain(sumTally(r.map((m) => m.all))), 4)],
    [
      "oracle: unfair contended instants, all",
      (r) => {
        const t = sumTally(r.map((m) => m.all));
        return pct(t.unfair, t.contended);
      },
    ],
    [
      "oracle: utilization (delivered/fair), all",
      (r) => {
        const t = sumTally(r.map((m) => m.all));
        return pct(t.deliveredW, t.fairW, 2);
      },
    ],
    ["oracle: Jain, steady state", (r) => fmt(jain(sumTally(r.map((m) => m.steady))), 4)],
    [
      "oracle: unfair contended instants, steady",
      (r) => {
        const t = sumTally(r.map((m) => m.steady));
        return pct(t.unfair, t.contended);
      },
    ],
    [
      "oracle: utilization, steady state",
      (r) => {
        const t = sumTally(r.map((m) => m.steady));
        return pct(t.deliveredW, t.fairW, 2);
      },
    ],
    [
      "steady / contended steady samples (100 ms)",
      (r) => {
        const t = sumTally(r.map((m) => m.steady));
        return `${fmt(t.samples)} / ${fmt(t.contended)}`;
      },
    ],
    ["most stalls alarmed at once", (r) => fmt(Math.max(...r.map((m) => m.maxAlarms)))],
  ];
  console.log();
  console.log(`${"".padEnd(w0)} | ${cols.map((c) => c.padStart(cw)).join(" | ")}`);
  console.log(`${"-".repeat(w0)}-+-${cols.map(() => "-".repeat(cw)).join("-+-")}`);
  for (const [label, f] of srows)
    console.log(`${label.padEnd(w0)} | ${stress.map(([, x]) => f(x.runs).padStart(cw)).join(" | ")}`);
  console.log();
  console.log(
    `simulation wall time: ${runs.map(([n, , s]) => `${n} ${fmt(s, 1)} s`).join(", ")}; adversarial ${stress.map(([n, x]) => `${n} ${fmt(x.wallS, 1)} s`).join(", ")}; total ${fmt((performance.now() - t0) / 1_000, 1)} s`,
  );
  const ours = runs[0]![1];
  const oursStress = stress[0]![1].runs.reduce(
    (a, m) => a + Object.values(m.breaches).reduce((x, y) => x + y, 0),
    0,
  );
  if (ours.breachInstants > 0 || oursStress > 0) {
    console.error(
      `FAIL: our power manager breached a limit at ${ours.breachInstants} instants of the day and ${oursStress} of the adversarial scenario`,
    );
    process.exitCode = 1;
  }
}

await main();

import { describe, expect, test } from "vitest";
import { VirtualClock, stallId } from "@chargemesh/shared-model";
import type { LimitNode } from "@chargemesh/shared-model";
import { SimPowerStage } from "@chargemesh/hal";
import { PowerManager } from "../../src/power/powerManager.js";
import type { PlanRecord, PowerManagerOptions } from "../../src/power/powerManager.js";
import { VirtualTimeScheduler } from "../../src/power/virtualTimeScheduler.js";

const MIN = 4_140;
const MAX = 11_000;
const LOSE_ALL = { loseWrite: () => true, loseAck: () => true };

interface Site {
  clock: VirtualClock;
  sched: VirtualTimeScheduler;
  stages: Map<string, SimPowerStage>;
  reported: Map<string, number | null>;
  wants: Map<string, number>;
  cabinetOf: Map<string, string>;
  manager: PowerManager;
  plans: PlanRecord[];
}

/** 8 stalls, two cabinets of 4; reaction delays from 200 ms to 3 s; hal's SimPowerStage on virtual time. */
function makeSite(
  limits: LimitNode,
  opts: Partial<PowerManagerOptions> = {},
  delays = [200, 3_000, 700, 1_500, 2_500, 400, 1_000, 2_000],
  maxW = MAX,
): Site {
  const clock = new VirtualClock(0);
  const sched = new VirtualTimeScheduler(clock);
  const stages = new Map<string, SimPowerStage>();
  const reported = new Map<string, number | null>();
  const cabinetOf = new Map<string, string>();
  const stalls = delays.map((d, i) => {
    const id = `s${i + 1}`;
    const stage = new SimPowerStage(maxW, MIN, d, clock, { timers: sched });
    void stage.setContactor(true);
    void stage.setLimit(6_000); // stages start at an unknown old limit
    stages.set(id, stage);
    reported.set(id, 0);
    cabinetOf.set(id, i < 4 ? "c1" : "c2");
    return {
      stallId: stallId(id),
      nodeId: cabinetOf.get(id)!,
      stage,
      safeLimitW: MIN,
      acceptanceW: () => reported.get(id)!,
    };
  });
  const manager = new PowerManager({
    clock,
    scheduler: sched,
    limits,
    stalls,
    settleMs: 5_000,
    minSoftReplanMs: 1_000,
    recoverAfterMs: 20_000,
    ...opts,
  });
  const plans: PlanRecord[] = [];
  manager.onPlan((p) => plans.push(p));
  return { clock, sched, stages, reported, wants: new Map(), cabinetOf, manager, plans };
}

const tree = (site: number, cab = 20_000): LimitNode => ({
  id: "site",
  limitW: site,
  children: [
    { id: "c1", limitW: cab },
    { id: "c2", limitW: cab },
  ],
});

function setCar(s: Site, id: string, wantsW: number, reported: number | null = wantsW): void {
  s.stages.get(id)!.setLoad(wantsW);
  s.wants.set(id, wantsW);
  s.reported.set(id, reported);
}
function plug(s: Site, id: string, wantsW: number, reported: number | null = wantsW): void {
  setCar(s, id, wantsW, reported);
  s.manager.stallCharging(stallId(id), true);
  void s.manager.replan("plug-in");
}
function unplug(s: Site, id: string): void {
  setCar(s, id, 0, 0);
  s.manager.stallCharging(stallId(id), false);
  void s.manager.replan("unplug");
}

/** Starts the manager while virtual time runs (idle stalls must acknowledge their first limit). */
async function startSite(s: Site): Promise<void> {
  const started = s.manager.start();
  await s.sched.advance(4_000);
  await started;
}

const drawOf = (s: Site, filter: (id: string) => boolean = () => true) =>
  [...s.stages].filter(([id]) => filter(id)).reduce((a, [, st]) => a + st.drawW(), 0);
const setpoint = (s: Site, id: string) =>
  s.manager.currentPlan()!.plan.setpoints.find((p) => p.stallId === id)!;

/** Runs to `untilMs` in 10 ms steps, sampling draw and budgets at every step. */
async function runSampling(
  s: Site,
  untilMs: number,
  limitAt: () => LimitNode,
  samples: { worst: number; breaches: number },
): Promise<void> {
  while (s.clock.now() < untilMs) {
    await s.sched.advance(10);
    const l = limitAt();
    const site = drawOf(s);
    const cabs = (l.children ?? []).map((c) => drawOf(s, (id) => s.cabinetOf.get(id) === c.id) - c.limitW);
    const over = Math.max(site - l.limitW, ...cabs);
    samples.worst = Math.max(samples.worst, over);
    if (over > 0) samples.breaches++;
    const possible = [...s.manager.possibleDraw().values()].reduce((a, b) => a + b, 0);
    if (possible > l.limitW) samples.breaches++;
  }
}

/** The scripted day used by the safety test: plug-ins, taper, a silent AC car, unplug, a fault, a limit raise. */
async function scriptedSequence(
  s: Site,
  samples: { worst: number; breaches: number },
  siteW: number,
): Promise<void> {
  let limits = tree(siteW);
  const at = () => limits;
  await startSite(s);
  await runSampling(s, 5_000, at, samples);
  for (const id of ["s1", "s2", "s3"]) plug(s, id, MAX);
  await runSampling(s, 9_000, at, samples);
  for (const id of ["s5", "s6", "s7", "s8"]) plug(s, id, MAX);
  await runSampling(s, 24_000, at, samples);
  setCar(s, "s2", 3_000); // taper
  await runSampling(s, 34_000, at, samples);
  plug(s, "s4", 3_500, null); // basic AC car: says nothing, draws 3.5 kW -> reclaimed by measured headroom
  await runSampling(s, 64_000, at, samples);
  unplug(s, "s1");
  await runSampling(s, 74_000, at, samples);
  s.stages.get("s6")!.setLoss(LOSE_ALL);
  setCar(s, "s7", 2_000); // taper: the next plan lowers s6 too
  setCar(s, "s3", 0); // car full
  await runSampling(s, 94_000, at, samples);
  limits = tree(siteW + 6_000, 24_000);
  void s.manager.setLimits(limits, "config");
  await runSampling(s, 104_000, at, samples);
  plug(s, "s1", MAX);
  await runSampling(s, 164_000, at, samples);
}

describe("PowerManager", () => {
  test("at no 10 ms instant does the measured draw (or the budget) exceed the site or a cabinet limit across re-plans", async () => {
    const s = makeSite(tree(40_000));
    const samples = { worst: -Infinity, breaches: 0 };
    await scriptedSequence(s, samples, 40_000);
    expect(samples.breaches).toBe(0);
    expect(samples.worst).toBeLessThanOrEqual(0);

    const reasons = s.plans.map((p) => p.reason).join(",");
    for (const r of ["start", "plug-in", "taper", "headroom", "unplug", "fault", "config"])
      expect(reasons).toContain(r);
    // The silent stall was faulted, is alarmed, and is reserved at what it may still draw.
    const s6 = setpoint(s, "s6");
    expect(s6.binding).toBe("out_of_contact");
    expect(s6.setpointW).toBeGreaterThanOrEqual(MIN);
    expect(s.manager.alarms()).toEqual([
      expect.objectContaining({ stallId: "s6", code: "limit_not_confirmed", reservedW: s6.setpointW }),
    ]);
    expect(s.manager.currentPlan()!.alarms.map((a) => a.stallId)).toEqual(["s6"]);
    // Work-conserving at the end: the site uses what the cars can take under the limit.
    const wanted = [...s.wants.values()].reduce((a, w) => a + Math.min(MAX, w), 0);
    expect(drawOf(s)).toBeGreaterThan(Math.min(46_000 - s6.setpointW, wanted) - 2_000);
    await s.manager.close();
  });

  test("control: the same sequence applied naively (all stages at once) does breach, so the sampler can see it", async () => {
    const s = makeSite(tree(30_000));
    s.manager.onPlan((p) => {
      if (p.status !== "applying") return;
      for (const sp of p.plan.setpoints)
        if (sp.binding !== "out_of_contact")
          void s.stages
            .get(sp.stallId)!
            .setLimit(sp.setpointW)
            .catch(() => {});
    });
    const samples = { worst: -Infinity, breaches: 0 };
    await scriptedSequence(s, samples, 30_000);
    expect(samples.worst).toBeGreaterThan(0);
    await s.manager.close();
  });

  test("a paused car never confirms a decrease: the slow stage's old limit stays budgeted until it acknowledges", async () => {
    // The case: a 50 kW DC stall with a 2.8 s reaction delay is lowered while its car pauses at 0 W;
    // the car resumes 73 ms later. Faster stages must not be raised into the old limit meanwhile.
    const s = makeSite(
      {
        id: "site",
        limitW: 60_000,
        children: [
          { id: "c1", limitW: 60_000 },
          { id: "c2", limitW: 60_000 },
        ],
      },
      {},
      [2_800, 200, 200],
      50_000,
    );
    await startSite(s);
    plug(s, "s1", 50_000);
    await s.sched.advance(10_000);
    expect(s.stages.get("s1")!.drawW()).toBe(50_000);
    s.stages.get("s1")!.setLoad(0); // the car pauses (and keeps saying it takes 50 kW)
    plug(s, "s2", 50_000);
    plug(s, "s3", 50_000);
    const samples = { worst: -Infinity, breaches: 0 };
    await runSampling(s, s.clock.now() + 70, () => tree(60_000, 60_000), samples);
    s.stages.get("s1")!.setLoad(50_000); // resumes up to whatever limit is really in force
    await runSampling(s, s.clock.now() + 10_000, () => tree(60_000, 60_000), samples);
    expect(samples.breaches).toBe(0);
    expect([setpoint(s, "s1").setpointW, setpoint(s, "s2").setpointW, setpoint(s, "s3").setpointW]).toEqual([
      20_000, 20_000, 20_000,
    ]);
    expect(drawOf(s)).toBe(60_000);
    await s.manager.close();
  });

  test("a stall that does not confirm a lower limit is faulted and alarmed, nothing is raised into its old limit, and it is taken back once it confirms", async () => {
    const s = makeSite({
      id: "site",
      limitW: 22_000,
      children: [
        { id: "c1", limitW: 22_000 },
        { id: "c2", limitW: 22_000 },
      ],
    });
    await startSite(s);
    plug(s, "s1", MAX);
    plug(s, "s2", MAX);
    await s.sched.advance(10_000);
    expect(s.stages.get("s1")!.status().appliedLimitW).toBe(MAX);
    s.stages.get("s1")!.setLoss(LOSE_ALL);
    const writesBefore = s.stages.get("s3")!.writes.length;
    plug(s, "s3", MAX);
    await s.sched.advance(1_000);
    // s1 must go down for s3 to come up; s1 is silent, so s3 is not raised yet.
    expect(
      s.stages
        .get("s3")!
        .writes.slice(writesBefore)
        .every((c) => c.limitW === 0),
    ).toBe(true);
    await s.sched.advance(20_000);
    expect(s.plans.find((p) => p.status === "aborted")?.faulted).toEqual(["s1"]);
    const plan = s.manager.currentPlan()!;
    const sp = (id: string) => plan.plan.setpoints.find((p) => p.stallId === id)!;
    expect(plan.status).toBe("applied");
    expect(sp("s1")).toMatchObject({ binding: "out_of_contact", setpointW: MAX });
    expect(sp("s2").setpointW + sp("s3").setpointW).toBe(22_000 - MAX);
    expect(plan.alarms).toEqual([
      expect.objectContaining({ stallId: "s1", code: "limit_not_confirmed", reservedW: MAX }),
    ]);
    // Recovery: the link stops losing writes; the manager's retries land; after recoverAfterMs it is planned normally.
    s.stages.get("s1")!.setLoss(null);
    for (let i = 0; i < 10; i++) await s.sched.advance(5_000);
    const after = s.manager.currentPlan()!.plan.setpoints.map((p) => [p.stallId, p.setpointW, p.binding]);
    expect(after.filter(([, , b]) => b === "out_of_contact")).toEqual([]);
    expect(after.filter(([id]) => ["s1", "s2", "s3"].includes(id as string)).map(([, w]) => w)).toEqual([
      7_334, 7_333, 7_333,
    ]);
    expect(s.manager.alarms()).toEqual([]);
    await s.manager.close();
  });

  test("a stage that stops answering is budgeted at its fallback limit too, and a lost acknowledgement is confirmed from its status", async () => {
    const s = makeSite(tree(30_000, 30_000));
    await startSite(s);
    plug(s, "s1", 0); // plugged, wants nothing yet: limit 0
    plug(s, "s2", MAX);
    await s.sched.advance(10_000);
    expect(s.manager.possibleDraw().get(stallId("s1"))).toBe(0);
    s.stages.get("s1")!.setUnreachable(true);
    await s.sched.advance(1_000);
    expect(s.manager.possibleDraw().get(stallId("s1"))).toBe(MIN); // it may fall back to its safe limit any moment
    expect(s.manager.alarms()).toEqual([
      expect.objectContaining({ stallId: "s1", code: "stage_unreachable" }),
    ]);
    s.stages.get("s1")!.setUnreachable(false);
    s.stages.get("s2")!.setLoss({ loseWrite: () => false, loseAck: () => true });
    setCar(s, "s2", 5_000);
    await s.sched.advance(10_000);
    expect(s.stages.get("s2")!.status().appliedLimitW).toBe(5_000);
    expect(s.manager.possibleDraw().get(stallId("s2"))).toBe(5_000); // confirmed by the status, no ack needed
    expect(s.manager.alarms().map((a) => a.stallId)).toEqual(["s1"]); // still waiting out recoverAfterMs
    await s.sched.advance(30_000);
    expect(s.manager.alarms()).toEqual([]);
    await s.manager.close();
  });

  test("a lower limit (demand response) is reached within the slowest reaction delay and nothing is raised first", async () => {
    const s = makeSite(tree(40_000));
    await startSite(s);
    for (const id of ["s1", "s2", "s5", "s6"]) plug(s, id, MAX);
    await s.sched.advance(10_000);
    expect(drawOf(s)).toBe(40_000);
    const changeAt = s.clock.now();
    void s.manager.setLimits(tree(20_000), "demand-response");
    let peak = 0;
    for (let t = 0; t < 3_010; t += 10) {
      await s.sched.advance(10);
      peak = Math.max(peak, drawOf(s));
    }
    expect(peak).toBeLessThanOrEqual(40_000);
    expect(drawOf(s)).toBeLessThanOrEqual(20_000);
    for (const st of s.stages.values())
      for (const c of st.writes.filter((c) => c.atMs >= changeAt)) expect(c.limitW).toBeLessThanOrEqual(MAX);
    expect(s.manager.currentPlan()).toMatchObject({ reason: "demand-response", status: "applied" });
    await s.manager.close();
  });

  test("paused cars get their share back within seconds: stated acceptance, a car that pauses without saying so, and a silent car", async () => {
    const s = makeSite(
      tree(30_000, 30_000),
      { parkAfterMs: 60_000, probeEveryMs: 20_000, probeMs: 5_000 },
      [200, 700, 400],
    );
    await startSite(s);
    plug(s, "s1", MAX);
    plug(s, "s2", MAX);
    plug(s, "s3", MAX, null);
    await s.sched.advance(10_000);
    expect(drawOf(s)).toBe(30_000);
    const share = () => [1, 2, 3].map((i) => s.stages.get(`s${i}`)!.drawW());
    // s1 pauses and says so (acceptance 0): its share goes to the others at once, and comes back at once.
    setCar(s, "s1", 0);
    await s.sched.advance(3_000);
    expect(share()).toEqual([0, MAX, MAX]);
    setCar(s, "s1", MAX);
    await s.sched.advance(3_000);
    expect(share()).toEqual([10_000, 10_000, 10_000]);
    // s2 stops drawing but keeps stating 11 kW: reclaimed to the probe allowance after settleMs; drawing it again brings its share back.
    s.stages.get("s2")!.setLoad(0);
    await s.sched.advance(15_000);
    expect(setpoint(s, "s2")).toMatchObject({ setpointW: MIN, binding: "measured_draw" });
    s.stages.get("s2")!.setLoad(MAX);
    await s.sched.advance(3_000);
    expect(share()).toEqual([10_000, 10_000, 10_000]);
    // s3 says nothing: same through its draw; after parkAfterMs of idling it is parked and probed.
    s.stages.get("s3")!.setLoad(0);
    await s.sched.advance(15_000);
    expect(setpoint(s, "s3")).toMatchObject({ setpointW: MIN });
    s.stages.get("s3")!.setLoad(MAX);
    await s.sched.advance(3_000);
    expect(share()).toEqual([10_000, 10_000, 10_000]);
    s.stages.get("s3")!.setLoad(0);
    await s.sched.advance(90_000);
    expect(s.plans.some((p) => p.reason.includes("car-idle"))).toBe(true);
    expect(s.plans.some((p) => p.reason.includes("probe-parked"))).toBe(true);
    s.stages.get("s3")!.setLoad(MAX);
    await s.sched.advance(45_000); // at the latest by the next probe (the second waits 2 x probeEveryMs)
    expect(share()).toEqual([10_000, 10_000, 10_000]);
    await s.manager.close();
  });

  test("closed loop: a silent car is reclaimed to draw + margin, a late acceptance is served", async () => {
    const s = makeSite(tree(30_000, 30_000));
    await startSite(s);
    plug(s, "s1", 5_000, null); // says nothing, takes 5 kW
    plug(s, "s2", MAX);
    plug(s, "s3", MAX);
    plug(s, "s5", 0, 0); // car that states its needs only later
    await s.sched.advance(4_000);
    expect([setpoint(s, "s1").setpointW, setpoint(s, "s2").setpointW, setpoint(s, "s3").setpointW]).toEqual([
      10_000, 10_000, 10_000,
    ]);
    await s.sched.advance(20_000);
    expect(setpoint(s, "s1")).toMatchObject({ setpointW: 5_500, binding: "measured_draw" });
    expect([setpoint(s, "s2").setpointW, setpoint(s, "s3").setpointW]).toEqual([MAX, MAX]);
    setCar(s, "s5", 3_000);
    await s.sched.advance(10_000);
    expect(setpoint(s, "s5")).toMatchObject({ setpointW: 4_140, binding: "car_acceptance" }); // AC minimum, the car takes 3 kW
    expect(
      setpoint(s, "s1").setpointW +
        setpoint(s, "s2").setpointW +
        setpoint(s, "s3").setpointW +
        setpoint(s, "s5").setpointW,
    ).toBeLessThanOrEqual(30_000);
    await s.manager.close();
  });

  test("plans are published with inputs, setpoints, reason and time; requests in the same turn are coalesced", async () => {
    const s = makeSite(tree(30_000));
    await startSite(s);
    const before = s.plans.length;
    for (const id of ["s1", "s2", "s3", "s4", "s5"]) plug(s, id, MAX);
    await s.sched.advance(10_000);
    const applied = s.plans.slice(before).filter((p) => p.status === "applied");
    expect(applied.length).toBeLessThanOrEqual(2); // five requests, at most two plans
    const cur = s.manager.currentPlan()!;
    expect(cur.inputs.stalls).toHaveLength(8);
    expect(cur.atMs).toBeGreaterThan(0);
    expect(cur.plan.setpoints.filter((p) => p.setpointW > 0).map((p) => p.setpointW)).toEqual([
      5_000, 5_000, 5_000, 5_000, 10_000,
    ]); // c1 (20 kW) holds s1-s4
    expect(JSON.parse(JSON.stringify(cur))).toEqual(cur);
    await s.manager.close();
  });
});

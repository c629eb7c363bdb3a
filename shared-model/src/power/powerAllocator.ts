/**
 * Power allocator: shares a site's grid limit among its stalls. Pure and deterministic.
 *
 * Algorithm (all figures integer W, except the water level inside step 3):
 * 0. Canonical order. Limit-tree children are sorted by ID and stalls by stall ID, so the result does
 *    not depend on input order. Ties anywhere are broken by this order.
 * 1. Reservations. A stall out of contact falls back to its own safe limit; until it is heard from it
 *    may still enforce its last limit. The plan reserves `max(safeLimitW, reserveW)` for it on every
 *    node of its path. Where reservations exceed a node's limit the node is `overcommitted` and gets
 *    nothing more.
 * 2. Demand. `demand = min(maxW, acceptanceW)`; if the settled measured draw is at least
 *    `reclaimMarginW` under the grant, `demand = min(demand, measured + margin)` (headroom the car does
 *    not use is reclaimed and goes to others; a reclaimed car stays reclaimed, tracking its draw, until
 *    it uses its whole grant; margin 0 turns reclaiming off); a positive demand below `minW` is raised to `minW`
 *    (the stage cannot offer less; this is the only case a setpoint exceeds the car's acceptance).
 * 3. Tiers, strictly in order (tier 0 first), each on what the earlier tiers left:
 *    a. Minimums. Stalls with demand are taken by plug-in time (then stall ID); each gets `minW` if it
 *       fits on every node of its path, otherwise 0 (`minimum_unavailable`, naming the node). So when
 *       not every minimum fits, the latest cars of the lowest tier are the ones dropped.
 *    b. Weighted water-filling over the admitted stalls (progressive filling): a common level `t`
 *       rises from 0; stall i holds `min(demand_i, max(minW_i, weight_i * t))`. Events are a stall
 *       reaching its demand (it freezes there) and a node running out of room (every still-rising
 *       stall below it freezes at its present value, `node_limit`). Between events every node's use is
 *       linear in t, so the next event is found exactly; O((stalls + nodes) * events). The result is
 *       weighted max-min fair on every node of the tree and work-conserving: a stall stops short of
 *       its demand only when a node on its path is full.
 *    c. Integers. Each allocation is rounded down; the leftover watts (fewer than one per stall) go
 *       one at a time by largest fractional part, then stall ID, wherever every node on the path
 *       still has room; a last pass hands any watt still free to stalls below demand, in stall order.
 * Outputs: per stall its setpoint, demand, tier and the constraint that bound it; per node its use.
 */
import { ChargemeshError, err, ok } from "../errors.js";
import type { Result } from "../errors.js";
import { indexLimitTree } from "./limitTree.js";
import type { IndexedLimitTree } from "./limitTree.js";
import type {
  NodeUsage,
  PowerPlan,
  PowerPlanInput,
  StallBinding,
  StallPowerInput,
  StallSetpoint,
} from "./powerPlanTypes.js";

export const DEFAULT_RECLAIM_MARGIN_W = 500;

interface Work {
  readonly s: StallPowerInput;
  readonly path: readonly number[];
  demand: number;
  demandBinding: StallBinding;
  floor: number;
  alloc: number;
  exact: number;
  /** exact - (rounded-down setpoint), the share of a watt still owed in step 3c. */
  owed: number;
  binding: StallBinding;
  bindingNode: number;
  frozen: boolean;
  rising: boolean;
}

/** Computes the plan for one instant. Never throws; fails with `invalid_input` when the tree or a
 *  stall is malformed (unknown node, duplicate stall, negative or non-integer power, weight <= 0). */
export function allocatePower(input: PowerPlanInput): Result<PowerPlan> {
  const tree = indexLimitTree(input.root);
  if (!tree.ok) return tree;
  const t = tree.value;
  const margin = input.reclaimMarginW ?? DEFAULT_RECLAIM_MARGIN_W;
  if (!Number.isSafeInteger(margin) || margin < 0)
    return err(bad("reclaimMarginW must be a non-negative integer"));
  const checked = checkStalls(input.stalls, t);
  if (!checked.ok) return checked;
  const stalls = [...input.stalls].sort((a, b) => cmp(a.stallId, b.stallId));
  const room = t.limitW.map((l) => l);
  const reserved = t.limitW.map(() => 0);
  const work: Work[] = stalls.map((s) => makeWork(s, t.path[t.indexOf.get(s.nodeId)!]!, margin));

  for (const w of work) {
    if (w.s.inContact) continue;
    w.alloc = Math.max(w.s.safeLimitW, w.s.reserveW ?? 0);
    w.binding = "out_of_contact";
    for (const n of w.path) {
      room[n]! -= w.alloc;
      reserved[n]! += w.alloc;
    }
  }
  const overcommitted = room.map((r) => r < 0);
  for (let n = 0; n < room.length; n++) room[n] = Math.max(0, room[n]!);

  const tiers = [...new Set(work.filter((w) => w.s.inContact && w.demand > 0).map((w) => w.s.tier))].sort(
    (a, b) => a - b,
  );
  for (const tier of tiers) {
    const members = work.filter((w) => w.s.inContact && w.demand > 0 && w.s.tier === tier);
    const admitted = admitMinimums(members, room);
    waterFill(admitted, room, t);
    roundToIntegers(admitted, room);
  }

  const setpoints: StallSetpoint[] = work.map((w) => ({
    stallId: w.s.stallId,
    setpointW: w.alloc,
    demandW: w.demand,
    tier: w.s.tier,
    binding: w.binding,
    bindingNodeId: w.bindingNode >= 0 ? t.ids[w.bindingNode]! : null,
  }));
  const allocated = t.limitW.map(() => 0);
  for (const w of work) if (w.s.inContact) for (const n of w.path) allocated[n]! += w.alloc;
  const nodes: NodeUsage[] = t.ids.map((nodeId, n) => ({
    nodeId,
    limitW: t.limitW[n]!,
    allocatedW: allocated[n]!,
    reservedW: reserved[n]!,
    overcommitted: overcommitted[n]!,
  }));
  return ok({ setpoints, nodes, totalW: work.reduce((a, w) => a + w.alloc, 0) });
}

function makeWork(s: StallPowerInput, path: readonly number[], margin: number): Work {
  let demand = Math.min(s.maxW, s.acceptanceW);
  let demandBinding: StallBinding = s.maxW <= s.acceptanceW ? "stall_max" : "car_acceptance";
  const granted = s.grantedW ?? 0;
  if (
    margin > 0 &&
    s.measuredW !== undefined &&
    granted > 0 &&
    s.measuredW + margin <= granted &&
    s.measuredW + margin < demand
  ) {
    demand = s.measuredW + margin;
    demandBinding = "measured_draw";
  }
  if (demand > 0 && demand < s.minW) demand = s.minW;
  if (!s.inContact) demand = 0;
  return {
    s,
    path,
    demand,
    demandBinding,
    floor: 0,
    alloc: 0,
    exact: 0,
    owed: 0,
    binding: demand > 0 ? demandBinding : "no_demand",
    bindingNode: -1,
    frozen: false,
    rising: false,
  };
}

/** Step 3a: gives each member its minimum in plug-in order where it fits; returns the admitted ones. */
function admitMinimums(members: Work[], room: number[]): Work[] {
  const order = [...members].sort((a, b) => a.s.sinceMs - b.s.sinceMs || cmp(a.s.stallId, b.s.stallId));
  const admitted: Work[] = [];
  for (const w of order) {
    const need = w.s.minW;
    const short = w.path.find((n) => room[n]! < need);
    if (short !== undefined) {
      w.binding = "minimum_unavailable";
      w.bindingNode = short;
      continue;
    }
    for (const n of w.path) room[n]! -= need;
    w.floor = need;
    w.alloc = need;
    w.exact = need;
    admitted.push(w);
  }
  return admitted.sort((a, b) => cmp(a.s.stallId, b.s.stallId));
}

/** Step 3b: exact progressive filling in floating point; sets `exact` and bindings, consumes `room`
 *  (as floats; step 3c puts the integer room back). */
function waterFill(stalls: Work[], intRoom: number[], t: IndexedLimitTree): void {
  const room = intRoom.map((r) => r);
  const slope = room.map(() => 0);
  const under: number[][] = room.map(() => []);
  stalls.forEach((w, i) => {
    for (const n of w.path) under[n]!.push(i);
  });
  type Ev = { at: number; cap: boolean; i: number };
  const events: Ev[] = [];
  stalls.forEach((w, i) => {
    events.push({ at: w.demand / w.s.weight, cap: true, i });
    events.push({ at: w.floor / w.s.weight, cap: false, i });
  });
  events.sort((a, b) => a.at - b.at || (a.cap === b.cap ? a.i - b.i : a.cap ? -1 : 1));
  const valueAt = (w: Work, level: number) => Math.min(w.demand, Math.max(w.floor, w.s.weight * level));
  const freeze = (w: Work, level: number) => {
    w.exact = valueAt(w, level);
    w.frozen = true;
    if (w.rising) for (const n of w.path) slope[n]! -= w.s.weight;
    w.rising = false;
  };
  let level = 0;
  let next = 0;
  let open = stalls.length;
  while (open > 0) {
    while (next < events.length && stalls[events[next]!.i]!.frozen) next++;
    const stallAt = next < events.length ? events[next]!.at : Infinity;
    let node = -1;
    let nodeAt = Infinity;
    for (let n = 0; n < room.length; n++) {
      if (slope[n]! <= 1e-12) continue;
      const at = level + Math.max(0, room[n]!) / slope[n]!;
      if (at < nodeAt || (at === nodeAt && node >= 0 && t.depth[n]! > t.depth[node]!)) {
        nodeAt = at;
        node = n;
      }
    }
    if (node >= 0 && nodeAt < stallAt) {
      advance(nodeAt - level);
      level = nodeAt;
      room[node] = 0;
      let froze = 0;
      for (const i of under[node]!) {
        const w = stalls[i]!;
        if (w.frozen) continue;
        freeze(w, level);
        w.binding = "node_limit";
        w.bindingNode = node;
        open--;
        froze++;
      }
      if (froze === 0) slope[node] = 0; // defensive: a node with slope has a rising stall below it
      continue;
    }
    if (stallAt === Infinity) break; // unreachable: every stall has a finite demand event
    advance(stallAt - level);
    level = stallAt;
    const ev = events[next++]!;
    const w = stalls[ev.i]!;
    if (ev.cap) {
      freeze(w, level);
      w.exact = w.demand;
      w.binding = w.demandBinding;
      open--;
    } else if (!w.rising) {
      w.rising = true;
      for (const n of w.path) slope[n]! += w.s.weight;
    }
  }

  function advance(dl: number): void {
    if (dl <= 0) return;
    for (let n = 0; n < room.length; n++) if (slope[n]! > 0) room[n]! -= slope[n]! * dl;
  }
}

/** Step 3c: integer setpoints that never exceed any node's integer room, leftovers handed out
 *  deterministically. Updates `room` to the integer room left for the next tier. */
function roundToIntegers(stalls: Work[], room: number[]): void {
  for (const w of stalls) {
    const base = Math.min(w.demand, Math.floor(w.exact + 1e-9));
    const fits = Math.min(Math.max(0, base - w.floor), ...w.path.map((n) => room[n]!));
    w.alloc = w.floor + Math.max(0, fits);
    w.owed = w.exact - w.alloc;
    for (const n of w.path) room[n]! -= w.alloc - w.floor;
  }
  const byOwed = [...stalls].sort((a, b) => b.owed - a.owed || cmp(a.s.stallId, b.s.stallId));
  for (const w of byOwed) {
    if (w.owed <= 1e-6 || w.alloc >= w.demand || w.path.some((n) => room[n]! < 1)) continue;
    w.alloc += 1;
    for (const n of w.path) room[n]! -= 1;
  }
  for (const w of stalls) {
    if (w.alloc >= w.demand) continue;
    const add = Math.min(w.demand - w.alloc, ...w.path.map((n) => room[n]!));
    if (add <= 0) continue;
    w.alloc += add;
    for (const n of w.path) room[n]! -= add;
  }
  for (const w of stalls) if (w.alloc >= w.demand && w.binding === "node_limit") w.binding = w.demandBinding;
}

function checkStalls(stalls: readonly StallPowerInput[], t: IndexedLimitTree): Result<true> {
  const seen = new Set<string>();
  for (const s of stalls) {
    if (seen.has(s.stallId)) return err(bad(`duplicate stall ${s.stallId}`));
    seen.add(s.stallId);
    if (!t.indexOf.has(s.nodeId)) return err(bad(`stall ${s.stallId}: unknown limit node ${s.nodeId}`));
    for (const [k, v] of [
      ["maxW", s.maxW],
      ["minW", s.minW],
      ["acceptanceW", s.acceptanceW],
      ["tier", s.tier],
      ["safeLimitW", s.safeLimitW],
      ["measuredW", s.measuredW ?? 0],
      ["grantedW", s.grantedW ?? 0],
      ["reserveW", s.reserveW ?? 0],
    ] as const) {
      if (!Number.isSafeInteger(v) || v < 0)
        return err(bad(`stall ${s.stallId}: ${k} must be a non-negative integer`));
    }
    if (s.minW > s.maxW) return err(bad(`stall ${s.stallId}: minW > maxW`));
    if (!(Number.isFinite(s.weight) && s.weight > 0))
      return err(bad(`stall ${s.stallId}: weight must be > 0`));
    if (!Number.isFinite(s.sinceMs)) return err(bad(`stall ${s.stallId}: sinceMs must be finite`));
  }
  return ok(true);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function bad(message: string): ChargemeshError {
  return new ChargemeshError("invalid_input", message);
}

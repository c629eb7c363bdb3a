/**
 * Independent checks of a power plan against its input, written from the allocator's contract (not
 * from its code). Each returns a list of violations; an empty list means the plan passes.
 */
import type {
  LimitNode,
  PowerPlan,
  PowerPlanInput,
  StallPowerInput,
  StallSetpoint,
} from "../../src/power/powerPlanTypes.js";
import { DEFAULT_RECLAIM_MARGIN_W } from "../../src/power/powerAllocator.js";

interface Flat {
  limit: Map<string, number>;
  /** node id -> ids on the root path, inclusive */
  path: Map<string, string[]>;
}

function flatten(root: LimitNode): Flat {
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

/** The demand rule of the allocator's contract, recomputed here. */
export function expectedDemand(s: StallPowerInput, margin = DEFAULT_RECLAIM_MARGIN_W): number {
  if (!s.inContact) return 0;
  let d = Math.min(s.maxW, s.acceptanceW);
  if (
    margin > 0 &&
    s.measuredW !== undefined &&
    (s.grantedW ?? 0) > 0 &&
    s.measuredW + margin <= (s.grantedW ?? 0)
  )
    d = Math.min(d, s.measuredW + margin);
  if (d > 0 && d < s.minW) d = s.minW;
  return d;
}

/** Checks limits, minimums, demand caps, reservations, max-min fairness, work conservation and the
 *  minimum-dropping order. */
export function checkPlan(input: PowerPlanInput, plan: PowerPlan): string[] {
  const out: string[] = [];
  const f = flatten(input.root);
  const sp = new Map<string, StallSetpoint>(plan.setpoints.map((p) => [p.stallId, p]));
  const stalls = input.stalls;
  const pathOf = (s: StallPowerInput) => f.path.get(s.nodeId)!;
  const a = (s: StallPowerInput) => sp.get(s.stallId)!.setpointW;
  const demand = (s: StallPowerInput) => expectedDemand(s, input.reclaimMarginW);
  const under = (node: string) => stalls.filter((s) => pathOf(s).includes(node));
  const reserve = (s: StallPowerInput) => Math.max(s.safeLimitW, s.reserveW ?? 0);
  const reservedAt = (node: string) =>
    under(node)
      .filter((s) => !s.inContact)
      .reduce((x, s) => x + reserve(s), 0);
  const usedAt = (node: string) => under(node).reduce((x, s) => x + a(s), 0);
  const roomAt = (node: string) => f.limit.get(node)! - usedAt(node);

  if (plan.setpoints.length !== stalls.length) out.push("plan has a different number of stalls");
  for (const [node, limit] of f.limit) {
    const reserved = reservedAt(node);
    if (reserved > limit) {
      const given = under(node)
        .filter((s) => s.inContact)
        .reduce((x, s) => x + a(s), 0);
      if (given > 0) out.push(`node ${node} overcommitted by reservations but still gives ${given} W`);
    } else if (usedAt(node) > limit) out.push(`node ${node}: ${usedAt(node)} W > limit ${limit} W`);
  }
  for (const s of stalls) {
    const p = sp.get(s.stallId);
    if (!p) {
      out.push(`stall ${s.stallId} missing`);
      continue;
    }
    const w = p.setpointW;
    if (!Number.isSafeInteger(w) || w < 0)
      out.push(`stall ${s.stallId}: setpoint ${w} not a non-negative integer`);
    if (!s.inContact) {
      if (w !== reserve(s))
        out.push(`stall ${s.stallId}: out of contact, reserved ${w} instead of ${reserve(s)}`);
      continue;
    }
    if (w > demand(s)) out.push(`stall ${s.stallId}: ${w} W > demand ${demand(s)} W`);
    if (w > s.maxW) out.push(`stall ${s.stallId}: ${w} W > max ${s.maxW} W`);
    if (w > 0 && w < s.minW) out.push(`stall ${s.stallId}: ${w} W below minimum ${s.minW} W`);
    if (s.acceptanceW === 0 && w > 0) out.push(`stall ${s.stallId}: car accepts nothing but got ${w} W`);
  }
  const rank = (s: StallPowerInput) => [s.tier, s.sinceMs, s.stallId] as const;
  const before = (x: StallPowerInput, y: StallPowerInput) => {
    const [a1, b1, c1] = rank(x);
    const [a2, b2, c2] = rank(y);
    return a1 !== a2 ? a1 < a2 : b1 !== b2 ? b1 < b2 : c1 < c2;
  };
  for (const i of stalls) {
    if (!i.inContact || demand(i) === 0 || a(i) >= demand(i)) continue;
    const dropped = a(i) === 0 && i.minW > 0;
    if (dropped) {
      // Its minimum must really not have fitted, counting only what came before it.
      const blocked = pathOf(i).some((n) => {
        const ahead = under(n).filter(
          (j) =>
            j.inContact &&
            j !== i &&
            (j.tier < i.tier ? true : j.tier === i.tier && before(j, i) && a(j) > 0),
        );
        const taken = ahead.reduce((x, j) => x + (j.tier < i.tier ? a(j) : j.minW), 0);
        return f.limit.get(n)! - reservedAt(n) - taken < i.minW;
      });
      if (!blocked) out.push(`stall ${i.stallId}: minimum ${i.minW} W dropped although it fitted`);
      continue;
    }
    // Below demand: some full node on its path must justify it (max-min fairness, strict tiers).
    const floorOf = (j: StallPowerInput) => (a(j) > 0 ? j.minW : 0);
    const witness = pathOf(i).find((n) => {
      if (roomAt(n) !== 0 && !(reservedAt(n) > f.limit.get(n)!)) return false;
      return under(n).every((j) => {
        if (!j.inContact || j === i || demand(j) === 0) return true;
        if (j.tier > i.tier) return a(j) === 0;
        if (j.tier < i.tier || a(j) <= floorOf(j)) return true;
        return a(j) / j.weight <= (a(i) + 1) / i.weight + 1 / j.weight + 1e-9;
      });
    });
    if (witness === undefined)
      out.push(
        `stall ${i.stallId}: ${a(i)} W < demand ${demand(i)} W with no full node justifying it (not max-min fair or not work-conserving)`,
      );
  }
  return out;
}

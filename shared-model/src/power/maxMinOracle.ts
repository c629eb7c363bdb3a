/**
 * Reference weighted max-min fair shares, straight from the definition, for checking the power
 * manager and allocator (tests, benches). Deliberately simple and independent of `powerAllocator.ts`:
 * rounds of water-filling in floating point, no minimums, no tiers, no integer rounding.
 *
 * Definition: every claim i rises at rate weight_i; it stops at its demand, or when a node on its
 * path is full (then every claim still rising below that node stops). The result is the unique
 * allocation where no claim can get more without taking from a claim with a smaller share/weight
 * below a common full node.
 */
import type { LimitNode } from "./powerPlanTypes.js";

export interface FairShareClaim {
  /** The limit-tree node the claim draws through (and every node above it). */
  readonly nodeId: string;
  /** What the claim would take if power were unlimited, W (>= 0). */
  readonly demandW: number;
  /** Weight (> 0); ignored for a fixed claim. */
  readonly weight: number;
  /** A fixed claim takes exactly its demand first (e.g. a stage that cannot be commanded). */
  readonly fixed?: boolean;
}

const EPS = 1e-6;

/** Returns each claim's fair share, W (floating point, same order as `claims`). Throws RangeError on
 *  a claim naming an unknown node or with a negative demand or non-positive weight. */
export function maxMinFairShares(root: LimitNode, claims: readonly FairShareClaim[]): number[] {
  const limit: number[] = [];
  const pathOf = new Map<string, number[]>();
  const walk = (n: LimitNode, above: number[]) => {
    const index = limit.length;
    limit.push(n.limitW);
    const path = [...above, index];
    pathOf.set(n.id, path);
    for (const c of n.children ?? []) walk(c, path);
  };
  walk(root, []);
  const room = [...limit];
  const paths = claims.map((c) => {
    const p = pathOf.get(c.nodeId);
    if (!p) throw new RangeError(`unknown limit node ${c.nodeId}`);
    if (!(c.demandW >= 0)) throw new RangeError(`negative demand at ${c.nodeId}`);
    if (!c.fixed && !(c.weight > 0)) throw new RangeError(`non-positive weight at ${c.nodeId}`);
    return p;
  });
  const share = claims.map(() => 0);
  claims.forEach((c, i) => {
    if (!c.fixed) return;
    share[i] = c.demandW;
    for (const n of paths[i]!) room[n]! -= c.demandW;
  });
  const full = room.map((r) => r <= EPS);
  let rising = claims
    .map((c, i) => i)
    .filter((i) => !claims[i]!.fixed && claims[i]!.demandW > EPS && !paths[i]!.some((n) => full[n]));
  while (rising.length > 0) {
    const weightUnder = limit.map(() => 0);
    for (const i of rising) for (const n of paths[i]!) weightUnder[n]! += claims[i]!.weight;
    let step = Infinity;
    for (const i of rising) step = Math.min(step, (claims[i]!.demandW - share[i]!) / claims[i]!.weight);
    weightUnder.forEach((w, n) => {
      if (w > 0) step = Math.min(step, Math.max(0, room[n]!) / w);
    });
    for (const i of rising) {
      const add = claims[i]!.weight * step;
      share[i]! += add;
      for (const n of paths[i]!) room[n]! -= add;
    }
    room.forEach((r, n) => {
      if (weightUnder[n]! > 0 && r <= EPS * Math.max(1, limit[n]!)) full[n] = true;
    });
    rising = rising.filter((i) => share[i]! < claims[i]!.demandW - EPS && !paths[i]!.some((n) => full[n]));
  }
  return share;
}

/**
 * Baseline allocators the bench compares against. Both see only which stalls are charging and the
 * measured draw (not the car's acceptance), like simple site load managers do, and both respect the
 * site and cabinet limits on paper. They are applied to the stages all at once, without ordering.
 */
import type { LimitNode } from "@chargemesh/shared-model";

export interface BaselineStall {
  readonly nodeId: string;
  readonly maxW: number;
  readonly minW: number;
  readonly charging: boolean;
  readonly sinceMs: number;
  /** Present when the grant has held long enough for the draw to mean something. */
  readonly measuredW?: number;
  readonly grantedW: number;
}

export type BaselinePlanner = (limits: LimitNode, stalls: readonly BaselineStall[]) => number[];

function limitsOf(root: LimitNode): { site: number; node: Map<string, number> } {
  return { site: root.limitW, node: new Map((root.children ?? []).map((c) => [c.id, c.limitW])) };
}

/** Equal split: each charging car gets min(its max, site limit / cars on site, cabinet limit / cars
 *  in cabinet); when that is under the minimum, the latest cars are left out. No redistribution. */
export const equalSplit: BaselinePlanner = (limits, stalls) => {
  const { site, node } = limitsOf(limits);
  const order = stalls
    .map((s, i) => ({ s, i }))
    .filter((x) => x.s.charging)
    .sort((a, b) => a.s.sinceMs - b.s.sinceMs || a.i - b.i);
  const admitted: number[] = [];
  const perNode = new Map<string, number>();
  for (const { s, i } of order) {
    const nSite = admitted.length + 1;
    const nNode = (perNode.get(s.nodeId) ?? 0) + 1;
    if (Math.floor(site / nSite) < s.minW || Math.floor((node.get(s.nodeId) ?? site) / nNode) < s.minW)
      continue;
    admitted.push(i);
    perNode.set(s.nodeId, nNode);
  }
  const out = stalls.map(() => 0);
  for (const i of admitted) {
    const s = stalls[i]!;
    out[i] = Math.min(
      s.maxW,
      Math.floor(site / admitted.length),
      Math.floor((node.get(s.nodeId) ?? site) / perNode.get(s.nodeId)!),
    );
  }
  return out;
};

export const SLICE_W = 500;

/** Fixed slices: minimums first (by stall order), then 500 W per car per round, round-robin in stall
 *  order, to cars below their cap while site and cabinet each have a whole slice left. A car drawing
 *  a slice or more under its grant is capped at its draw plus one slice. */
export const fixedSlice: BaselinePlanner = (limits, stalls) => {
  const { site, node } = limitsOf(limits);
  let siteRoom = site;
  const nodeRoom = new Map(node);
  const out = stalls.map(() => 0);
  const cap = stalls.map((s) => {
    if (!s.charging) return 0;
    if (s.measuredW !== undefined && s.measuredW + SLICE_W <= s.grantedW)
      return Math.max(s.minW, Math.min(s.maxW, Math.ceil((s.measuredW + SLICE_W) / SLICE_W) * SLICE_W));
    return s.maxW;
  });
  const fits = (i: number, w: number) => siteRoom >= w && (nodeRoom.get(stalls[i]!.nodeId) ?? Infinity) >= w;
  const give = (i: number, w: number) => {
    out[i]! += w;
    siteRoom -= w;
    const n = stalls[i]!.nodeId;
    if (nodeRoom.has(n)) nodeRoom.set(n, nodeRoom.get(n)! - w);
  };
  const active: number[] = [];
  stalls.forEach((s, i) => {
    if (cap[i]! > 0 && fits(i, s.minW)) {
      give(i, s.minW);
      active.push(i);
    }
  });
  for (let progress = true; progress;) {
    progress = false;
    for (const i of active) {
      const w = Math.min(SLICE_W, cap[i]! - out[i]!);
      if (w > 0 && fits(i, w)) {
        give(i, w);
        progress = true;
      }
    }
  }
  return out;
};

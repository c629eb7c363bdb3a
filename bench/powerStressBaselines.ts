/**
 * The bench's baseline planners as controllers of edge-node's power stress run: re-planned every
 * 5 s and on plug events and limit changes, their setpoints written to every stage at once, without
 * ordering or confirmation (as simple site load managers do).
 */
import type { LimitNode } from "@chargemesh/shared-model";
import type { StressControllerFactory } from "@chargemesh/edge-node";
import type { BaselinePlanner, BaselineStall } from "./powerBaselines.js";

/** A stress controller that applies `planner` naively. */
export function naiveStressController(planner: BaselinePlanner): StressControllerFactory {
  return async (site) => {
    const stalls = site.scenario.stalls;
    const charging = stalls.map(() => false);
    const since = stalls.map(() => 0);
    const grant = stalls.map(() => 0);
    const grantSince = stalls.map(() => 0);
    let limits: LimitNode = site.scenario.limits;
    let dirty = true;
    let lastPlanMs = -Infinity;
    return {
      plugged: (i) => {
        charging[i] = true;
        since[i] = site.clock.now();
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
      step: (nowMs) => {
        if (!dirty && nowMs - lastPlanMs < 5_000) return;
        dirty = false;
        lastPlanMs = nowMs;
        const input: BaselineStall[] = stalls.map((s, i) => ({
          nodeId: s.nodeId,
          maxW: s.maxW,
          minW: s.minW,
          charging: charging[i]!,
          sinceMs: since[i]!,
          grantedW: grant[i]!,
          ...(nowMs - grantSince[i]! >= 10_000 ? { measuredW: site.stages[i]!.status().measuredW } : {}),
        }));
        planner(limits, input).forEach((w, i) => {
          if (w !== grant[i]) {
            grant[i] = w;
            grantSince[i] = nowMs;
          }
          if (w !== site.stages[i]!.status().requestedLimitW)
            void site.stages[i]!.setLimit(w).catch(() => {});
        });
      },
      alarmCount: () => 0,
      close: async () => {},
    };
  };
}

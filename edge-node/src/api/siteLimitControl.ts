import { stallId as asTreeNode } from "@chargemesh/shared-model";
import type { Clock, LimitNode, Result, TechnicianId } from "@chargemesh/shared-model";
import type { SiteLimitBounds } from "@chargemesh/shared-model/contracts";
import type { SessionJournal } from "../session/sessionJournal.js";
import type { PlanRecord } from "../power/powerManagerTypes.js";
import { LocalApiError } from "./localApiError.js";

/** What the kiosk may do to the site limit. */
export interface SiteLimitControl {
  readonly bounds: SiteLimitBounds;
  /** The site limit in force, W. */
  currentW(): number;
  /** Sets a new site limit within `bounds`, recorded with who and when; resolves once re-planned.
   *  Rejects with `invalid_input` outside the bounds or when the power manager refuses the tree. */
  set(limitW: number, by: TechnicianId, note: string): Promise<{ previousW: number }>;
}

/** The power manager's public face that a site limit change uses. */
export interface LimitedPower {
  currentPlan(): PlanRecord | null;
  setLimits(root: LimitNode, reason?: string): Promise<Result<true>>;
}

/**
 * A site limit control over the power manager: the new limit replaces the root of the limit tree in
 * force (cabinets and phases stay), goes through `setLimits`, and is written to the day journal as a
 * `site_limit` technician action (its `stallId` names the limit-tree node, its note the old and new
 * limit). Concurrent changes are serialized.
 */
export function powerSiteLimit(
  power: LimitedPower,
  journal: SessionJournal,
  clock: Clock,
  bounds: SiteLimitBounds,
  initialW: number,
): SiteLimitControl {
  let currentW = initialW;
  let chain: Promise<unknown> = Promise.resolve();
  const change = async (limitW: number, by: TechnicianId, note: string) => {
    if (!Number.isSafeInteger(limitW) || limitW < bounds.minW || limitW > bounds.maxW) {
      throw new LocalApiError(
        "invalid_input",
        `the site limit must be an integer from ${bounds.minW} W to ${bounds.maxW} W`,
      );
    }
    const root = power.currentPlan()?.inputs.root ?? { id: "site", limitW: currentW };
    const previousW = root.limitW;
    const r = await power.setLimits({ ...root, limitW }, "technician-site-limit");
    if (!r.ok) throw new LocalApiError("invalid_input", r.error.message);
    currentW = limitW;
    await journal.recordTechnicianAction({
      at: clock.now(),
      technicianId: by,
      action: "site_limit",
      stallId: asTreeNode(root.id),
      sessionId: null,
      note: `site limit ${previousW} W -> ${limitW} W${note ? `: ${note}` : ""}`.slice(0, 600),
    });
    return { previousW };
  };
  return {
    bounds,
    currentW: () => power.currentPlan()?.inputs.root.limitW ?? currentW,
    set: (limitW, by, note) => {
      const next = chain.then(() => change(limitW, by, note));
      chain = next.catch(() => undefined);
      return next;
    },
  };
}

import { useState } from "react";
import type { SiteLimitBounds } from "@chargemesh/shared-model/contracts";
import { kW } from "./format.js";
import type { PendingAction } from "./views/ConfirmDialog.js";

const STEP_W = 10_000;

/** Changes the site limit within its configured bounds, in 10 kW steps, after confirmation. */
export function SiteLimitControl(props: {
  currentW: number;
  bounds: SiteLimitBounds;
  ask: (a: PendingAction) => void;
  apply: (w: number, note: string) => Promise<unknown>;
}) {
  const [target, setTarget] = useState(props.currentW);
  const clamp = (w: number) => Math.min(props.bounds.maxW, Math.max(props.bounds.minW, w));
  return (
    <div className="limit-control">
      <h3>Site limit</h3>
      <p>
        In force: <strong>{kW(props.currentW)}</strong> (allowed {kW(props.bounds.minW)} to{" "}
        {kW(props.bounds.maxW)})
      </p>
      <div className="stepper">
        <button
          className="big secondary"
          aria-label="lower by 50 kW"
          onClick={() => setTarget((t) => clamp(t - 5 * STEP_W))}
        >
          −50
        </button>
        <button
          className="big secondary"
          aria-label="lower by 10 kW"
          onClick={() => setTarget((t) => clamp(t - STEP_W))}
        >
          −10
        </button>
        <output className="target">{kW(target)}</output>
        <button
          className="big secondary"
          aria-label="raise by 10 kW"
          onClick={() => setTarget((t) => clamp(t + STEP_W))}
        >
          +10
        </button>
        <button
          className="big secondary"
          aria-label="raise by 50 kW"
          onClick={() => setTarget((t) => clamp(t + 5 * STEP_W))}
        >
          +50
        </button>
        <button
          className="big primary"
          disabled={target === props.currentW}
          onClick={() =>
            props.ask({
              title: `Set the site limit to ${kW(target)}?`,
              detail: `From ${kW(props.currentW)}. The power plan is recomputed at once; lowering takes effect before anything is raised.`,
              confirmLabel: "Set limit",
              run: async (note) => void (await props.apply(target, note)),
            })
          }
        >
          Apply
        </button>
      </div>
    </div>
  );
}

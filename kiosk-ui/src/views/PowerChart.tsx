import type { PlanRecordContract } from "@chargemesh/shared-model/contracts";
import { clockTime, kW } from "../format.js";
import type { PowerSample } from "../useSitePolling.js";

const W = 1000;
const H = 360;
const PAD = { l: 80, r: 20, t: 16, b: 36 };
const PALETTE = ["#005fcc", "#b35900", "#007a3d", "#8a2be2", "#c2185b", "#00838f", "#5d4037", "#455a64"];

/**
 * The live chart: the site's total draw (filled) against the site limit (red) and each cabinet's
 * limit (dashed), with every stall's draw as a line. Time runs left to right on the site clock.
 */
export function PowerChart({
  history,
  plan,
}: {
  history: readonly PowerSample[];
  plan: PlanRecordContract | null;
}) {
  const cabinets = (plan?.plan.nodes ?? []).slice(1);
  const stallIds = Object.keys(history.at(-1)?.stalls ?? {});
  const totals = history.map((h) => Object.values(h.stalls).reduce((a, b) => a + b, 0));
  const maxY =
    Math.max(1, ...history.map((h) => h.limitW), ...totals, ...cabinets.map((c) => c.limitW)) * 1.1;
  const t0 = history[0]?.atMs ?? 0;
  const t1 = Math.max(t0 + 1, history.at(-1)?.atMs ?? 1);
  const x = (t: number) => PAD.l + ((t - t0) / (t1 - t0)) * (W - PAD.l - PAD.r);
  const y = (w: number) => H - PAD.b - (w / maxY) * (H - PAD.t - PAD.b);
  const line = (pts: readonly [number, number][]) =>
    pts.map(([a, b], i) => `${i === 0 ? "M" : "L"}${a.toFixed(1)},${b.toFixed(1)}`).join(" ");
  const totalPath = line(history.map((h, i) => [x(h.atMs), y(totals[i]!)]));
  const area =
    history.length > 1 ? `${totalPath} L${x(t1).toFixed(1)},${y(0)} L${x(t0).toFixed(1)},${y(0)} Z` : "";
  const limitPath = line(history.map((h) => [x(h.atMs), y(h.limitW)]));
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => Math.round((maxY / 1.1) * f));
  const latestTotal = totals.at(-1) ?? 0;
  const latestLimit = history.at(-1)?.limitW ?? 0;
  return (
    <figure className="chart" aria-label="site power against its limits">
      <svg viewBox={`0 0 ${W} ${H}`} role="img">
        {ticks.map((t) => (
          <g key={t}>
            <line x1={PAD.l} x2={W - PAD.r} y1={y(t)} y2={y(t)} className="grid" />
            <text x={PAD.l - 8} y={y(t) + 6} textAnchor="end" className="axis">
              {kW(t)}
            </text>
          </g>
        ))}
        {history.length > 1 && (
          <>
            <path d={area} className="total-area" />
            {stallIds.map((id, i) => (
              <path
                key={id}
                d={line(history.map((h) => [x(h.atMs), y(h.stalls[id] ?? 0)]))}
                className="stall-line"
                stroke={PALETTE[i % PALETTE.length]}
              />
            ))}
            <path d={totalPath} className="total-line" />
            <path d={limitPath} className="limit-line" />
            {cabinets.map((c) => (
              <line
                key={c.nodeId}
                x1={PAD.l}
                x2={W - PAD.r}
                y1={y(c.limitW)}
                y2={y(c.limitW)}
                className="cabinet-line"
              />
            ))}
            <text x={PAD.l} y={H - 8} className="axis">
              {clockTime(t0)}
            </text>
            <text x={W - PAD.r} y={H - 8} textAnchor="end" className="axis">
              {clockTime(t1)}
            </text>
          </>
        )}
      </svg>
      <figcaption>
        <span className="legend total">Site total {kW(latestTotal)}</span>
        <span className="legend limit">Site limit {kW(latestLimit)}</span>
        {cabinets.map((c) => (
          <span key={c.nodeId} className="legend cabinet">
            {c.nodeId} limit {kW(c.limitW)}
          </span>
        ))}
      </figcaption>
    </figure>
  );
}

/** Why the plan in force gives each stall what it gets. */
export function PlanReasons({ plan }: { plan: PlanRecordContract | null }) {
  if (!plan) return <p>No power plan yet.</p>;
  const root = plan.plan.nodes[0];
  return (
    <div className="plan-reasons">
      <p>
        Plan #{plan.seq} at {clockTime(plan.atMs)}, {plan.status}: <strong>{plan.reason}</strong>. Granted{" "}
        {kW(plan.plan.totalW)}
        {root ? ` of ${kW(root.limitW)}` : ""}.
      </p>
      <table>
        <thead>
          <tr>
            <th>Stall</th>
            <th>Wants</th>
            <th>Gets</th>
            <th>Why</th>
          </tr>
        </thead>
        <tbody>
          {plan.plan.setpoints
            .filter((s) => s.demandW > 0 || s.setpointW > 0)
            .map((s) => (
              <tr key={s.stallId}>
                <td>{s.stallId}</td>
                <td>{kW(s.demandW)}</td>
                <td>{kW(s.setpointW)}</td>
                <td>
                  {s.binding.replace(/_/g, " ")}
                  {s.bindingNodeId ? ` at ${s.bindingNodeId}` : ""}
                </td>
              </tr>
            ))}
        </tbody>
      </table>
    </div>
  );
}

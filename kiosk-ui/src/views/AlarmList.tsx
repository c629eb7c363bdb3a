import type { Alarm } from "@chargemesh/shared-model/contracts";
import { since } from "../format.js";

/** Every alarm with what to do, critical first. */
export function AlarmList({ alarms, nowMs }: { alarms: readonly Alarm[]; nowMs: number }) {
  if (alarms.length === 0) return <p className="all-clear">No alarms. The site is running normally.</p>;
  return (
    <ul className="alarms">
      {alarms.map((a) => (
        <li key={a.id} className={`alarm ${a.severity}`}>
          <h3>
            <span className="badge">{a.severity === "critical" ? "CRITICAL" : "WARNING"}</span> {a.title}
          </h3>
          <p>{a.detail}</p>
          <p className="todo">
            <strong>What to do:</strong> {a.action}
          </p>
          <p className="meta">Since {since(a.sinceMs, nowMs)}</p>
        </li>
      ))}
    </ul>
  );
}

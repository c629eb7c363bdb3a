import { useEffect, useState } from "react";
import type { DiagnosticsResponse } from "@chargemesh/shared-model/contracts";
import { kW, kWh } from "../format.js";

/** Power stages, meters, serial ports, simulated parts and OCPP chargers (technicians). */
export function DiagnosticsView({ load }: { load: () => Promise<DiagnosticsResponse> }) {
  const [d, setD] = useState<DiagnosticsResponse | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let stop = false;
    const poll = () =>
      load().then(
        (x) => !stop && (setD(x), setError(null)),
        (e: Error) => !stop && setError(e.message),
      );
    poll();
    const t = setInterval(poll, 2_000);
    return () => {
      stop = true;
      clearInterval(t);
    };
  }, [load]);
  if (error) return <p className="error-text">{error}</p>;
  if (!d) return <p>Loading…</p>;
  return (
    <div className="diagnostics">
      {d.simulated.length > 0 && <p className="warn-text">Simulated hardware: {d.simulated.join(", ")}.</p>}
      <p>
        Serial ports:{" "}
        {d.serialPorts.length === 0
          ? "none"
          : d.serialPorts.map((p) => `${p.path} (${p.meters.join(", ")})`).join("; ")}
      </p>
      <p>
        OCPP chargers:{" "}
        {d.ocppChargers.length === 0
          ? "none connected"
          : d.ocppChargers.map((c) => `${c.chargerId} ${c.connected ? "up" : "down"}`).join(", ")}
      </p>
      <table>
        <thead>
          <tr>
            <th>Stall</th>
            <th>Stage</th>
            <th>Applied / requested</th>
            <th>Measured</th>
            <th>Reaction</th>
            <th>Meter</th>
          </tr>
        </thead>
        <tbody>
          {d.stalls.map((s) => (
            <tr
              key={s.stallId}
              className={
                s.stage.state === "faulted" || s.stage.state === "unreachable" || s.meterFault
                  ? "row-fault"
                  : ""
              }
            >
              <td>{s.stallId}</td>
              <td>{s.stage.state}</td>
              <td>
                {kW(s.stage.appliedLimitW)} / {kW(s.stage.requestedLimitW)}
              </td>
              <td>{kW(s.stage.measuredW)}</td>
              <td>{s.stage.reactionDelayMs} ms</td>
              <td>
                {s.meterId}: {s.meterFault ?? "ok"}, {kWh(s.registerWh)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

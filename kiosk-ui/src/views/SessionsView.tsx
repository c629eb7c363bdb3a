import { useEffect, useState } from "react";
import type { SessionDetailResponse, SessionsResponse } from "@chargemesh/shared-model/contracts";
import { clockTime, kWh } from "../format.js";
import { verifySessionLedger } from "../verify/sessionVerification.js";
import type { SessionVerification } from "../verify/sessionVerification.js";

/** Recent sessions; one opened shows its ledger records, verified here in the browser. */
export function SessionsView(props: {
  list: () => Promise<SessionsResponse>;
  detail: (id: string) => Promise<SessionDetailResponse>;
}) {
  const [sessions, setSessions] = useState<SessionsResponse["sessions"]>([]);
  const [open, setOpen] = useState<{ d: SessionDetailResponse; v: SessionVerification | null } | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    props.list().then(
      (r) => setSessions(r.sessions),
      (e: Error) => setError(e.message),
    );
  }, [props.list]);
  if (error) return <p className="error-text">{error}</p>;
  return (
    <div className="sessions">
      {open && (
        <div className="session-detail">
          <h3>Session {open.d.session.sessionId}</h3>
          <p>
            {open.d.session.stallId} · {open.d.session.state} · contract {open.d.session.contractId ?? "none"}{" "}
            · stop: {open.d.session.stopReason ?? "—"}
            {open.d.session.stoppedBy ? ` by ${open.d.session.stoppedBy}` : ""}
          </p>
          {open.v ? (
            <p className={open.v.ok ? "ok-text" : "error-text"}>
              {open.v.ok ? "Verified here: " : "Verification FAILED: "}
              {open.v.records} signed records (seq {open.d.ledger?.fromSeq}–{open.d.ledger?.toSeq})
              {open.v.energyWh !== null
                ? `, ${kWh(open.v.energyWh)} proven by the signed begin and end`
                : ", session not ended yet"}
              {open.v.problems.length > 0 && `: ${open.v.problems.slice(0, 3).join("; ")}`}
            </p>
          ) : (
            <p>No ledger records yet.</p>
          )}
          <button className="big secondary" onClick={() => setOpen(null)}>
            Close
          </button>
        </div>
      )}
      <table>
        <thead>
          <tr>
            <th>Start</th>
            <th>Stall</th>
            <th>State</th>
            <th>Energy</th>
            <th>Reason</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {sessions.map((s) => (
            <tr key={s.sessionId}>
              <td>{clockTime(s.startedAtMs)}</td>
              <td>{s.stallId}</td>
              <td>{s.state}</td>
              <td>{s.begin && s.end ? kWh(s.end.registerWh - s.begin.registerWh) : "—"}</td>
              <td>{s.stopReason ?? s.authorization?.reason ?? "—"}</td>
              <td>
                <button
                  className="big secondary"
                  onClick={async () => {
                    try {
                      const d = await props.detail(s.sessionId);
                      setOpen({ d, v: d.ledger ? verifySessionLedger(d.ledger, d.session.sessionId) : null });
                    } catch (e) {
                      setError((e as Error).message);
                    }
                  }}
                >
                  Records
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

import type { CloudClient } from "../api/cloudClient.js";
import { energy } from "../format.js";
import { useLoad } from "./useLoad.js";

/** Past and running sessions of the account; each opens its receipt. */
export function HistoryView({ client }: { client: CloudClient }) {
  const { value, error } = useLoad(() => client.history(), [client], 15_000);
  return (
    <section>
      <h2>History</h2>
      {error && <p className="error">{error}</p>}
      {value && value.sessions.length === 0 && <p className="empty">No sessions yet.</p>}
      <ul className="list">
        {value?.sessions.map((s) => (
          <li key={s.sessionId}>
            <a
              href={`#/receipt/${encodeURIComponent(s.sessionId)}`}
              className="card history"
              data-session={s.sessionId}
            >
              <div className="row">
                <strong>{new Date(s.startedAtMs).toLocaleString()}</strong>
                <span className={`state ${s.state}`}>{s.state}</span>
              </div>
              <div className="row muted">
                <span>
                  {s.siteId} · {s.stallId}
                </span>
                <span>{energy(s.energyWh)}</span>
              </div>
              <div className="small muted">
                {s.hasReceipt ? "Receipt available" : s.endedAtMs === null ? "Running" : "Receipt pending"}
              </div>
            </a>
          </li>
        ))}
      </ul>
    </section>
  );
}

import type { SyncState } from "@chargemesh/shared-model/contracts";
import { since } from "../format.js";

/** Cloud peers, last contact, documents. */
export function SyncView({ sync, nowMs }: { sync: SyncState | null; nowMs: number }) {
  if (!sync) return <p>Sync state unknown.</p>;
  if (!sync.enabled) return <p>This site runs without a cloud peer.</p>;
  return (
    <div className="sync">
      <p className={sync.unreachableSinceMs === null ? "ok-text" : "error-text"}>
        {sync.unreachableSinceMs === null
          ? "Connected to the cloud."
          : `Cloud unreachable for ${since(sync.unreachableSinceMs, nowMs)}.`}
      </p>
      <p>Last contact: {sync.lastContactMs === null ? "never" : `${since(sync.lastContactMs, nowMs)} ago`}</p>
      <p>
        Documents held: {sync.documents}; waiting for the cloud: {sync.documentsPending ?? "not tracked"}
      </p>
      <table>
        <thead>
          <tr>
            <th>Cloud peer</th>
            <th>State</th>
          </tr>
        </thead>
        <tbody>
          {sync.peers.map((p) => (
            <tr key={p.peerId}>
              <td className="mono">…{p.peerId.slice(-12)}</td>
              <td>{p.connected ? "connected" : "not connected"}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

import { useState } from "react";
import { connectorTypes } from "@chargemesh/shared-model/contracts";
import type { ConnectorType } from "@chargemesh/shared-model/contracts";
import type { CloudClient } from "../api/cloudClient.js";
import { ago, money } from "../format.js";
import { useLoad } from "./useLoad.js";

const CONNECTOR_NAMES: Record<ConnectorType, string> = {
  ccs2: "CCS",
  type2: "Type 2",
  chademo: "CHAdeMO",
  nacs: "NACS",
  unspecified: "Connector not listed",
};

/** The station finder: free and occupied stalls by connector, the current price, how fresh the figures are. */
export function StationsView({ client }: { client: CloudClient }) {
  const [connector, setConnector] = useState<ConnectorType | "">("");
  const { value, error } = useLoad(
    () => client.stations(connector || undefined),
    [client, connector],
    10_000,
  );
  return (
    <section>
      <h2>Stations</h2>
      <label className="filter">
        Connector{" "}
        <select value={connector} onChange={(e) => setConnector(e.target.value as ConnectorType | "")}>
          <option value="">any</option>
          {connectorTypes.map((c) => (
            <option key={c} value={c}>
              {CONNECTOR_NAMES[c]}
            </option>
          ))}
        </select>
      </label>
      {error && <p className="error">{error}</p>}
      {value && value.stations.length === 0 && <p className="empty">No station has reported yet.</p>}
      {value?.stations.map((s) => (
        <article
          key={s.siteId}
          className={`card station ${s.fresh ? "fresh" : "stale"}`}
          data-station={s.siteId}
        >
          <div className="row">
            <strong>{s.siteId}</strong>
            <span className="small">
              {s.price
                ? `${money(s.price.energyMinorPerKWh, s.price.currency)}/kWh${s.price.sessionFeeMinor ? ` + ${money(s.price.sessionFeeMinor, s.price.currency)}` : ""}`
                : "price not published"}
            </span>
          </div>
          {s.fresh ? (
            <ul className="connectors">
              {s.connectors.map((c) => (
                <li key={c.connector}>
                  <span>{CONNECTOR_NAMES[c.connector]}</span>
                  <span className={c.free > 0 ? "free" : "busy"} data-free={c.free}>
                    {c.free} free
                  </span>
                  <span className="muted">{c.occupied} in use</span>
                  {c.outOfService > 0 && <span className="muted">{c.outOfService} out of service</span>}
                </li>
              ))}
            </ul>
          ) : (
            <p className="stale-note">
              Availability unknown: the station's last report is {s.ageMs === null ? "missing" : ago(s.ageMs)}
              .
            </p>
          )}
          <p className="small muted">{s.fresh && s.ageMs !== null ? `Updated ${ago(s.ageMs)}` : "Stale"}</p>
        </article>
      ))}
    </section>
  );
}

import { useState } from "react";
import type { CloudClient } from "../api/cloudClient.js";
import { CloudCallError } from "../api/cloudClient.js";
import { energy, money } from "../format.js";
import { useLoad } from "./useLoad.js";

/** The account: vehicles, contracts, payment standing and settling a debt. */
export function AccountView({ client, onSignOut }: { client: CloudClient; onSignOut: () => void }) {
  const [reload, setReload] = useState(0);
  const [settleMessage, setSettleMessage] = useState<string | null>(null);
  const { value, error } = useLoad(() => client.account(), [client, reload]);
  const settle = async () => {
    try {
      await client.settle();
      setSettleMessage("Settled.");
      setReload((n) => n + 1);
    } catch (e) {
      setSettleMessage(e instanceof CloudCallError ? e.message : "settling failed");
    }
  };
  return (
    <section>
      <h2>Account</h2>
      {error && <p className="error">{error}</p>}
      {value && (
        <>
          <div className="card">
            <strong>{value.account.name}</strong>
            <div className="muted">{value.account.email}</div>
          </div>
          <h3>Payment</h3>
          <div className={`card standing ${value.standing.state}`} data-standing={value.standing.state}>
            {value.standing.source === "no_billing_record" ? (
              <span>No payment on record yet: nothing is owed.</span>
            ) : value.standing.state === "good" ? (
              <span>All paid.</span>
            ) : (
              <>
                <span>
                  {value.standing.state === "blocked" ? "Blocked: " : "Amount due: "}
                  {money(value.standing.debtMinor, value.standing.currency)}
                </span>
                <button onClick={settle}>Settle now</button>
              </>
            )}
            {settleMessage && <p className="small">{settleMessage}</p>}
          </div>
          <h3>Vehicles</h3>
          {value.vehicles.map((v) => (
            <div key={v.vehicleId} className="card">
              <strong>{v.name}</strong>
              <div className="muted">
                {v.connector.toUpperCase()} · battery {energy(v.batteryWh)}
              </div>
              {value.contracts
                .filter((c) => c.vehicleId === v.vehicleId)
                .map((c) => (
                  <div key={c.contractId} className="small" data-contract={c.contractId}>
                    Contract {c.contractId} · {c.provider} · {c.status}
                  </div>
                ))}
            </div>
          ))}
          <p>
            <a href="#/dashboard">Open the in-vehicle dashboard</a>
          </p>
          <button className="secondary" onClick={onSignOut}>
            Sign out
          </button>
        </>
      )}
    </section>
  );
}

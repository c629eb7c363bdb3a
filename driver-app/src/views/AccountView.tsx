import { useState } from "react";
import type { PaymentsInfo } from "@chargemesh/shared-model/contracts";
import type { CloudClient } from "../api/cloudClient.js";
import { CloudCallError } from "../api/cloudClient.js";
import { energy, money } from "../format.js";
import { useLoad } from "./useLoad.js";

/** A thumb-sized target on a phone (at least 48 px high, full width in the payment card). */
const TAP = { minHeight: 48, width: "100%", marginTop: 8 } as const;

const TEST_CARD_NAMES: Record<string, string> = {
  pm_card_visa: "Test Visa",
  pm_card_mastercard: "Test Mastercard",
};

/** The account: vehicles, contracts, payment standing, replacing the card on file and settling a debt. */
export function AccountView({ client, onSignOut }: { client: CloudClient; onSignOut: () => void }) {
  const [reload, setReload] = useState(0);
  const [settleMessage, setSettleMessage] = useState<string | null>(null);
  const [replacing, setReplacing] = useState(false);
  const [busy, setBusy] = useState(false);
  const { value, error } = useLoad(() => client.account(), [client, reload]);
  const failure = (e: unknown, what: string) => (e instanceof CloudCallError ? e.message : `${what} failed`);
  const settle = async () => {
    setBusy(true);
    try {
      const standing = await client.settle();
      setSettleMessage(
        standing.state === "good"
          ? "Settled: nothing is owed."
          : standing.inProgress
            ? "Payment in progress: this page shows the result shortly."
            : "The card was declined again: the amount is still due. Replace the card, then settle.",
      );
      // The payment goes on after the answer: look again once it had time to finish.
      if (standing.inProgress) setTimeout(() => setReload((n) => n + 1), 5_000);
      setReload((n) => n + 1);
    } catch (e) {
      setSettleMessage(failure(e, "settling"));
    } finally {
      setBusy(false);
    }
  };
  const replaceCard = async (paymentMethod: string) => {
    setBusy(true);
    try {
      const r = await client.replaceCard(paymentMethod);
      setSettleMessage(`New ${cardName(r.card.network)} on file. Settle now to pay what is due.`);
      setReplacing(false);
    } catch (e) {
      setSettleMessage(failure(e, "replacing the card"));
    } finally {
      setBusy(false);
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
                {replacing ? (
                  <ReplaceCard
                    payments={value.payments}
                    busy={busy}
                    onPick={replaceCard}
                    onCancel={() => setReplacing(false)}
                  />
                ) : (
                  <button
                    className="secondary"
                    style={TAP}
                    data-action="replace-card"
                    disabled={busy}
                    onClick={() => setReplacing(true)}
                  >
                    Replace card
                  </button>
                )}
                <button style={TAP} data-action="settle" disabled={busy} onClick={settle}>
                  Settle now
                </button>
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

/**
 * Choosing the new card: the simulator's test cards when the cloud pays through the payment simulator
 * (no real card is charged), else a field for the provider's payment method ID.
 */
function ReplaceCard(props: {
  payments: PaymentsInfo | undefined;
  busy: boolean;
  onPick: (pm: string) => void;
  onCancel: () => void;
}) {
  const [typed, setTyped] = useState("");
  const cancel = (
    <button type="button" className="secondary" style={TAP} onClick={props.onCancel}>
      Keep the current card
    </button>
  );
  if (props.payments?.through === "simulator")
    return (
      <div data-replace-card="simulator">
        <p className="small">
          Payments go to the payment simulator: no real card is charged. Pick a test card.
        </p>
        {props.payments.testPaymentMethods.map((pm) => (
          <button
            key={pm}
            className="secondary"
            style={TAP}
            data-test-card={pm}
            disabled={props.busy}
            onClick={() => props.onPick(pm)}
          >
            {TEST_CARD_NAMES[pm] ?? pm}
          </button>
        ))}
        {cancel}
      </div>
    );
  return (
    <form
      data-replace-card="provider"
      onSubmit={(e) => {
        e.preventDefault();
        if (typed.trim()) props.onPick(typed.trim());
      }}
    >
      <label className="small" style={{ display: "flex", flexDirection: "column", gap: 6, marginTop: 8 }}>
        Payment method ID
        <input
          name="paymentMethod"
          autoComplete="off"
          value={typed}
          onChange={(e) => setTyped(e.target.value)}
          style={{ minHeight: 48, fontSize: "1.05rem", padding: "0 12px", borderRadius: 10 }}
          required
        />
      </label>
      <button type="submit" className="secondary" style={TAP} disabled={props.busy}>
        Use this card
      </button>
      {cancel}
    </form>
  );
}

function cardName(network: "visa" | "mastercard" | "other"): string {
  return network === "visa" ? "Visa card" : network === "mastercard" ? "Mastercard card" : "card";
}

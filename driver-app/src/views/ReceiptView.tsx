import type { CloudClient } from "../api/cloudClient.js";
import { energy, money } from "../format.js";
import { useLoad } from "./useLoad.js";

const PENDING: Record<string, string> = {
  session_open: "The session is still running: the receipt follows once it ends and is billed.",
  not_billed_yet: "Billing has not issued this receipt yet. It appears here as soon as it has.",
  billing_not_connected:
    "Billing is not connected to this cloud yet, so there is no receipt to show. Your session's energy is recorded and signed; the receipt will follow.",
};

/** One session's receipt with its line items, or an honest empty state. */
export function ReceiptView({ client, sessionId }: { client: CloudClient; sessionId: string }) {
  const { value, error } = useLoad(() => client.receipt(sessionId), [client, sessionId], 15_000);
  return (
    <section>
      <a href="#/history" className="back">
        ‹ History
      </a>
      <h2>Receipt</h2>
      <p className="muted small">{sessionId}</p>
      {error && <p className="error">{error}</p>}
      {value && !value.receipt && (
        <p className="empty" data-receipt="empty">
          {PENDING[value.pendingReason ?? "not_billed_yet"]}
        </p>
      )}
      {value?.receipt && (
        <div className="card receipt" data-receipt={value.receipt.invoiceRef}>
          <div className="row">
            <span>Invoice {value.receipt.invoiceRef}</span>
            <span>{new Date(value.receipt.issuedAtMs).toLocaleDateString()}</span>
          </div>
          <table>
            <tbody>
              {value.receipt.lines.map((l, i) => (
                <tr key={i}>
                  <td>{l.description}</td>
                  <td className="num">{l.energyWh > 0 ? energy(l.energyWh) : ""}</td>
                  <td className="num">{money(l.exclVatMinor + l.vatMinor, value.receipt!.currency)}</td>
                </tr>
              ))}
            </tbody>
            <tfoot>
              <tr>
                <td>Total</td>
                <td className="num" data-figure="total-energy">
                  {energy(value.receipt.energyWh)}
                </td>
                <td className="num" data-figure="total">
                  {money(value.receipt.totalMinor, value.receipt.currency)}
                </td>
              </tr>
            </tfoot>
          </table>
          <p className="small muted">Payment: {value.receipt.paymentState.replace("_", " ")}</p>
        </div>
      )}
    </section>
  );
}

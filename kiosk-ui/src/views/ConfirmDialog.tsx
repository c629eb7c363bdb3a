import { useState } from "react";

export interface PendingAction {
  readonly title: string;
  readonly detail: string;
  readonly confirmLabel: string;
  /** Carries the action out; a sentence it resolves with is shown as the outcome. */
  readonly run: (note: string) => Promise<string | void>;
  /** A second way to confirm (e.g. restart now instead of when idle). */
  readonly alternative?: { readonly label: string; readonly run: (note: string) => Promise<string | void> };
}

/** Asks before a technician action is carried out; the note goes into the site's record. */
export function ConfirmDialog({
  action,
  onDone,
}: {
  action: PendingAction;
  onDone: (error: string | null, outcome?: string) => void;
}) {
  const [note, setNote] = useState("");
  const [busy, setBusy] = useState(false);
  const confirm = async (run: PendingAction["run"]) => {
    setBusy(true);
    try {
      onDone(null, (await run(note)) ?? undefined);
    } catch (e) {
      onDone((e as Error).message);
    }
  };
  return (
    <div className="overlay" role="dialog" aria-modal="true" aria-labelledby="confirm-title">
      <div className="dialog">
        <h2 id="confirm-title">{action.title}</h2>
        <p>{action.detail}</p>
        <label className="field">
          Note for the site record (optional)
          <input value={note} maxLength={500} onChange={(e) => setNote(e.target.value)} />
        </label>
        <div className="dialog-buttons">
          <button className="big secondary" disabled={busy} onClick={() => onDone(null)}>
            Cancel
          </button>
          {action.alternative && (
            <button
              className="big danger"
              disabled={busy}
              onClick={() => void confirm(action.alternative!.run)}
            >
              {action.alternative.label}
            </button>
          )}
          <button className="big danger" disabled={busy} onClick={() => void confirm(action.run)}>
            {action.confirmLabel}
          </button>
        </div>
      </div>
    </div>
  );
}

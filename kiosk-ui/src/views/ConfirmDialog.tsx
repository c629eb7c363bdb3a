import { useState } from "react";

export interface PendingAction {
  readonly title: string;
  readonly detail: string;
  readonly confirmLabel: string;
  readonly run: (note: string) => Promise<void>;
}

/** Asks before a technician action is carried out; the note goes into the site's record. */
export function ConfirmDialog({
  action,
  onDone,
}: {
  action: PendingAction;
  onDone: (error: string | null) => void;
}) {
  const [note, setNote] = useState("");
  const [busy, setBusy] = useState(false);
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
          <button
            className="big danger"
            disabled={busy}
            onClick={async () => {
              setBusy(true);
              try {
                await action.run(note);
                onDone(null);
              } catch (e) {
                onDone((e as Error).message);
              }
            }}
          >
            {action.confirmLabel}
          </button>
        </div>
      </div>
    </div>
  );
}

import { useState } from "react";

/** Technician sign-in: the credential is checked by the site before the kiosk keeps it (in memory only). */
export function SignInDialog({
  check,
  onClose,
}: {
  check: (credential: string) => Promise<string>;
  onClose: (credential: string | null, technician: string | null) => void;
}) {
  const [value, setValue] = useState("");
  const [error, setError] = useState<string | null>(null);
  return (
    <div className="overlay" role="dialog" aria-modal="true" aria-labelledby="signin-title">
      <form
        className="dialog"
        onSubmit={async (e) => {
          e.preventDefault();
          try {
            onClose(value, await check(value));
          } catch (err) {
            setError((err as Error).message);
          }
        }}
      >
        <h2 id="signin-title">Technician sign-in</h2>
        <label className="field">
          Technician credential
          <input
            type="password"
            autoComplete="off"
            value={value}
            onChange={(e) => setValue(e.target.value)}
            autoFocus
          />
        </label>
        {error && <p className="error-text">{error}</p>}
        <div className="dialog-buttons">
          <button type="button" className="big secondary" onClick={() => onClose(null, null)}>
            Cancel
          </button>
          <button type="submit" className="big primary" disabled={value.length === 0}>
            Sign in
          </button>
        </div>
      </form>
    </div>
  );
}

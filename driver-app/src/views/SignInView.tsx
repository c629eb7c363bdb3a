import { useState } from "react";
import type { CloudClient } from "../api/cloudClient.js";
import { CloudCallError } from "../api/cloudClient.js";
import type { AccountCredential } from "../credentials.js";

/** Sign-in to an account (a demo account under npm start: its credentials are printed at start). */
export function SignInView(props: { client: CloudClient; onSignedIn: (a: AccountCredential) => void }) {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const r = await props.client.signIn(email, password);
      props.onSignedIn({ token: r.accountToken, expiresAtMs: r.expiresAtMs, name: r.account.name });
    } catch (err) {
      setError(err instanceof CloudCallError ? err.message : "sign-in failed");
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="signin">
      <h1>chargemesh</h1>
      <p className="muted">Plug in and charge. Watch it here.</p>
      <form onSubmit={submit}>
        <label>
          Email
          <input
            name="email"
            type="email"
            autoComplete="username"
            value={email}
            onChange={(e) => setEmail(e.target.value)}
            required
          />
        </label>
        <label>
          Password
          <input
            name="password"
            type="password"
            autoComplete="current-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            required
          />
        </label>
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
    </div>
  );
}

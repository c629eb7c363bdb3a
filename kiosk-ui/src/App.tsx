import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { kioskClient } from "./api/kioskClient.js";
import { clockTime, since } from "./format.js";
import { SiteLimitControl } from "./SiteLimitControl.js";
import { useSitePolling } from "./useSitePolling.js";
import { AlarmList } from "./views/AlarmList.js";
import { ConfirmDialog } from "./views/ConfirmDialog.js";
import type { PendingAction } from "./views/ConfirmDialog.js";
import { DiagnosticsView } from "./views/DiagnosticsView.js";
import { PlanReasons, PowerChart } from "./views/PowerChart.js";
import { SessionsView } from "./views/SessionsView.js";
import { SignInDialog } from "./views/SignInDialog.js";
import { StallGrid } from "./views/StallGrid.js";
import type { StallChargers } from "./views/StallGrid.js";
import { SyncView } from "./views/SyncView.js";

const TABS = ["Stalls", "Power", "Alarms", "Sessions", "Sync", "Diagnostics"] as const;
type Tab = (typeof TABS)[number];

/** The technicians' kiosk: one screen per tab, alarms always on top, actions after sign-in. */
export function App() {
  const credential = useRef<string | null>(null);
  const [technician, setTechnician] = useState<string | null>(null);
  const client = useMemo(() => kioskClient(() => credential.current), []);
  const state = useSitePolling(client, technician ? credential.current : null);
  const [tab, setTab] = useState<Tab>("Stalls");
  const [signingIn, setSigningIn] = useState(false);
  const [pending, setPending] = useState<PendingAction | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const nowMs = state.site?.siteTimeMs ?? Date.now();
  const critical = state.alarms.filter((a) => a.severity === "critical");
  const listSessions = useCallback(() => client.sessions(50), [client]);
  const loadDiagnostics = useCallback(() => client.diagnostics(), [client]);
  const [chargers, setChargers] = useState<StallChargers>(new Map());
  const loadChargers = useCallback(async () => {
    if (!credential.current) return setChargers(new Map());
    try {
      setChargers(new Map((await client.stallChargers()).stalls.map((c) => [c.stallId, c])));
    } catch {
      setChargers(new Map()); // no charger actions shown when the list cannot be read
    }
  }, [client]);
  useEffect(() => void loadChargers(), [technician, loadChargers]);

  return (
    <div className="kiosk">
      <header className="top">
        <div className="site-name">
          <h1>{state.site?.siteId ?? "site"}</h1>
          <span className="clock">{state.site ? clockTime(nowMs) : ""}</span>
        </div>
        <div
          className={`link ${state.sync?.enabled === false ? "none" : state.sync?.unreachableSinceMs == null ? "up" : "down"}`}
        >
          {state.sync?.enabled === false
            ? "No cloud configured"
            : state.sync?.unreachableSinceMs == null
              ? "Cloud connected"
              : `Cloud unreachable ${since(state.sync.unreachableSinceMs, nowMs)}`}
        </div>
        {technician ? (
          <button
            className="big secondary"
            onClick={() => ((credential.current = null), setTechnician(null))}
          >
            Sign out {technician}
          </button>
        ) : (
          <button className="big primary" onClick={() => setSigningIn(true)}>
            Technician sign-in
          </button>
        )}
      </header>
      {state.unreachableSince !== null && (
        <div className="banner critical">
          The site controller does not answer. Figures below are the last known.
        </div>
      )}
      {critical.length > 0 && (
        <button className="banner critical" onClick={() => setTab("Alarms")}>
          {critical.length} critical alarm{critical.length > 1 ? "s" : ""}: {critical[0]!.title} — tap for
          what to do
        </button>
      )}
      {message && (
        <button className="banner info" onClick={() => setMessage(null)}>
          {message} (tap to dismiss)
        </button>
      )}
      <nav className="tabs" role="tablist">
        {TABS.map((t) => (
          <button
            key={t}
            role="tab"
            aria-selected={tab === t}
            className={tab === t ? "tab active" : "tab"}
            onClick={() => setTab(t)}
          >
            {t}
            {t === "Alarms" && state.alarms.length > 0 ? ` (${state.alarms.length})` : ""}
          </button>
        ))}
      </nav>
      <main>
        {!state.site ? (
          <p>Connecting to the site controller…</p>
        ) : tab === "Stalls" ? (
          <StallGrid
            site={state.site}
            plan={state.plan}
            signedIn={technician !== null}
            ask={setPending}
            chargers={chargers}
            act={{
              stop: (id, note) => client.stop(id, note),
              outOfService: (id, out, note) => client.outOfService(id, out, note),
              restartCharger: (id, type, note) => client.restartCharger(id, type, note),
            }}
          />
        ) : tab === "Power" ? (
          <>
            <PowerChart history={state.history} plan={state.plan} />
            {technician && state.site.siteLimitBounds && (
              <SiteLimitControl
                key={state.site.gridLimitW}
                currentW={state.site.gridLimitW}
                bounds={state.site.siteLimitBounds}
                ask={setPending}
                apply={(w, note) => client.siteLimit(w, note)}
              />
            )}
            <PlanReasons plan={state.plan} />
          </>
        ) : tab === "Alarms" ? (
          <AlarmList alarms={state.alarms} nowMs={nowMs} />
        ) : tab === "Sessions" ? (
          technician ? (
            <SessionsView list={listSessions} detail={(id) => client.session(id)} />
          ) : (
            <p>Sign in as a technician to see sessions.</p>
          )
        ) : tab === "Sync" ? (
          <SyncView sync={state.sync} nowMs={nowMs} />
        ) : technician ? (
          <DiagnosticsView load={loadDiagnostics} />
        ) : (
          <p>Sign in as a technician to see diagnostics.</p>
        )}
      </main>
      {signingIn && (
        <SignInDialog
          check={async (c) => (await kioskClient(() => c).whoAmI()).technicianId}
          onClose={(c, who) => {
            setSigningIn(false);
            if (c && who) {
              credential.current = c;
              setTechnician(who);
            }
          }}
        />
      )}
      {pending && (
        <ConfirmDialog
          action={pending}
          onDone={(error, outcome) => {
            setPending(null);
            setMessage(
              error
                ? `Refused: ${error}`
                : `Done: ${pending.title.replace(/\?$/, "")}${outcome ? ` — ${outcome}` : ""}`,
            );
            state.refresh();
            void loadChargers();
          }}
        />
      )}
    </div>
  );
}

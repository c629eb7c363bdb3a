import { useEffect, useMemo, useState } from "react";
import { CloudClient } from "./api/cloudClient.js";
import { loadAccount, saveAccount } from "./credentials.js";
import type { AccountCredential } from "./credentials.js";
import { useCloudFeed } from "./live/useLiveFeeds.js";
import { AccountView } from "./views/AccountView.js";
import { DashboardView } from "./views/DashboardView.js";
import { HistoryView } from "./views/HistoryView.js";
import { LiveView } from "./views/LiveView.js";
import { Notices } from "./views/Notices.js";
import { ReceiptView } from "./views/ReceiptView.js";
import { SignInView } from "./views/SignInView.js";
import { StationsView } from "./views/StationsView.js";

function useHash(): string {
  const [hash, setHash] = useState(location.hash || "#/live");
  useEffect(() => {
    const on = () => setHash(location.hash || "#/live");
    addEventListener("hashchange", on);
    return () => removeEventListener("hashchange", on);
  }, []);
  return hash;
}

const TABS = [
  ["#/live", "Live"],
  ["#/history", "History"],
  ["#/stations", "Stations"],
  ["#/account", "Account"],
] as const;

/** The driver app: the in-vehicle dashboard at #/dashboard, otherwise the phone app behind sign-in. */
export function App() {
  const hash = useHash();
  const [account, setAccount] = useState<AccountCredential | null>(() => loadAccount(Date.now()));
  const client = useMemo(() => {
    const base = new CloudClient(location.origin);
    return account ? base.withToken(account.token) : base;
  }, [account]);
  if (hash.startsWith("#/dashboard")) return <DashboardView accountToken={account?.token ?? null} />;
  if (!account)
    return (
      <SignInView
        client={client}
        onSignedIn={(a) => {
          saveAccount(a);
          setAccount(a);
        }}
      />
    );
  return (
    <PhoneApp
      hash={hash}
      client={client}
      account={account}
      onSignOut={() => {
        saveAccount(null);
        setAccount(null);
      }}
    />
  );
}

function PhoneApp(props: {
  hash: string;
  client: CloudClient;
  account: AccountCredential;
  onSignOut: () => void;
}) {
  const feed = useCloudFeed(props.account.token);
  useEffect(() => {
    if (feed.status.refused) props.onSignOut();
  }, [feed.status.refused]);
  const receipt = /^#\/receipt\/(.+)$/.exec(props.hash);
  let view;
  if (receipt) view = <ReceiptView client={props.client} sessionId={decodeURIComponent(receipt[1]!)} />;
  else if (props.hash.startsWith("#/history")) view = <HistoryView client={props.client} />;
  else if (props.hash.startsWith("#/stations")) view = <StationsView client={props.client} />;
  else if (props.hash.startsWith("#/account"))
    view = <AccountView client={props.client} onSignOut={props.onSignOut} />;
  else view = <LiveView feed={feed} />;
  return (
    <div className="phone">
      <header className="bar">
        <span className="brand">chargemesh</span>
        <span className="who">{props.account.name}</span>
      </header>
      <Notices state={feed.state} client={props.client} />
      <main>{view}</main>
      <nav className="tabs">
        {TABS.map(([href, label]) => (
          <a key={href} href={href} className={props.hash.startsWith(href) ? "active" : ""}>
            {label}
          </a>
        ))}
      </nav>
    </div>
  );
}

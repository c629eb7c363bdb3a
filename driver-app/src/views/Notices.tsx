import { useEffect, useState } from "react";
import type { CloudClient } from "../api/cloudClient.js";
import type { FeedState } from "../live/feedState.js";

interface Notice {
  readonly id: string;
  readonly text: string;
}

/**
 * In-app notifications: charging ended (from the live feed), a receipt issued and a payment declined
 * (from history and standing, re-read when a session ends and every minute). Dismissable.
 */
export function Notices({ state, client }: { state: FeedState; client: CloudClient }) {
  const [notices, setNotices] = useState<Notice[]>([]);
  const [, setSeenReceipts] = useState<Set<string> | null>(null);
  // Dismissed notices stay dismissed while the page is open (the minute's poll would raise them again).
  const [dismissed] = useState(() => new Set<string>());
  const add = (n: Notice) =>
    setNotices((all) => (dismissed.has(n.id) || all.some((x) => x.id === n.id) ? all : [...all, n]));
  useEffect(() => {
    for (const id of state.ended) add({ id: `ended:${id}`, text: `Charging ended (${id.split(":")[0]}).` });
  }, [state.ended.length]);
  useEffect(() => {
    let cancelled = false;
    const poll = async () => {
      try {
        const [history, account] = await Promise.all([client.history(), client.account()]);
        if (cancelled) return;
        const withReceipt = new Set(history.sessions.filter((s) => s.hasReceipt).map((s) => s.sessionId));
        setSeenReceipts((seen) => {
          if (seen)
            for (const id of withReceipt)
              if (!seen.has(id)) add({ id: `receipt:${id}`, text: "Your receipt is ready." });
          return withReceipt;
        });
        if (account.standing.state === "good")
          setNotices((all) => all.filter((x) => !x.id.startsWith("standing:")));
        else
          add({
            id: `standing:${account.standing.state}`,
            text:
              account.standing.state === "blocked"
                ? "Payment declined: charging is blocked until the debt is settled."
                : "A payment was declined: settle the amount due in Account.",
          });
      } catch {
        // the live view shows the link state; notices wait for the next poll
      }
    };
    void poll();
    const t = setInterval(poll, 60_000);
    return () => {
      cancelled = true;
      clearInterval(t);
    };
  }, [client, state.ended.length]);
  if (notices.length === 0) return null;
  return (
    <div className="notices" role="status">
      {notices.map((n) => (
        <div key={n.id} className="notice">
          <span>{n.text}</span>
          <button
            aria-label="Dismiss"
            onClick={() => {
              dismissed.add(n.id);
              setNotices((all) => all.filter((x) => x.id !== n.id));
            }}
          >
            ×
          </button>
        </div>
      ))}
    </div>
  );
}

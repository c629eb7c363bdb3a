import type { LinkStatus } from "../live/cloudFeed.js";
import { liveSessions } from "../live/feedState.js";
import type { FeedState } from "../live/feedState.js";
import { SessionCard } from "./SessionCard.js";

/** The phone's live view: every running session of the account, as the cloud reports it. */
export function LiveView({ feed }: { feed: { state: FeedState; status: LinkStatus } }) {
  const sessions = liveSessions(feed.state);
  return (
    <section>
      <h2>Live</h2>
      <p className={`link ${feed.status.connected ? "ok" : "down"}`} data-link="cloud">
        {feed.status.connected ? "Connected to chargemesh cloud" : "Reconnecting to chargemesh cloud…"}
      </p>
      {sessions.length === 0 ? (
        <p className="empty">
          No session running. Plug in at any chargemesh stall: charging starts by itself.
        </p>
      ) : (
        sessions.map((f) => <SessionCard key={f.sessionId} f={f} />)
      )}
    </section>
  );
}

import { useEffect, useState } from "react";
import { CloudFeed, cloudFeedUrl } from "./cloudFeed.js";
import type { LinkStatus } from "./cloudFeed.js";
import { emptyFeedState } from "./feedState.js";
import type { FeedState } from "./feedState.js";
import { SiteFeed } from "./siteFeed.js";
import type { SiteFigures } from "./siteFeed.js";

const idle: LinkStatus = { connected: false, lastMessageAtMs: null, refused: null };

/** The cloud feed for `token` (account or session token), kept open while the component lives. */
export function useCloudFeed(token: string | null): { state: FeedState; status: LinkStatus } {
  const [value, setValue] = useState({ state: emptyFeedState, status: idle });
  useEffect(() => {
    if (!token) return;
    const feed = new CloudFeed(cloudFeedUrl(location.origin), token, (state, status) =>
      setValue({ state, status }),
    );
    feed.start();
    return () => feed.stop();
  }, [token]);
  return value;
}

/** The site's feed for the car's session token, kept open while the component lives. */
export function useSiteFeed(
  url: string | null,
  sessionToken: string | null,
): { figures: SiteFigures | null; status: LinkStatus } {
  const [value, setValue] = useState<{ figures: SiteFigures | null; status: LinkStatus }>({
    figures: null,
    status: idle,
  });
  useEffect(() => {
    if (!url || !sessionToken) return;
    const feed = new SiteFeed(url, sessionToken, (figures, status) => setValue({ figures, status }));
    feed.start();
    return () => feed.stop();
  }, [url, sessionToken]);
  return value;
}

/** The current time, re-read every second (for "since" and freshness labels). */
export function useNow(everyMs = 1_000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(t);
  }, [everyMs]);
  return now;
}

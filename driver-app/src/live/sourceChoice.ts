import type { LinkStatus } from "./cloudFeed.js";

/** A feed counts as silent when it sent nothing for this long while a session runs. */
export const SILENT_AFTER_MS = 10_000;

export interface SourceChoice {
  readonly source: "cloud" | "site" | "none";
  /** Since when the cloud has sent nothing (its last message, or null when it never spoke); null while it is live. */
  readonly cloudSilentSinceMs: number | null;
}

/**
 * Which feed the dashboard shows: the cloud while it is connected and spoke within the window,
 * otherwise the site while it is, otherwise none. Pure.
 */
export function chooseSource(cloud: LinkStatus, site: LinkStatus | null, nowMs: number): SourceChoice {
  const fresh = (s: LinkStatus | null) =>
    !!s && s.connected && s.lastMessageAtMs !== null && nowMs - s.lastMessageAtMs < SILENT_AFTER_MS;
  if (fresh(cloud)) return { source: "cloud", cloudSilentSinceMs: null };
  return { source: fresh(site) ? "site" : "none", cloudSilentSinceMs: cloud.lastMessageAtMs };
}

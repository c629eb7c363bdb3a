import {
  driverFeedCloseCodes,
  driverFeedProtocols,
  parseFeedServerMessage,
} from "@chargemesh/shared-model/contracts";
import { applyFeedMessage, emptyFeedState, resumePositions } from "./feedState.js";
import type { FeedState } from "./feedState.js";

export interface LinkStatus {
  readonly connected: boolean;
  /** When the last message arrived (browser clock), null before the first. */
  readonly lastMessageAtMs: number | null;
  /** Why the link stopped for good (a refused credential), null while it retries. */
  readonly refused: string | null;
}

const RETRY_MS = [500, 1_000, 2_000, 5_000, 10_000];

/**
 * The cloud's live feed for the app: opens the WebSocket with the token in the handshake, sends its
 * resume positions on every (re)connect so the view continues with no gap and no duplicate, retries
 * with backoff while the cloud is unreachable, stops when the credential is refused.
 */
export class CloudFeed {
  private ws: WebSocket | null = null;
  private state: FeedState = emptyFeedState;
  private status: LinkStatus = { connected: false, lastMessageAtMs: null, refused: null };
  private attempts = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;

  constructor(
    private readonly url: string,
    private readonly token: string,
    private readonly onChange: (state: FeedState, status: LinkStatus) => void,
  ) {}

  start(): void {
    this.stopped = false;
    this.open();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.ws?.close();
  }

  private open(): void {
    let ws: WebSocket;
    try {
      ws = new WebSocket(this.url, driverFeedProtocols(this.token));
    } catch {
      return this.retry();
    }
    this.ws = ws;
    ws.onopen = () => {
      this.attempts = 0;
      ws.send(JSON.stringify({ type: "resume", positions: resumePositions(this.state) }));
      this.update({ connected: true });
    };
    ws.onmessage = (e) => {
      const m = typeof e.data === "string" ? parseFeedServerMessage(e.data) : null;
      if (!m) return;
      this.state = applyFeedMessage(this.state, m);
      this.update({ lastMessageAtMs: Date.now() });
    };
    ws.onclose = (e) => {
      this.ws = null;
      if (e.code === driverFeedCloseCodes.unauthorized || e.code === driverFeedCloseCodes.expired) {
        this.update({ connected: false, refused: "the credential was refused; sign in again" });
        return;
      }
      this.update({ connected: false });
      this.retry();
    };
  }

  private retry(): void {
    if (this.stopped) return;
    const wait = RETRY_MS[Math.min(this.attempts++, RETRY_MS.length - 1)]!;
    this.timer = setTimeout(() => this.open(), wait);
  }

  private update(patch: Partial<LinkStatus>): void {
    this.status = { ...this.status, ...patch };
    this.onChange(this.state, this.status);
  }
}

/** The live feed URL of the cloud this page was served from. */
export function cloudFeedUrl(origin: string): string {
  return `${origin.replace(/^http/, "ws")}/api/live`;
}

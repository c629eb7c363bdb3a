import { liveFeedProtocols, parseLiveFeedMessage } from "@chargemesh/shared-model/contracts";
import type { LinkStatus } from "./cloudFeed.js";

/** What the site's own feed says of the car's session. */
export interface SiteFigures {
  readonly sessionId: string | null;
  readonly stallId: string;
  readonly powerW: number;
  readonly energyWh: number | null;
  readonly socPermille: number | null;
  readonly atMs: number;
}

const RETRY_MS = [500, 1_000, 2_000, 5_000];

/**
 * The site's live feed (`/live` of the site controller the car is plugged into), read with the car's
 * session token: the dashboard's source while the cloud is unreachable. Retries with backoff.
 */
export class SiteFeed {
  private ws: WebSocket | null = null;
  private status: LinkStatus = { connected: false, lastMessageAtMs: null, refused: null };
  private figures: SiteFigures | null = null;
  private attempts = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;

  constructor(
    private readonly url: string,
    private readonly sessionToken: string,
    private readonly onChange: (figures: SiteFigures | null, status: LinkStatus) => void,
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
      ws = new WebSocket(this.url, liveFeedProtocols(this.sessionToken));
    } catch {
      return this.retry();
    }
    this.ws = ws;
    ws.onopen = () => {
      this.attempts = 0;
      this.update({ connected: true });
    };
    ws.onmessage = (e) => {
      const m = typeof e.data === "string" ? parseLiveFeedMessage(e.data) : null;
      if (!m || m.type !== "telemetry" || !m.sessionId) return;
      this.figures = {
        sessionId: m.sessionId,
        stallId: m.stallId,
        powerW: m.powerW,
        energyWh: m.sessionEnergyWh ?? null,
        socPermille: m.socPermille ?? null,
        atMs: m.atMs,
      };
      this.update({ lastMessageAtMs: Date.now() });
    };
    ws.onclose = () => {
      this.ws = null;
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
    this.onChange(this.figures, this.status);
  }
}

import type { Clock } from "@chargemesh/shared-model";
import { liveTelemetryMessage } from "@chargemesh/shared-model";
import type { LiveStallFigures, LiveTelemetry } from "@chargemesh/shared-model";

export const LIVE_INTERVAL_DEFAULT_MS = 5_000;
export const LIVE_INTERVAL_MIN_MS = 1_000;
export const LIVE_INTERVAL_MAX_MS = 5_000;

export interface LiveTelemetryPublisherOptions {
  readonly siteId: string;
  /** The site's injected clock: the schedule follows it, so virtual-time runs publish on virtual time. */
  readonly clock: Clock;
  /** Between two messages, 1-5 s (default 5 s). */
  readonly intervalMs?: number;
  /** The site's figures at this instant, one entry per stall. */
  readonly figures: () => readonly LiveStallFigures[];
  /** Sends the message (the site's root handle's `broadcast`: ephemeral, no delivery guarantee). */
  readonly broadcast: (message: LiveTelemetry) => void;
}

/**
 * Publishes the site's live figures every `intervalMs` of the site's clock. It has no timer of its
 * own: the site's control loop calls `tick()` and the publisher sends when a message is due.
 */
export class LiveTelemetryPublisher {
  readonly intervalMs: number;
  private nextDueMs: number | null = null;
  private seq = 0;
  private sentCount = 0;

  /** Fails with a RangeError when the interval is outside 1-5 s or not an integer. */
  constructor(private readonly opts: LiveTelemetryPublisherOptions) {
    const interval = opts.intervalMs ?? LIVE_INTERVAL_DEFAULT_MS;
    if (!Number.isInteger(interval) || interval < LIVE_INTERVAL_MIN_MS || interval > LIVE_INTERVAL_MAX_MS) {
      throw new RangeError(
        `live telemetry interval must be an integer of ${LIVE_INTERVAL_MIN_MS}-${LIVE_INTERVAL_MAX_MS} ms, got ${interval}`,
      );
    }
    this.intervalMs = interval;
  }

  /** Sends a message when one is due (the first at the first tick); returns whether it sent. Never throws: a failing figure source or broadcast skips this message. */
  tick(): boolean {
    const now = this.opts.clock.now();
    if (this.nextDueMs !== null && now < this.nextDueMs) return false;
    // Next due on the interval's grid from the first message; after a long pause, from now.
    this.nextDueMs =
      this.nextDueMs === null || now - this.nextDueMs >= this.intervalMs
        ? now + this.intervalMs
        : this.nextDueMs + this.intervalMs;
    return this.publishNow() !== null;
  }

  /** Sends the figures of this instant now, outside the schedule; the message sent, or null if building or sending it failed. */
  publishNow(): LiveTelemetry | null {
    try {
      const message = liveTelemetryMessage(
        this.opts.siteId,
        ++this.seq,
        this.opts.clock.now(),
        this.opts.figures(),
      );
      this.opts.broadcast(message);
      this.sentCount++;
      return message;
    } catch {
      return null;
    }
  }

  /** Messages handed to the broadcast so far. */
  get sent(): number {
    return this.sentCount;
  }
}

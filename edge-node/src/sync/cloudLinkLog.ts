import type { Logger } from "pino";
import { Counter } from "prom-client";
import type { Registry } from "prom-client";
import type { Clock } from "@chargemesh/shared-model";
import type { LinkEvent } from "@chargemesh/automerge-network-libp2p";

/**
 * What the operator's log says of the site's links to its cloud peers: a lost link once, with the
 * stream's error; the first failed dial after it, with the dial's error (later failures are counted,
 * not logged, since the site redials every few seconds); the link back up, with how long it was down
 * and how many dials failed meanwhile. Counts every event in
 * `chargemesh_site_cloud_link_events_total{event}` once `observe` has a registry. Never throws.
 */
export class CloudLinkLog {
  private readonly down = new Map<
    string,
    { sinceMs: number; failedDials: number; lastError: string | null }
  >();
  private counter: Counter<"event"> | null = null;

  constructor(
    private readonly log: Logger,
    private readonly clock: Clock,
  ) {}

  /** Registers the event counter (the site's metrics are made after its sync adapter). */
  observe(registry: Registry): void {
    this.counter = new Counter({
      name: "chargemesh_site_cloud_link_events_total",
      help: "Links to cloud peers: up, lost, dial_failed",
      labelNames: ["event"],
      registers: [registry],
    });
    for (const event of ["up", "lost", "dial_failed"]) this.counter.inc({ event }, 0);
  }

  readonly onLink = (e: LinkEvent): void => {
    this.counter?.inc({ event: e.type });
    const now = this.clock.now();
    const down = this.down.get(e.remote);
    if (e.type === "up") {
      this.down.delete(e.remote);
      this.log.info(
        down
          ? {
              peer: e.remote,
              downMs: now - down.sinceMs,
              failedDials: down.failedDials,
              lastError: down.lastError,
            }
          : { peer: e.remote },
        "cloud link up",
      );
    } else if (e.type === "lost") {
      this.down.set(e.remote, { sinceMs: now, failedDials: 0, lastError: null });
      this.log.warn({ peer: e.remote, why: e.reason }, "cloud link lost; redialing");
    } else {
      const state = down ?? { sinceMs: now, failedDials: 0, lastError: null };
      if (state.failedDials === 0)
        this.log.warn(
          { peer: e.remote, why: e.reason },
          "cloud peer unreachable; redialing (further failures counted)",
        );
      state.failedDials++;
      state.lastError = e.reason;
      this.down.set(e.remote, state);
    }
  };
}

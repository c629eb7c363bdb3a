import type { VirtualClock } from "@chargemesh/shared-model";
import { SiteController } from "../siteController.js";
import type { SiteControllerOptions } from "../siteController.js";
import { startLocalApi } from "../api/localApi.js";
import type { LocalApi, SessionTokenCheck } from "../api/localApi.js";

export interface RunningSite {
  readonly controller: SiteController;
  readonly api: LocalApi | null;
  /** Stops ticking, closes the API and the store. Idempotent. */
  stop(): Promise<void>;
}

export interface RuntimeOptions extends SiteControllerOptions {
  /** Serve the local API (for the kiosk and cars); null to run headless. */
  readonly api: { readonly host: string; readonly port: number } | null;
  readonly checkSessionToken: SessionTokenCheck | null;
  readonly currentPlan: () => unknown;
  /** Called before every tick: simulated hardware advances to the clock's present here. */
  readonly beforeTick?: () => void;
}

/** Starts a site on real time: a tick every `config.tickIntervalMs`, the local API on its port. */
export async function runSiteRealTime(opts: RuntimeOptions): Promise<RunningSite> {
  const controller = await SiteController.start(opts);
  const api = opts.api
    ? await startLocalApi(
        {
          siteId: opts.config.siteId,
          clock: opts.clock,
          gridLimitW: () => opts.config.gridLimitW,
          orchestrator: controller.orchestrator,
          journal: controller.journal,
          technicians: opts.config.technicians,
          checkSessionToken: opts.checkSessionToken,
          currentPlan: opts.currentPlan,
          metrics: controller.metrics.registry,
        },
        opts.api.host,
        opts.api.port,
      )
    : null;
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    opts.beforeTick?.();
    controller.tick().finally(() => (busy = false));
  }, opts.config.tickIntervalMs);
  let stopped: Promise<void> | null = null;
  return {
    controller,
    api,
    stop: () =>
      (stopped ??= (async () => {
        clearInterval(timer);
        await api?.close();
        await controller.stop();
      })()),
  };
}

/**
 * Drives a site on virtual time from the clock's present to `untilMs` in steps of `stepMs`, calling
 * `each` after every tick (arrivals, departures). Resolves when the clock reaches `untilMs`.
 */
export async function runVirtual(controller: SiteController, clock: VirtualClock, untilMs: number, stepMs: number, each: (nowMs: number) => void | Promise<void>, beforeTick?: () => void): Promise<void> {
  while (clock.now() < untilMs) {
    clock.advance(stepMs);
    beforeTick?.();
    await controller.tick();
    await each(clock.now());
  }
}

import type { VirtualClock } from "@chargemesh/shared-model";
import { SiteController } from "../siteController.js";
import type { SiteControllerOptions } from "../siteController.js";
import { startLocalApi } from "../api/localApi.js";
import type { LocalApi } from "../api/localApi.js";
import type { LocalApiDeps } from "../api/localApiDeps.js";
import type { PlanRecord } from "../power/powerManagerTypes.js";

export interface RunningSite {
  readonly controller: SiteController;
  readonly api: LocalApi | null;
  /** Stops ticking, closes the API and the store. Idempotent. */
  stop(): Promise<void>;
}

export interface RuntimeOptions extends SiteControllerOptions {
  /** Serve the local API (for the kiosk and cars); null to run headless. */
  readonly api: { readonly host: string; readonly port: number } | null;
  readonly currentPlan: () => PlanRecord | null;
  /** Further local API parts (the OCPP chargers' list and remote control). */
  readonly apiExtras?: Pick<LocalApiDeps, "ocppChargers" | "chargers">;
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
          checkSessionToken: (t) => controller.checkSessionToken(t),
          currentPlan: opts.currentPlan,
          metrics: controller.metrics.registry,
          ...opts.apiExtras,
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

const macrotask = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Drives a site on virtual time, from the clock's present to `untilMs`, as a discrete-event run: the
 * clock moves in `stepMs` steps, `advanceHardware` brings the simulated hardware to each instant, a
 * tick starts every `tickMs` (ticks are serialized), and `each` runs after every step (arrivals,
 * departures). A tick waiting on hardware time (a power stage's reaction delay) simply continues
 * in a later step, as it would in real time. Resolves when the clock reaches `untilMs` and the last
 * tick has finished.
 */
export async function runVirtual(opts: {
  readonly controller: SiteController;
  readonly clock: VirtualClock;
  readonly untilMs: number;
  readonly stepMs: number;
  readonly tickMs: number;
  readonly advanceHardware: (nowMs: number) => void;
  readonly each?: (nowMs: number) => void | Promise<void>;
}): Promise<void> {
  const { controller, clock } = opts;
  let nextTick = clock.now() + opts.tickMs;
  let chain: Promise<void> = Promise.resolve();
  let inFlight = 0;
  while (clock.now() < opts.untilMs) {
    clock.advance(opts.stepMs);
    opts.advanceHardware(clock.now());
    if (clock.now() >= nextTick) {
      nextTick += opts.tickMs;
      if (inFlight < 2) {
        inFlight++;
        chain = chain.then(() => controller.tick()).finally(() => void inFlight--);
      }
    }
    // One macrotask turn lets every tick that is not waiting on simulated time run to completion.
    await macrotask();
    await opts.each?.(clock.now());
  }
  while (inFlight > 0) {
    clock.advance(opts.stepMs);
    opts.advanceHardware(clock.now());
    await macrotask();
  }
  await chain;
}

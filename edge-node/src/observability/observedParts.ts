import { performance } from "node:perf_hooks";
import type { Meter } from "@chargemesh/hal";
import type { Authorizer } from "../auth/authorizer.js";

export interface FaultLog {
  warn(o: object, m: string): void;
  info(o: object, m: string): void;
}

/**
 * A meter whose read faults are counted (`onFault(code)` on every failed read) and logged once per
 * outage: when reads start failing, and again when the meter answers. Reads pass through unchanged.
 */
export function observedMeter(
  meter: Meter,
  meterId: string,
  onFault: (code: string) => void,
  log: FaultLog,
): Meter {
  let failing: string | null = null;
  return new Proxy(meter, {
    get(target, prop, receiver) {
      if (prop !== "read") {
        const v: unknown = Reflect.get(target, prop, receiver);
        return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      }
      return async () => {
        const r = await target.read();
        if (!r.ok) {
          onFault(r.fault);
          if (failing !== r.fault)
            log.warn({ meter: meterId, fault: r.fault, detail: r.message }, "meter cannot be read");
          failing = r.fault;
        } else if (failing !== null) {
          log.info({ meter: meterId, after: failing }, "meter answers again");
          failing = null;
        }
        return r;
      };
    },
  });
}

/** An authorizer whose decisions are timed (wall-clock seconds, for the latency histogram); decisions pass through unchanged. */
export function timedAuthorizer(
  inner: Authorizer,
  observe: (seconds: number, accepted: boolean) => void,
): Authorizer {
  return {
    async authorize(req) {
      const start = performance.now();
      const decision = await inner.authorize(req);
      observe((performance.now() - start) / 1000, decision.accepted);
      return decision;
    },
  };
}

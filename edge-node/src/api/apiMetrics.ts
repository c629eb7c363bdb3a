import { Counter, Gauge } from "prom-client";
import type { Registry } from "prom-client";

/** The local API's metrics, on the site's registry (reused when the API restarts in one process). */
export function localApiMetrics(registry: Registry) {
  const counter = (name: string, help: string, labelNames: string[]) =>
    (registry.getSingleMetric(name) as Counter<string> | undefined) ??
    new Counter({ name, help, labelNames, registers: [registry] });
  return {
    requests: counter(
      "chargemesh_local_api_requests_total",
      "Local API requests answered, by route and status",
      ["route", "status"],
    ),
    refused: counter(
      "chargemesh_local_api_refused_total",
      "Connections and requests refused before authentication, by limit",
      ["limit"],
    ),
    credentialFailures: counter(
      "chargemesh_local_api_credential_failures_total",
      "Wrong credentials presented to the local API",
      [],
    ),
    liveSubscribers:
      (registry.getSingleMetric("chargemesh_local_api_live_subscribers") as Gauge<string> | undefined) ??
      new Gauge({
        name: "chargemesh_local_api_live_subscribers",
        help: "Live feed subscribers connected",
        registers: [registry],
      }),
  };
}
export type LocalApiMetrics = ReturnType<typeof localApiMetrics>;

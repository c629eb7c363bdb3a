import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { SessionOrchestrator } from "../session/sessionOrchestrator.js";

/** The edge-node's Prometheus metrics; one registry per site so several sites can share a process. */
export class SiteMetrics {
  readonly registry = new Registry();
  readonly sessions = new Counter({
    name: "chargemesh_sessions_total",
    help: "Sessions by final outcome",
    labelNames: ["outcome", "reason"],
    registers: [this.registry],
  });
  readonly ledgerRecords = new Counter({
    name: "chargemesh_ledger_records_total",
    help: "Signed meter records appended",
    labelNames: ["kind"],
    registers: [this.registry],
  });
  readonly meterFaults = new Counter({
    name: "chargemesh_meter_faults_total",
    help: "Meter read faults",
    labelNames: ["code"],
    registers: [this.registry],
  });
  readonly authSeconds = new Histogram({
    name: "chargemesh_authorization_seconds",
    help: "Local authorization latency (wall clock), by outcome",
    labelNames: ["outcome"],
    buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5, 2],
    registers: [this.registry],
  });
  readonly sitePowerW = new Gauge({
    name: "chargemesh_site_power_watts",
    help: "Summed measured draw of all stalls",
    registers: [this.registry],
  });
  readonly siteLimitW = new Gauge({
    name: "chargemesh_site_limit_watts",
    help: "Grid limit in force",
    registers: [this.registry],
  });
  readonly stallsCharging = new Gauge({
    name: "chargemesh_stalls_charging",
    help: "Stalls with an active session",
    registers: [this.registry],
  });

  constructor(labels: Record<string, string>, defaults = false) {
    this.registry.setDefaultLabels(labels);
    if (defaults) collectDefaultMetrics({ register: this.registry });
  }

  /** Keeps the gauges and counters in step with an orchestrator's events. */
  observe(orchestrator: SessionOrchestrator): void {
    orchestrator.on("session", (s) => {
      if (s.state === "completed" || s.state === "rejected" || s.state === "failed") {
        this.sessions.inc({ outcome: s.state, reason: s.stopReason ?? s.authorization?.reason ?? "none" });
      }
    });
    orchestrator.on("stall", () => {
      const views = orchestrator.stallViews();
      this.sitePowerW.set(views.reduce((a, v) => a + v.powerW, 0));
      this.stallsCharging.set(views.filter((v) => v.phase === "charging").length);
    });
  }
}

import type { CloudBillingFigures, CloudSiteSync, SiteFigures } from "./childMessages.js";
import type { NetworkSnapshot } from "./networkSupervisor.js";

/**
 * The console's running summary of a network snapshot: a heading with the wall-clock time, then one
 * line per site (state, simulated time, sessions open and completed, energy delivered, power against
 * the grid limit, the cloud's view of its sync), one for the cloud and one for billing (invoices
 * written, sessions paid, amount captured, declines; paid through the payment simulator). Pure; never throws.
 */
export function runningSummary(s: NetworkSnapshot): string[] {
  const connected = s.sites.filter((x) => x.sync?.connected).length;
  const width = Math.max(6, ...s.sites.map((x) => x.siteId.length));
  return [
    `chargemesh ${clockTime(s.atMs, true)} UTC, ${s.speed}x real time`,
    ...s.sites.map(
      (x) =>
        `  ${x.siteId.padEnd(width)}  ${processState(x.up, x.restarts).padEnd(16)} ${x.figures ? siteFigures(x.figures) : "no figures yet"}  cloud: ${s.cloud.up ? syncState(x.sync, s.atMs) : "down"}`,
    ),
    `  ${"cloud".padEnd(width)}  ${processState(s.cloud.up, s.cloud.restarts).padEnd(16)} ${connected} of ${s.sites.length} sites connected`,
    `  ${"billing".padEnd(width)}  ${billingFigures(s.cloud.billing)}`,
  ];
}

function processState(up: boolean, restarts: number): string {
  const state = up ? "up" : "restarting";
  return restarts === 0 ? state : `${state} (${restarts}x)`;
}

function siteFigures(f: SiteFigures): string {
  const share = f.gridLimitW > 0 ? Math.round((f.powerW * 100) / f.gridLimitW) : 0;
  return [
    `sim ${clockTime(f.simulatedNowMs, false)}${f.dayComplete ? " (day complete)" : ""}`,
    `sessions ${String(f.sessionsOpen).padStart(3)} open ${String(f.sessionsCompleted).padStart(4)} completed`,
    `energy ${decimal(f.energyWh).padStart(8)} kWh`,
    `power ${decimal(f.powerW).padStart(6)} of ${decimal(f.gridLimitW)} kW (${share}%)`,
  ].join("  ");
}

function billingFigures(b: CloudBillingFigures | null): string {
  if (!b) return "no figures yet (payments go to the payment SIMULATOR: no real card is charged)";
  return [
    `${b.invoices} invoice${b.invoices === 1 ? "" : "s"} written`,
    `${b.sessionsPaid} paid`,
    `${money(b.capturedMinor)} ${b.currency} captured`,
    `${b.paymentsDeclined} declined (payment SIMULATOR: no real card is charged)`,
  ].join(", ");
}

/** Minor units (a decimal integer string) as units with two decimals, without floats. */
function money(minor: string): string {
  const n = /^\d+$/.test(minor) ? minor.padStart(3, "0") : "000";
  return `${n.slice(0, -2).replace(/^0+(?=\d)/, "")}.${n.slice(-2)}`;
}

function syncState(sync: CloudSiteSync | null, nowMs: number): string {
  if (!sync) return "not reported yet";
  const contact =
    sync.lastContactMs === null
      ? "no contact yet"
      : `last contact ${Math.max(0, Math.floor((nowMs - sync.lastContactMs) / 1000))} s ago`;
  return `${sync.connected ? "connected" : "not connected"}, ${sync.documentsBehind} document${sync.documentsBehind === 1 ? "" : "s"} behind, ${contact}`;
}

/** An integer count of milli-units (Wh, W) as units with one decimal (kWh, kW), without floats. */
export function decimal(milli: number): string {
  const n = Math.max(0, Math.round(milli));
  return `${Math.floor(n / 1000)}.${Math.floor((n % 1000) / 100)}`;
}

function clockTime(ms: number, seconds: boolean): string {
  return new Date(ms).toISOString().slice(11, seconds ? 19 : 16);
}

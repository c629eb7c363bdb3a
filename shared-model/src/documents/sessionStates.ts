/**
 * The one list of session states. A site moves its sessions through `SITE_STATES`; the cloud writes
 * `CLOUD_STATES` about them. Terminal site states are final (the lattice never leaves them).
 */
export const SITE_STATES = [
  "authorizing",
  "charging",
  "stopping",
  "completed",
  "rejected",
  "failed",
] as const;
export type SiteState = (typeof SITE_STATES)[number];

export const TERMINAL_SITE_STATES: ReadonlySet<SiteState> = new Set<SiteState>([
  "completed",
  "rejected",
  "failed",
]);

/** True for completed, rejected and failed: a session the site will never change again. */
export function isTerminalSiteState(state: string): boolean {
  return TERMINAL_SITE_STATES.has(state as SiteState);
}

export const CLOUD_STATES = [
  "acknowledged",
  "rated",
  "invoiced",
  "payment_pending",
  "payment_retrying",
  "paid",
  "declined",
  "written_off",
] as const;
export type CloudState = (typeof CLOUD_STATES)[number];

export const STOP_REASONS = [
  "full",
  "unplugged",
  "driver_stop",
  "technician_stop",
  "meter_fault",
  "power_fault",
  "risk_cap",
  "controller_restart",
] as const;
export type StopReason = (typeof STOP_REASONS)[number];

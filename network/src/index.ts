export * from "./networkProcess.js";
export type { NetworkSnapshot, NetworkUrls } from "./networkSupervisor.js";
export type { PrintedUrl } from "./printUrls.js";
export type { ChildEvent } from "./supervisedChild.js";
export type { SiteFigures, CloudSiteSync } from "./childMessages.js";

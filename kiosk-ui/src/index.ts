/** The kiosk's pure parts (what tests and the Electron shell import); the renderer starts in main.tsx. */
export { verifySessionLedger } from "./verify/sessionVerification.js";
export type { SessionVerification } from "./verify/sessionVerification.js";
export { kioskClient } from "./api/kioskClient.js";

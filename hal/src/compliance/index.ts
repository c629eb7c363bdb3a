/**
 * The compliance suites every hal driver passes (vitest tests; call them inside a test file), exported
 * as `@chargemesh/hal/compliance` so drivers outside hal (edge-node's OCPP EVSEs) run the same suites.
 */
export * from "./meterCompliance.js";
export * from "./powerStageCompliance.js";
export * from "./secureElementCompliance.js";
export * from "./vehicleLinkCompliance.js";

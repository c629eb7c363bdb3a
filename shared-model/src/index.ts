export * from "./ids.js";
export * from "./errors.js";
export * from "./errorMapping.js";
export * from "./clock.js";
export * from "./ledger/meterRecordTypes.js";

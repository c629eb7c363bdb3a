export * from "./simulatedSite.js";
export * from "./arrivalPlan.js";
export * from "./simContracts.js";
export * from "./attackCases.js";
export * from "./demoLedger.js";

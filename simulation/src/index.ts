export * from "./simulatedSite.js";
export * from "./arrivalPlan.js";
export * from "./simContracts.js";
export * from "./attackCases.js";
export * from "./demoLedger.js";
export * from "./ocpp/index.js";
export * from "./simProvisioning.js";
export * from "./simCloudConfig.js";

export * from "./meter.js";
export * from "./powerStage.js";
export * from "./vehicleLink.js";
export * from "./secureElement.js";

export * from "./simulatedOcppCharger.js";

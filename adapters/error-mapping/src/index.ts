export * from "./errorMapping.js";
export * from "./cloudApiCodes.js";

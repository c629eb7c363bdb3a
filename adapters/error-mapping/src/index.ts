export * from "./errorMapping.js";

export * from "./certificateIssuer.js";

export * from "./auth/authorizer.js";

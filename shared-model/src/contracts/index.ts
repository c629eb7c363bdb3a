export * from "./cloudApi.js";
export * from "./driverFeed.js";

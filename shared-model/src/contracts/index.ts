/** The typed messages of the site's local API and live feed (`@chargemesh/shared-model/contracts`). */
export * from "./localApi.js";
export * from "./liveFeed.js";
export * from "./cloudApi.js";
export * from "./driverFeed.js";

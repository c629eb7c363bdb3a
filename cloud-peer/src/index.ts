export * from "./sync/cloudPeer.js";
export * from "./http/cloudApi.js";

export * from "./sync/cloudPeer.js";
export * from "./http/cloudApi.js";
export * from "./pki/chargemeshPki.js";

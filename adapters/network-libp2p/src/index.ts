export { Libp2pNetworkAdapter, SYNC_PROTOCOL } from "./libp2pNetworkAdapter.js";
export type { Libp2pNetworkAdapterOptions } from "./libp2pNetworkAdapter.js";
export { createSyncNode } from "./syncNode.js";
export type { SyncNodeOptions } from "./syncNode.js";
export { CLOUD_CONNECTION_LIMITS } from "./connectionLimits.js";
export type { ConnectionLimits } from "./connectionLimits.js";
export { PeerRegistry, registeredPeersGater } from "./peerAdmission.js";
export { exitOnUnexpectedErrors, isAutomergeRepoReadyTimeout } from "./repoCrashPolicy.js";
export { encodeFrame, FrameDecoder } from "./frameCodec.js";

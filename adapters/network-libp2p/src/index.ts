export { Libp2pNetworkAdapter, SYNC_PROTOCOL } from "./libp2pNetworkAdapter.js";
export type { Libp2pNetworkAdapterOptions } from "./libp2pNetworkAdapter.js";
export { createSyncNode } from "./syncNode.js";
export { PeerRegistry, registeredPeersGater } from "./peerAdmission.js";

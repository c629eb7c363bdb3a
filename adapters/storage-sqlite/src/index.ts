export { SqliteStorageAdapter } from "./sqliteStorageAdapter.js";
export type { QuarantinedChunk } from "./sqliteStorageAdapter.js";
export { writeFileDurably } from "./durableFile.js";

export { SqliteStorageAdapter } from "./sqliteStorageAdapter.js";
export { writeFileDurably } from "./durableFile.js";

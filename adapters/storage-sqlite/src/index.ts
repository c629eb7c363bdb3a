export { SqliteStorageAdapter } from "./sqliteStorageAdapter.js";

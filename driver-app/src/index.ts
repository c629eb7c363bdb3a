/** The driver app's pure pieces (feed state, source choice, display formats), for tests and embedding. */
export * from "./live/feedState.js";
export * from "./live/sourceChoice.js";
export * from "./format.js";

import { expect, test } from "vitest";

test("the shared-model barrel loads and exposes the core API", async () => {
  const m = await import("@chargemesh/shared-model");
  for (const name of [
    "decodeSignedRecord",
    "verifyChains",
    "verifyAuditBundle",
    "allocatePower",
    "joinSessionFacts",
    "verifySessionToken",
    "newSessionId",
  ]) {
    expect(typeof (m as Record<string, unknown>)[name], name).toBe("function");
  }
});

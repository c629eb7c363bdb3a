import { test, expect } from "vitest";
test("workspace loads", async () => {
  const m = await import("@chargemesh/shared-model");
  expect(typeof m).toBe("object");
});

import { describe, expect, test } from "vitest";
import { buildAttackCases } from "../src/attackCases.js";

const cases = await buildAttackCases();

describe("attack catalogue: each hostile input is refused with its own reason", () => {
  for (const c of cases) {
    test(`${c.name} -> ${c.expected}`, async () => {
      expect(await c.run()).toBe(c.expected);
    });
  }
});

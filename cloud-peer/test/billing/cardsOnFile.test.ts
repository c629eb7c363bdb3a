import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import pino from "pino";
import { CardsOnFile } from "../../src/billing/cardsOnFile.js";

const dir = mkdtempSync(join(tmpdir(), "cm-cards-on-file-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const log = pino({ level: "silent" });

it("a replaced card survives a reopen (a cloud restart), in a 0600 file; other accounts keep their first card", () => {
  const path = join(dir, "cards.json");
  const cards = CardsOnFile.open(path, log, 1);
  expect(cards.get("acct-7")).toBeNull();
  cards.set("acct-7", { paymentMethod: "pm_sim_visa_acct-7_01", network: "visa" });
  cards.set("acct-7", { paymentMethod: "pm_sim_mastercard_acct-7_02", network: "mastercard" });
  expect(statSync(path).mode & 0o777).toBe(0o600);
  const reopened = CardsOnFile.open(path, log, 2);
  expect(reopened.get("acct-7")).toEqual({
    paymentMethod: "pm_sim_mastercard_acct-7_02",
    network: "mastercard",
  });
  expect(reopened.get("acct-8")).toBeNull();
});

it("a damaged file is moved aside, not deleted, and the store starts empty", () => {
  for (const [name, text] of [
    ["truncated", '{"version":1,"cards":{"acct-1":{"paymentMeth'],
    ["wrong shape", '{"version":1,"cards":{"acct-1":{"paymentMethod":"","network":"amex"}}}'],
  ] as const) {
    const sub = mkdtempSync(join(dir, "damaged-"));
    const path = join(sub, "cards.json");
    writeFileSync(path, text);
    const cards = CardsOnFile.open(path, log, 42);
    expect(cards.get("acct-1"), name).toBeNull();
    expect(existsSync(path), name).toBe(false);
    expect(readdirSync(sub), name).toEqual(["cards.json.damaged-42"]);
  }
});

import { expect, test } from "vitest";
import { siteDiagnostics } from "../../src/api/siteDiagnostics.js";

test("diagnostics list the site's OCPP chargers, and a failing charger source shows none instead of failing the page", () => {
  expect(siteDiagnostics([], [], [], () => [{ chargerId: "cp-1", connected: false }]).ocppChargers).toEqual([
    { chargerId: "cp-1", connected: false },
  ]);
  expect(siteDiagnostics([], [], []).ocppChargers).toEqual([]);
  const failing = () => {
    throw new Error("server gone");
  };
  expect(siteDiagnostics([], [], [], failing).ocppChargers).toEqual([]);
});

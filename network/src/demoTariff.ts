import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseJsonKeepingNumbers, parseTariffs } from "@chargemesh/shared-model";
import type { ConfigDocument, OcpiTariff } from "@chargemesh/shared-model";

/** The demo tariff's file: an OCPI 2.2.1 Tariff object (docs/billing.md, "npm start"). */
export const DEMO_TARIFF_FILE = fileURLToPath(new URL("../demo-tariff.json", import.meta.url));

/** The time zone the simulated sites stand in: the demo tariff's time restrictions are local time there. */
export const DEMO_TIME_ZONE = "Europe/Berlin";

/** The demo tariff as the reconciler rates with it (prices kept exact). Throws when the file is not a valid OCPI tariff. */
export function loadDemoTariffs(file = DEMO_TARIFF_FILE): OcpiTariff[] {
  const json = parseJsonKeepingNumbers(readFileSync(file, "utf8"));
  if (!json.ok) throw json.error;
  const tariffs = parseTariffs(json.value);
  if (!tariffs.ok) throw tariffs.error;
  return tariffs.value;
}

/**
 * The figures the cloud's config documents carry for the live "cost so far" and the station finder
 * (an estimate; the invoice is rated with the OCPI tariff): the day price and session fee of the demo
 * tariff, VAT included, in euro cents (0.39 EUR/kWh + 19 % = 46.41 → 46; 1.00 EUR + 19 % = 119).
 */
export const DEMO_CONFIG_TARIFF: ConfigDocument["tariffs"][number] = {
  id: "chargemesh-demo",
  energyMinorPerKWh: 46,
  sessionFeeMinor: 119,
  currency: "EUR",
  validFromMs: 0,
};

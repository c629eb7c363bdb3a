import { liveSessionCost, minorUnitExponent, readConfigOcpiTariffs } from "@chargemesh/shared-model";
import type { ConfigDocument } from "@chargemesh/shared-model";
import type { TransactionSummary } from "./ocppTransactionLog.js";

/** A transaction's total cost for a charger: major currency units, VAT included, or null when unknown. */
export type OcppTotalCost = (tx: TransactionSummary) => number | null;

/**
 * The `totalCost` a TransactionEventResponse carries on Ended (OCPP 2.0.1 I02/I03): the invoice's
 * rating (shared-model liveSessionCost over the OCPI tariff the site's config document holds) of the
 * transaction from its earliest event to its latest, for the energy between its lowest and highest
 * register, in major units of the tariff's currency (the exact integer minor units divided once).
 * Null, so the answer carries no cost, without OCPI tariffs, without readings or when rating fails.
 * The invoice is billing's, from the signed records: this figure is what the charger displays.
 */
export function ocppTotalCost(config: () => ConfigDocument | null): OcppTotalCost {
  return (tx) => {
    const held = config()?.ocpiTariffs;
    if (!held || tx.lowestRegisterWh === null || tx.highestRegisterWh === null) return null;
    if (tx.firstEventMs === null || tx.lastEventMs === null) return null;
    const tariffs = readConfigOcpiTariffs(held);
    if (!tariffs.ok) return null;
    const cost = liveSessionCost(tariffs.value.tariffs, tariffs.value.timeZone, {
      sessionId: `${tx.stationId}/${tx.transactionId}`,
      startMs: tx.firstEventMs,
      nowMs: tx.lastEventMs,
      energyWh: Math.floor(tx.highestRegisterWh - tx.lowestRegisterWh),
    });
    if (!cost.ok) return null;
    return Number(cost.value.totalMinorUnits) / 10 ** minorUnitExponent(cost.value.currency);
  };
}

/**
 * The figure a charger may be shown for `tx` now, from `cost` (the one function behind the Ended
 * answer and every CostUpdated): a finite, non-negative number, or null when there is none or the
 * rating threw. Never throws.
 */
export function chargerCostFigure(cost: OcppTotalCost | undefined, tx: TransactionSummary): number | null {
  if (!cost) return null;
  let figure: number | null;
  try {
    figure = cost(tx);
  } catch {
    return null;
  }
  return figure !== null && Number.isFinite(figure) && figure >= 0 ? figure : null;
}

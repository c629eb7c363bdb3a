import type { BillingDay, BillingFact } from "./documentSchemas.js";
import { joinCloudState } from "./sessionLattice.js";

/**
 * One region's write into the billing day, inside a change callback. A region writes only under
 * its own key, so two regions never write the same field; a fact only moves forward in the lattice
 * (a write that would go back is ignored).
 */
export function writeBillingFact(
  doc: BillingDay,
  region: string,
  sessionId: string,
  fact: BillingFact,
): boolean {
  if (!doc.regions[region]) doc.regions[region] = { sessions: {} };
  const sessions = doc.regions[region]!.sessions;
  const prev = sessions[sessionId];
  if (prev && joinCloudState(prev.state, fact.state) === prev.state && prev.state !== fact.state)
    return false;
  sessions[sessionId] = fact;
  return true;
}

/**
 * The billing view of a session across all regions: the lattice join of their states; the invoice
 * reference and amount of the region whose fact is the join (ties: lowest region ID). Deterministic.
 */
export function mergedBillingFact(doc: BillingDay, sessionId: string): BillingFact | null {
  let best: { region: string; fact: BillingFact } | null = null;
  for (const region of Object.keys(doc.regions).sort()) {
    const fact = doc.regions[region]!.sessions[sessionId];
    if (!fact) continue;
    if (!best) best = { region, fact };
    else {
      const joined = joinCloudState(best.fact.state, fact.state);
      if (joined === fact.state && joined !== best.fact.state) best = { region, fact };
    }
  }
  return best ? { ...best.fact } : null;
}

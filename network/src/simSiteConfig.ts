import type { ConfigDocument } from "@chargemesh/shared-model";
import type { SiteTrust } from "./childMessages.js";

/** What the cloud's config document for a simulated site should carry besides billing's standing. */
export interface SimSiteConfigWanted {
  /** The site's provisioned trust anchors and revocation list (the simulation's PKI stands in for the operator's). */
  readonly trust: SiteTrust;
  readonly tariffs: ConfigDocument["tariffs"];
  /** The OCPI tariff billing rates with, so the live cost is the invoice's (shared-model liveSessionCost). */
  readonly ocpiTariffs: NonNullable<ConfigDocument["ocpiTariffs"]>;
  /** Contracts on file: good standing unless billing already wrote a standing for them. */
  readonly contracts: readonly string[];
}

const bytes = (b64: string) => new Uint8Array(Buffer.from(b64, "base64"));
const same = (a: Uint8Array, b: Uint8Array) => Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;

/**
 * The change that makes the cloud's config document for a simulated site usable by it: the site's
 * provisioned trust anchors and signed revocation list (a SiteConfigDocument never prefers a version
 * without anchors over its provisioned one), the demo tariff (simple, and the OCPI tariff billing
 * rates with), and good standing (version 0, below
 * any standing billing publishes) for every contract on file that has none; null when the held
 * document carries all of that already. Pure.
 */
export function simSiteConfigUpdate(
  held: ConfigDocument | null,
  want: SimSiteConfigWanted,
): ((doc: ConfigDocument) => void) | null {
  const anchors = want.trust.anchors.map(bytes);
  const list = want.trust.revocationList;
  const anchorsHeld =
    held !== null &&
    held.trustAnchors.length === anchors.length &&
    anchors.every((a, i) => same(a, held.trustAnchors[i]!));
  const listHeld =
    held !== null &&
    (list === null
      ? held.revocationList === null
      : held.revocationList !== null &&
        held.revocationList.issuedAtMs === list.issuedAtMs &&
        held.revocationList.nextUpdateMs === list.nextUpdateMs &&
        same(held.revocationList.signed, bytes(list.signed)));
  const tariffsHeld = held !== null && held.tariffs.length > 0;
  const ocpiHeld =
    held?.ocpiTariffs?.tariffsJson === want.ocpiTariffs.tariffsJson &&
    held.ocpiTariffs.timeZone === want.ocpiTariffs.timeZone;
  const missing = want.contracts.filter((c) => !held?.accountStanding[c]);
  if (anchorsHeld && listHeld && tariffsHeld && ocpiHeld && missing.length === 0) return null;
  return (d) => {
    if (!anchorsHeld) d.trustAnchors = anchors;
    if (!listHeld)
      d.revocationList =
        list === null
          ? null
          : { signed: bytes(list.signed), issuedAtMs: list.issuedAtMs, nextUpdateMs: list.nextUpdateMs };
    if (!tariffsHeld) d.tariffs = [...want.tariffs];
    // Plain strings (not automerge ImmutableString): the schema reads them as text.
    if (!ocpiHeld)
      d.ocpiTariffs = { tariffsJson: want.ocpiTariffs.tariffsJson, timeZone: want.ocpiTariffs.timeZone };
    for (const c of missing)
      if (!d.accountStanding[c]) d.accountStanding[c] = { standing: "good", version: 0 };
  };
}

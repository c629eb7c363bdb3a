import { verifyRevocationList } from "@chargemesh/shared-model";
import { nodeEd25519 } from "@chargemesh/node-ed25519";
import type { SiteConfigDocument } from "../config/siteConfigDocument.js";
import type { LocalListSource } from "./ocppSite.js";

/**
 * The local list from the config document the site works from: account standing, and the revoked
 * fingerprints of the revocation list when it verifies under `revocationKey` (none when it does not).
 */
export function configDocumentLocalList(doc: SiteConfigDocument, revocationKey: Uint8Array): LocalListSource {
  return {
    standing: () =>
      Object.fromEntries(
        Object.entries(doc.current()?.accountStanding ?? {}).map(([emaid, s]) => [emaid, s.standing]),
      ),
    revokedFingerprints: () => {
      const signed = doc.current()?.revocationList?.signed;
      const v = signed ? verifyRevocationList(signed, revocationKey, nodeEd25519) : null;
      return v?.ok ? v.value.revoked : [];
    },
  };
}

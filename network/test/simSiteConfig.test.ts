import { describe, expect, it } from "vitest";
import type { ConfigDocument } from "@chargemesh/shared-model";
import { simSiteConfigUpdate } from "../src/simSiteConfig.js";
import type { SiteTrust } from "../src/childMessages.js";
import { DEMO_CONFIG_TARIFF } from "../src/demoTariff.js";

const ocpiTariffs = { tariffsJson: '{"id":"t"}', timeZone: "Europe/Berlin" };

const empty: ConfigDocument = {
  schemaVersion: 1,
  version: 0,
  issuedAtMs: 0,
  tariffs: [],
  trustAnchors: [],
  revocationList: null,
  accountStanding: {},
  offlinePolicy: { unknownContractMaxEnergyWh: 30_000, unknownContractMaxSessionsPerDay: 2 },
  siteLimits: {},
  acknowledged: {},
};
const trust = (root: number): SiteTrust => ({
  anchors: [Buffer.from([root, 2, 3]).toString("base64")],
  revocationList: { signed: Buffer.from([9, 9]).toString("base64"), issuedAtMs: 5, nextUpdateMs: 10 },
});
const apply = (doc: ConfigDocument, update: ((d: ConfigDocument) => void) | null) => {
  const copy = structuredClone(doc);
  update?.(copy);
  return copy;
};

describe("simSiteConfigUpdate", () => {
  it("carries the site's anchors, revocation list, the demo tariff and good standing for contracts on file; then nothing more to do", () => {
    const want = {
      trust: trust(1),
      tariffs: [DEMO_CONFIG_TARIFF],
      ocpiTariffs,
      contracts: ["DE-CMS-C1", "DE-CMS-C2"],
    };
    const doc = apply(empty, simSiteConfigUpdate(empty, want));
    expect(doc.trustAnchors).toEqual([new Uint8Array([1, 2, 3])]);
    expect(doc.revocationList).toEqual({ signed: new Uint8Array([9, 9]), issuedAtMs: 5, nextUpdateMs: 10 });
    expect(doc.tariffs).toEqual([DEMO_CONFIG_TARIFF]);
    expect(doc.ocpiTariffs).toEqual(ocpiTariffs);
    expect(doc.accountStanding).toEqual({
      "DE-CMS-C1": { standing: "good", version: 0 },
      "DE-CMS-C2": { standing: "good", version: 0 },
    });
    expect(simSiteConfigUpdate(doc, want)).toBeNull();
  });

  it("never overwrites a standing billing published, and replaces anchors a restarted site drew anew", () => {
    const want = { trust: trust(1), tariffs: [DEMO_CONFIG_TARIFF], ocpiTariffs, contracts: ["DE-CMS-C1"] };
    const held = apply(empty, simSiteConfigUpdate(empty, want));
    held.accountStanding["DE-CMS-C1"] = { standing: "blocked", version: 3 };
    const again = apply(
      held,
      simSiteConfigUpdate(held, { ...want, trust: trust(7), contracts: ["DE-CMS-C1", "DE-CMS-C9"] }),
    );
    expect(again.trustAnchors).toEqual([new Uint8Array([7, 2, 3])]);
    expect(again.accountStanding["DE-CMS-C1"]).toEqual({ standing: "blocked", version: 3 });
    expect(again.accountStanding["DE-CMS-C9"]).toEqual({ standing: "good", version: 0 });
  });
});

import { describe, expect, test } from "vitest";
import type { DocHandle } from "@automerge/automerge-repo";
import type { ConfigDocument } from "@chargemesh/shared-model";
import { SiteConfigDocument } from "../../src/config/siteConfigDocument.js";

const doc = (
  version: number,
  anchors: number,
  acknowledged: Record<string, string[]> = {},
): ConfigDocument => ({
  schemaVersion: 1,
  version,
  issuedAtMs: 1,
  tariffs: [],
  trustAnchors: Array.from({ length: anchors }, () => new Uint8Array([0x30])),
  revocationList: null,
  accountStanding: {},
  offlinePolicy: { unknownContractMaxEnergyWh: 1, unknownContractMaxSessionsPerDay: 1 },
  siteLimits: {},
  acknowledged,
});

/** A stand-in for the repo's handle: what the cloud's document holds now. */
function handle(initial: unknown): { h: DocHandle<ConfigDocument>; set(v: unknown): void } {
  let current = initial;
  return {
    h: { isReady: () => true, doc: () => current } as unknown as DocHandle<ConfigDocument>,
    set: (v) => (current = v),
  };
}

describe("SiteConfigDocument: the config a site authorizes from", () => {
  test("fail closed: nothing before any document", () => {
    expect(new SiteConfigDocument().current()).toBeNull();
  });

  test("a cloud version without trust anchors never replaces a usable provisioned one; one with anchors does; an invalid one is refused", () => {
    const refused: string[] = [];
    const versions: number[] = [];
    const c = new SiteConfigDocument(
      (i) => refused.push(i),
      (v) => versions.push(v),
    );
    c.provision(doc(1, 1));
    const cloud = handle(doc(3, 0, { "doc-a": ["h1"] }));
    c.attach(cloud.h);
    expect(c.current()?.version).toBe(1);
    expect(c.acknowledged()).toEqual({ "doc-a": ["h1"] });
    cloud.set(doc(4, 2));
    expect(c.current()?.version).toBe(4);
    cloud.set({ ...doc(5, 2), version: -1 });
    expect(c.current()?.version).toBe(4);
    expect(refused).toHaveLength(1);
    expect(versions).toEqual([1, 4]);
  });

  test("acknowledgements come from the cloud's document only, never from a provisioned copy", () => {
    const c = new SiteConfigDocument();
    c.provision(doc(9, 1, { "doc-b": ["h2"] }));
    expect(c.acknowledged()).toEqual({});
  });
});

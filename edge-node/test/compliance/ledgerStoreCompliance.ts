import { expect, test } from "vitest";
import { meterId, sessionId } from "@chargemesh/shared-model";
import type { LedgerStore } from "../../src/ledger/ledgerStore.js";
import { recordBytes } from "./complianceRecords.js";

/**
 * The LedgerStore contract every implementation passes (`ledgerStoreCompliance(name, open)`), like
 * js-libp2p's interface-compliance-tests: `open` gives a fresh, empty store; `reopen`, when given,
 * gives the same store after a restart (durable implementations).
 */
export function ledgerStoreCompliance(
  name: string,
  open: () => Promise<{
    store: LedgerStore;
    reopen?: () => Promise<LedgerStore>;
    close: () => Promise<void>;
  }>,
): void {
  const m1 = meterId("meter-a");
  const m2 = meterId("meter-b");
  const s1 = sessionId("site:session-0001");

  test(`${name}: an empty store has no meters and no last record`, async () => {
    const { store, close } = await open();
    expect([...store.meters()]).toEqual([]);
    expect(store.last(m1)).toBeNull();
    expect([...store.records(m1)]).toEqual([]);
    await close();
  });

  test(`${name}: records come back per meter in seq order; last is the highest seq`, async () => {
    const { store, close } = await open();
    for (let seq = 0; seq < 5; seq++)
      await store.append(m1, seq, recordBytes(m1, seq, seq === 1 ? s1 : null));
    await store.append(m2, 0, recordBytes(m2, 0, s1));
    expect([...store.records(m1)].map((r) => Buffer.from(r).toString("hex"))).toEqual(
      [0, 1, 2, 3, 4].map((q) => Buffer.from(recordBytes(m1, q, q === 1 ? s1 : null)).toString("hex")),
    );
    expect(Buffer.from(store.last(m1)!).equals(Buffer.from(recordBytes(m1, 4, null)))).toBe(true);
    expect([...store.meters()].sort()).toEqual([m1, m2]);
    expect([...store.sessionRecords(s1)]).toHaveLength(2);
    await close();
  });

  test(`${name}: appending identical bytes again is a no-op; different bytes under a (meter, seq) are refused`, async () => {
    const { store, close } = await open();
    await store.append(m1, 0, recordBytes(m1, 0, null));
    await store.append(m1, 0, recordBytes(m1, 0, null));
    expect([...store.records(m1)]).toHaveLength(1);
    await expect(store.append(m1, 0, recordBytes(m1, 0, s1))).rejects.toMatchObject({ code: "conflict" });
    expect(Buffer.from(store.last(m1)!).equals(Buffer.from(recordBytes(m1, 0, null)))).toBe(true);
    await close();
  });

  test(`${name}: what append resolved survives a restart`, async () => {
    const { store, reopen, close } = await open();
    if (!reopen) return void (await close());
    for (let seq = 0; seq < 3; seq++) await store.append(m1, seq, recordBytes(m1, seq, null));
    const again = await reopen();
    expect([...again.records(m1)]).toHaveLength(3);
    expect(Buffer.from(again.last(m1)!).equals(Buffer.from(recordBytes(m1, 2, null)))).toBe(true);
    await close();
  });
}

import { X509Certificate } from "node:crypto";
import type { Clock } from "@chargemesh/shared-model";
import { certificateFingerprint, systemClock } from "@chargemesh/shared-model";
import type { OcppStoreDamage } from "./ocppSiteDatabase.js";
import type { ContractChainStore, PresentedChain } from "./sqliteContractChainStore.js";

/** DER certificates from a PEM text (Authorize.req's `certificate`, leaf first); empty when there are none or a block does not parse. */
export function pemChain(pem: string): Uint8Array[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  const out: Uint8Array[] = [];
  for (const b of blocks) {
    try {
      out.push(new Uint8Array(new X509Certificate(b).raw));
    } catch {
      return [];
    }
  }
  return out;
}

export interface ContractChainOptions {
  /** Where the cache is written through and loaded from (absent: memory only). */
  readonly store?: ContractChainStore;
  readonly clock?: Clock;
  /**
   * How long after it was presented a chain may still authorize a transaction the charger started on
   * its own, ms (default 7 days, the revocation list's usual maximum age). Older chains still map
   * revoked certificates to their eMAID.
   */
  readonly maxAgeMs?: number;
  /** A write the store refused (the cache goes on in memory). */
  readonly onStoreError?: (e: unknown) => void;
}

/**
 * The contract chains chargers presented, by eMAID, with when they were presented (bounded, least
 * recently presented dropped first): a transaction a charger authorized on its own (offline, from
 * its local list) is authorized again with the chain it showed before, while that chain is younger
 * than `maxAgeMs`; and a revoked certificate maps to the eMAID the local list blocks. With a store,
 * every change is written through and loaded back on construction with its original ages (a restart
 * does not make an old chain young); rows the store could not read are in `damaged`.
 */
export class ContractChains {
  private readonly byEmaid = new Map<string, PresentedChain>();
  private readonly emaidByFingerprint = new Map<string, string>();
  private readonly store: ContractChainStore | null;
  private readonly clock: Clock;
  private readonly maxAgeMs: number;
  private readonly onStoreError: (e: unknown) => void;
  /** Rows the store held but could not read back (reported, left out). */
  readonly damaged: readonly OcppStoreDamage[];

  constructor(
    private readonly max = 10_000,
    options: ContractChainOptions = {},
  ) {
    this.store = options.store ?? null;
    this.clock = options.clock ?? systemClock;
    this.maxAgeMs = options.maxAgeMs ?? 7 * 86_400_000;
    this.onStoreError = options.onStoreError ?? (() => {});
    const loaded = this.store?.load() ?? { chains: [], damaged: [] };
    this.damaged = loaded.damaged;
    for (const c of loaded.chains) this.put(c);
    const over = this.trim();
    this.persist((st) => st.remove(over));
  }

  /** Remembers the chain a charger presented for `emaid` now. Never throws: a failed store write goes to `onStoreError`. */
  remember(emaid: string, chain: readonly Uint8Array[]): void {
    const entry: PresentedChain = { emaid, chain, presentedAtMs: this.clock.now() };
    this.put(entry);
    const over = this.trim();
    this.persist((st) => st.write(entry, over));
  }

  private persist(fn: (store: ContractChainStore) => void): void {
    if (!this.store) return;
    try {
      fn(this.store);
    } catch (e) {
      this.onStoreError(e);
    }
  }

  /** The chain presented for `emaid`, unless it is older than the maximum age (or unknown). */
  chainOf(emaid: string): readonly Uint8Array[] | null {
    const c = this.byEmaid.get(emaid);
    if (!c || this.clock.now() - c.presentedAtMs > this.maxAgeMs) return null;
    return c.chain;
  }

  /** When the chain of `emaid` was presented (site clock), or null. */
  presentedAtMs(emaid: string): number | null {
    return this.byEmaid.get(emaid)?.presentedAtMs ?? null;
  }

  /** The eMAIDs whose presented chain contains a certificate with one of these fingerprints. */
  contractsOf(fingerprints: Iterable<string>): string[] {
    const out = new Set<string>();
    for (const fp of fingerprints) {
      const e = this.emaidByFingerprint.get(fp);
      if (e) out.add(e);
    }
    return [...out];
  }

  get size(): number {
    return this.byEmaid.size;
  }

  private put(c: PresentedChain): void {
    this.drop(c.emaid);
    this.byEmaid.set(c.emaid, c);
    for (const der of c.chain) this.emaidByFingerprint.set(certificateFingerprint(der), c.emaid);
  }

  private drop(emaid: string): void {
    const old = this.byEmaid.get(emaid);
    if (!old) return;
    this.byEmaid.delete(emaid);
    for (const der of old.chain) {
      const fp = certificateFingerprint(der);
      if (this.emaidByFingerprint.get(fp) === emaid) this.emaidByFingerprint.delete(fp);
    }
  }

  /** Drops the least recently presented chains past the bound; returns their eMAIDs. */
  private trim(): string[] {
    const gone: string[] = [];
    while (this.byEmaid.size > this.max) {
      const oldest = this.byEmaid.keys().next().value as string;
      this.drop(oldest);
      gone.push(oldest);
    }
    return gone;
  }
}

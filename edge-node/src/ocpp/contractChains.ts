import { X509Certificate } from "node:crypto";
import { certificateFingerprint } from "@chargemesh/shared-model";

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

/**
 * The contract chains chargers presented, by eMAID (bounded, least recently presented dropped first):
 * a transaction a charger authorized on its own (offline, from its local list) is authorized again
 * with the chain it showed before, and a revoked certificate maps to the eMAID the local list blocks.
 */
export class ContractChains {
  private readonly byEmaid = new Map<string, readonly Uint8Array[]>();
  private readonly emaidByFingerprint = new Map<string, string>();

  constructor(private readonly max = 10_000) {}

  remember(emaid: string, chain: readonly Uint8Array[]): void {
    this.byEmaid.delete(emaid);
    this.byEmaid.set(emaid, chain);
    for (const der of chain) this.emaidByFingerprint.set(certificateFingerprint(der), emaid);
    if (this.byEmaid.size > this.max) {
      const [oldest, old] = this.byEmaid.entries().next().value as [string, readonly Uint8Array[]];
      this.byEmaid.delete(oldest);
      for (const der of old) this.emaidByFingerprint.delete(certificateFingerprint(der));
    }
  }

  chainOf(emaid: string): readonly Uint8Array[] | null {
    return this.byEmaid.get(emaid) ?? null;
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
}

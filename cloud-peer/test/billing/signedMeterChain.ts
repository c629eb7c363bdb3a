import { randomBytes } from "node:crypto";
import {
  encodeRecordBody,
  encodeSignedRecord,
  issueMeterCertificate,
  meterId,
  recordHash,
  sessionId,
  stallId,
} from "@chargemesh/shared-model";
import type { MeterId, RecordKind, SessionId, StallId } from "@chargemesh/shared-model";
import { nodeEd25519 } from "@chargemesh/node-ed25519";
import type { JournalFacts, SiteLedgerSlice } from "../../src/billing/signedRecordSessionSource.js";

/** An operator key (random per test run) that certifies meters; its public key is the outside trust. */
export class TestOperator {
  readonly keyId = "op-test";
  readonly seed = new Uint8Array(randomBytes(32));
  readonly publicKey = nodeEd25519.publicKey(this.seed);
  get operatorKeys(): ReadonlyMap<string, Uint8Array> {
    return new Map([[this.keyId, this.publicKey]]);
  }
}

/**
 * One meter's real signed chain (Ed25519 over the canonical CBOR records, hash-linked, gapless):
 * sessions begin, take checkpoints and end with the register as the meter counts it.
 */
export class SignedMeterChain {
  private readonly seed = new Uint8Array(randomBytes(32));
  readonly meter: MeterId;
  readonly records: Uint8Array[] = [];
  readonly journal: JournalFacts[] = [];
  readonly certificate: Uint8Array;
  private prev: Uint8Array = new Uint8Array(32);
  private registerWh = 0;

  constructor(
    operator: TestOperator,
    name: string,
    private timeMs: number,
    private readonly stall: StallId = stallId(`${name}-stall`),
  ) {
    this.meter = meterId(name);
    this.certificate = issueMeterCertificate(
      {
        version: 1,
        meterId: this.meter,
        publicKey: nodeEd25519.publicKey(this.seed),
        keyEpoch: 0,
        signingLocation: "site-secure-element",
        issuedAtMs: timeMs,
        operatorKeyId: operator.keyId,
        payloadPublicKey: null,
      },
      operator.seed,
      nodeEd25519,
    ).shipped;
    this.append("boot", null);
  }

  private append(kind: RecordKind, session: SessionId | null): Uint8Array {
    const bodyBytes = encodeRecordBody({
      version: 1,
      meterId: this.meter,
      seq: this.records.length,
      prevHash: this.prev,
      meterTimeMs: this.timeMs,
      registerWh: this.registerWh,
      stallId: this.stall,
      sessionId: session,
      kind,
      status: 0,
      meterPayload: null,
    });
    const shipped = encodeSignedRecord({ bodyBytes, signature: nodeEd25519.sign(bodyBytes, this.seed) });
    this.prev = recordHash(shipped);
    this.records.push(shipped);
    return shipped;
  }

  /** A whole session: begin, `checkpoints` equal steps adding up to `energyWh` over `durationMs`, end. */
  session(
    id: string,
    contract: string | null,
    energyWh: number,
    durationMs = 3_600_000,
    checkpoints = 2,
    end = true,
  ): SessionId {
    const sid = sessionId(id);
    this.journal.push({ sessionId: sid, contractId: contract, startedAtMs: this.timeMs });
    this.append("begin", sid);
    for (let i = 1; i <= checkpoints; i++) {
      this.timeMs += Math.floor(durationMs / (checkpoints + 1));
      this.registerWh += Math.floor(energyWh / (checkpoints + 1));
      this.append("checkpoint", sid);
    }
    if (end)
      this.finish(
        sid,
        energyWh - checkpoints * Math.floor(energyWh / (checkpoints + 1)),
        Math.floor(durationMs / (checkpoints + 1)),
      );
    this.timeMs += 60_000;
    return sid;
  }

  /** Ends a running session after `moreWh` and `moreMs`. */
  finish(sid: SessionId, moreWh: number, moreMs: number): void {
    this.timeMs += moreMs;
    this.registerWh += moreWh;
    this.append("end", sid);
  }

  slice(site = "site-1", records: readonly Uint8Array[] = this.records): SiteLedgerSlice {
    return {
      siteId: site,
      certificates: [this.certificate],
      records: [...records],
      journal: [...this.journal],
    };
  }
}

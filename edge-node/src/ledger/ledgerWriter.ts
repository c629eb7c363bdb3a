import type {
  Clock,
  MeterId,
  MeterRecordBody,
  SessionId,
  StallId,
  RecordKind,
  SignedMeterRecord,
} from "@chargemesh/shared-model";
import { ChargemeshError } from "@chargemesh/shared-model";
import {
  decodeSignedRecord,
  encodeRecordBody,
  encodeSignedRecord,
  recordHash,
} from "@chargemesh/shared-model";
import type { LedgerStore } from "./ledgerStore.js";

const GENESIS_HASH = new Uint8Array(32);
const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

/** Signs a record body for one meter (in the meter, or in the site's secure element for plain meters). */
export type MeterBodySigner = (meterId: MeterId, bodyBytes: Uint8Array) => Promise<Uint8Array>;

export interface AppendRequest {
  readonly meterId: MeterId;
  readonly stallId: StallId;
  readonly sessionId: SessionId | null;
  readonly kind: RecordKind;
  readonly registerWh: number;
  readonly status: number;
  readonly meterPayload?: Uint8Array | null;
}

interface ChainHead {
  nextSeq: number;
  prevHash: Uint8Array;
  lastRegisterWh: number;
  lastTimeMs: number;
}

/**
 * Appends signed records to each meter's gapless hash chain. Appends for one meter are serialized;
 * a record is returned only once it is durable. A register reading below the chain's last one is
 * refused (ChargemeshError "conflict"): the chain is monotonic by construction.
 */
export class LedgerWriter {
  private readonly heads = new Map<MeterId, ChainHead>();
  private readonly queues = new Map<MeterId, Promise<unknown>>();
  private readonly listeners = new Set<(record: SignedMeterRecord) => void>();

  constructor(
    private readonly store: LedgerStore,
    private readonly sign: MeterBodySigner,
    private readonly clock: Clock,
  ) {}

  /** Calls `listener` after every durable append (metrics, acknowledgement logs). */
  onAppend(listener: (record: SignedMeterRecord) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The last register reading the chain holds for a meter (0 for a fresh meter). */
  lastRegisterWh(meterId: MeterId): number {
    return this.head(meterId).lastRegisterWh;
  }

  /** The decoded records that carry `sessionId`, in sequence order (crash recovery). */
  sessionRecords(sessionId: SessionId): MeterRecordBody[] {
    const out: MeterRecordBody[] = [];
    for (const shipped of this.store.sessionRecords(sessionId)) {
      const r = decodeSignedRecord(shipped);
      if (r.ok) out.push(r.value.body);
    }
    return out.sort((a, b) => a.seq - b.seq);
  }

  /** The next sequence number the meter's chain will use. */
  nextSeq(meterId: MeterId): number {
    return this.head(meterId).nextSeq;
  }

  /** Signs and durably appends one record; resolves with it. Rejects on a regressing register. */
  append(req: AppendRequest): Promise<SignedMeterRecord> {
    const prev = this.queues.get(req.meterId) ?? Promise.resolve();
    const next = prev.catch(() => undefined).then(() => this.appendNow(req));
    this.queues.set(req.meterId, next);
    return next;
  }

  /** Meter time of the chain's last record (0 for a fresh meter): idle records keep it recent. */
  lastTimeMs(meterId: MeterId): number {
    return this.head(meterId).lastTimeMs;
  }

  /**
   * Before signing: the stored chain must end exactly where the cached head says (seq = head + 1,
   * prevHash = hash of the stored last record). A store changed behind the writer's back (a second
   * writer, a restored backup) would otherwise make the meter sign a fork; it throws "internal" instead.
   */
  private assertHead(meterId: MeterId, head: ChainHead): void {
    const last = this.store.last(meterId);
    const decoded = last === null ? null : decodeSignedRecord(last);
    if (decoded && !decoded.ok)
      throw new ChargemeshError(
        "internal",
        `meter ${meterId}: stored head record does not decode: ${decoded.error.message}`,
      );
    const storedNext = decoded ? decoded.value.body.seq + 1 : 0;
    const storedHash = last === null ? GENESIS_HASH : recordHash(last);
    if (head.nextSeq !== storedNext || !sameBytes(head.prevHash, storedHash)) {
      throw new ChargemeshError(
        "internal",
        `meter ${meterId}: refusing to sign seq ${head.nextSeq}: the stored chain ends at seq ${storedNext - 1} with another hash (a second writer?)`,
      );
    }
  }

  private async appendNow(req: AppendRequest): Promise<SignedMeterRecord> {
    const head = this.head(req.meterId);
    this.assertHead(req.meterId, head);
    if (!Number.isSafeInteger(req.registerWh) || req.registerWh < head.lastRegisterWh) {
      throw new ChargemeshError(
        "conflict",
        `meter ${req.meterId}: register ${req.registerWh} Wh below chain's ${head.lastRegisterWh} Wh`,
      );
    }
    const meterTimeMs = Math.max(this.clock.now(), head.lastTimeMs);
    const body = {
      version: 1 as const,
      meterId: req.meterId,
      seq: head.nextSeq,
      prevHash: head.prevHash,
      meterTimeMs,
      registerWh: req.registerWh,
      stallId: req.stallId,
      sessionId: req.sessionId,
      kind: req.kind,
      status: req.status,
      meterPayload: req.meterPayload ?? null,
    };
    const bodyBytes = encodeRecordBody(body);
    const signature = await this.sign(req.meterId, bodyBytes);
    const shipped = encodeSignedRecord({ bodyBytes, signature });
    await this.store.append(req.meterId, body.seq, shipped);
    this.heads.set(req.meterId, {
      nextSeq: body.seq + 1,
      prevHash: recordHash(shipped),
      lastRegisterWh: req.registerWh,
      lastTimeMs: meterTimeMs,
    });
    const record = { body, bodyBytes, signature };
    for (const l of this.listeners) l(record);
    return record;
  }

  private head(meterId: MeterId): ChainHead {
    let head = this.heads.get(meterId);
    if (head) return head;
    const last = this.store.last(meterId);
    if (last === null) {
      head = { nextSeq: 0, prevHash: GENESIS_HASH, lastRegisterWh: 0, lastTimeMs: 0 };
    } else {
      const decoded = decodeSignedRecord(last);
      if (!decoded.ok)
        throw new ChargemeshError(
          "internal",
          `meter ${meterId}: stored head record does not decode: ${decoded.error.message}`,
        );
      head = {
        nextSeq: decoded.value.body.seq + 1,
        prevHash: recordHash(last),
        lastRegisterWh: decoded.value.body.registerWh,
        lastTimeMs: decoded.value.body.meterTimeMs,
      };
    }
    this.heads.set(meterId, head);
    return head;
  }
}

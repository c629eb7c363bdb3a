import { Encoder } from "cbor-x";

/**
 * Length-prefixed CBOR frames: a 4-byte big-endian length, then the CBOR value. A frame above the
 * cap is a protocol violation (the caller resets the stream); partial frames are buffered.
 */
const codec = new Encoder({ useRecords: false, tagUint8Array: false, mapsAsObjects: true });

export function encodeFrame(value: unknown): Uint8Array {
  const body = codec.encode(value);
  const out = new Uint8Array(4 + body.length);
  new DataView(out.buffer).setUint32(0, body.length, false);
  out.set(body, 4);
  return out;
}

export class FrameDecoder {
  private buffer = new Uint8Array(0);

  constructor(private readonly maxFrameBytes: number) {}

  /** Adds bytes; returns the complete frames decoded, or an error for an oversize or undecodable frame. */
  push(chunk: Uint8Array): { ok: true; frames: unknown[] } | { ok: false; error: string } {
    const merged = new Uint8Array(this.buffer.length + chunk.length);
    merged.set(this.buffer);
    merged.set(chunk, this.buffer.length);
    this.buffer = merged;
    const frames: unknown[] = [];
    while (this.buffer.length >= 4) {
      const len = new DataView(this.buffer.buffer, this.buffer.byteOffset).getUint32(0, false);
      if (len > this.maxFrameBytes)
        return { ok: false, error: `frame of ${len} bytes exceeds the ${this.maxFrameBytes}-byte cap` };
      if (this.buffer.length < 4 + len) break;
      try {
        frames.push(codec.decode(this.buffer.subarray(4, 4 + len)));
      } catch (e) {
        return { ok: false, error: `undecodable frame: ${(e as Error).message}` };
      }
      this.buffer = this.buffer.slice(4 + len);
    }
    return { ok: true, frames };
  }
}

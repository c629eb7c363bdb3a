import { z } from "zod";
import { feedFrameSchema } from "@chargemesh/shared-model/contracts";

/**
 * A frame as it travels between gateway processes: the client-visible frame plus whom it concerns
 * (the session's contract, so account viewers can be matched). Checked on arrival like peer input.
 */
export const feedEnvelopeSchema = z.object({
  frame: feedFrameSchema,
  contractId: z.string().min(1).max(64).nullable(),
});
export type FeedEnvelope = z.infer<typeof feedEnvelopeSchema>;

/** Where envelopes are published and from where every gateway process (this one included) receives them. */
export interface FrameBus {
  publish(envelope: FeedEnvelope): void;
  /** Calls `listener` with every envelope published by any process, in each publisher's order. */
  onEnvelope(listener: (envelope: FeedEnvelope) => void): void;
  close(): Promise<void>;
}

/** The bus of a single gateway process: delivery in the same tick, in order. */
export class LocalFrameBus implements FrameBus {
  private readonly listeners: ((e: FeedEnvelope) => void)[] = [];
  publish(envelope: FeedEnvelope): void {
    for (const l of this.listeners) l(envelope);
  }
  onEnvelope(listener: (envelope: FeedEnvelope) => void): void {
    this.listeners.push(listener);
  }
  async close(): Promise<void> {}
}

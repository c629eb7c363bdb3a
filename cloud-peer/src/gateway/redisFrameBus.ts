import type { Redis } from "ioredis";
import type { Logger } from "pino";
import { feedEnvelopeSchema } from "./feedEnvelope.js";
import type { FeedEnvelope, FrameBus } from "./feedEnvelope.js";

/**
 * Live fan-out between gateway processes through Redis pub/sub: each process publishes the frames of
 * the sessions its cloud peer receives, and every process (itself included) delivers what arrives on
 * the channel, so a viewer on any gateway sees a session reported to any cloud peer. Takes two
 * connections (a subscribed Redis connection cannot publish). A message that does not parse is
 * counted and dropped. Never throws on input.
 */
export class RedisFrameBus implements FrameBus {
  private readonly listeners: ((e: FeedEnvelope) => void)[] = [];
  dropped = 0;

  private constructor(
    private readonly pub: Redis,
    private readonly sub: Redis,
    private readonly channel: string,
  ) {}

  /** Subscribes `sub` to `channel`; resolves once subscribed, so nothing published afterwards is missed. */
  static async open(
    pub: Redis,
    sub: Redis,
    channel = "chargemesh:live",
    log?: Logger,
  ): Promise<RedisFrameBus> {
    const bus = new RedisFrameBus(pub, sub, channel);
    sub.on("message", (ch: string, text: string) => {
      if (ch !== channel) return;
      let parsed;
      try {
        parsed = feedEnvelopeSchema.safeParse(JSON.parse(text));
      } catch {
        parsed = null;
      }
      if (!parsed?.success) {
        bus.dropped++;
        log?.warn({ channel }, "dropped a malformed live frame from Redis");
        return;
      }
      for (const l of bus.listeners) l(parsed.data);
    });
    await sub.subscribe(channel);
    return bus;
  }

  publish(envelope: FeedEnvelope): void {
    this.pub.publish(this.channel, JSON.stringify(envelope)).catch(() => {
      this.dropped++;
    });
  }

  onEnvelope(listener: (envelope: FeedEnvelope) => void): void {
    this.listeners.push(listener);
  }

  /** Unsubscribes; the connections stay with their owner. */
  async close(): Promise<void> {
    await this.sub.unsubscribe(this.channel).catch(() => undefined);
  }
}

import { randomUUID } from "node:crypto";
import { afterAll, expect, test } from "vitest";
import { Redis } from "ioredis";
import { serviceGate } from "../../../testing/requireService.js";
import { RedisAvailabilityIndex } from "../../src/availability/redisAvailabilityIndex.js";
import { availabilityIndexSuite } from "./availabilityIndexSuite.js";

const run = await serviceGate("Redis", "127.0.0.1", 6379);
const redis = run
  ? new Redis({ host: "127.0.0.1", port: 6379, lazyConnect: false, maxRetriesPerRequest: 2 })
  : null;
const keys: string[] = [];
afterAll(async () => {
  if (redis) {
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  }
});

if (redis) {
  availabilityIndexSuite("redis", async () => {
    const key = `chargemesh:test:availability:${randomUUID()}`;
    keys.push(key);
    return new RedisAvailabilityIndex(redis, key, 15_000, 3);
  });

  test("redis: an entry another writer damaged is skipped and counted, never shown", async () => {
    const key = `chargemesh:test:availability:${randomUUID()}`;
    keys.push(key);
    const index = new RedisAvailabilityIndex(redis, key, 15_000, 3);
    await redis.hset(
      key,
      "site-x",
      "{not json",
      "site-y",
      JSON.stringify({ siteId: "site-y", reportedAtMs: 1, stalls: "lots", price: null }),
    );
    expect(await index.stations(2)).toEqual([]);
    expect(index.skippedEntries).toBe(2);
  });
} else {
  test.skip("redis availability index (Redis not reachable)", () => undefined);
}

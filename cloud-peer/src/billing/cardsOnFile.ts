import { existsSync, readFileSync, renameSync } from "node:fs";
import type { Logger } from "pino";
import { z } from "zod";
import { writeFileDurably } from "@chargemesh/automerge-storage-sqlite";
import type { CardNetwork } from "./billingTypes.js";

/** A card an account pays with, as the payment provider names it. */
export interface CardOnFile {
  readonly paymentMethod: string;
  readonly network: CardNetwork;
}

/** At most this many accounts' cards (one per account; more is refused, never silently dropped). */
export const MAX_CARDS_ON_FILE = 1_000_000;

const fileSchema = z.object({
  version: z.literal(1),
  cards: z.record(
    z.string().min(1).max(200),
    z.object({
      paymentMethod: z.string().min(1).max(200),
      network: z.enum(["visa", "mastercard", "other"]),
    }),
  ),
});

/**
 * The cards drivers put on file in place of the one their account was opened with, kept in one JSON
 * file (0600, written atomically and durably on every change), so a cloud restart keeps charging the
 * card the driver chose, not the one that declined. A damaged file is moved aside (`.damaged-<ms>`,
 * nothing deleted) and reported; the store then starts empty. `set` throws a RangeError past
 * `MAX_CARDS_ON_FILE` accounts and the I/O error of a failed write (the card is then not on file).
 */
export class CardsOnFile {
  private constructor(
    private readonly path: string,
    private readonly cards: Map<string, CardOnFile>,
  ) {}

  static open(path: string, log: Logger, nowMs: number): CardsOnFile {
    if (!existsSync(path)) return new CardsOnFile(path, new Map());
    let parsed: z.infer<typeof fileSchema> | null = null;
    try {
      const result = fileSchema.safeParse(JSON.parse(readFileSync(path, "utf8")));
      if (result.success) parsed = result.data;
    } catch {
      parsed = null;
    }
    if (!parsed) {
      const aside = `${path}.damaged-${nowMs}`;
      renameSync(path, aside);
      log.error(
        { file: path, movedTo: aside },
        "cards on file unreadable: moved aside, accounts pay with the card they were opened with",
      );
      return new CardsOnFile(path, new Map());
    }
    return new CardsOnFile(path, new Map(Object.entries(parsed.cards)));
  }

  /** The card put on file for `accountId`, or null when the account still pays with its first one. */
  get(accountId: string): CardOnFile | null {
    return this.cards.get(accountId) ?? null;
  }

  set(accountId: string, card: CardOnFile): void {
    if (!this.cards.has(accountId) && this.cards.size >= MAX_CARDS_ON_FILE)
      throw new RangeError(`cards on file: more than ${MAX_CARDS_ON_FILE} accounts`);
    const next = new Map(this.cards).set(accountId, card);
    writeFileDurably(this.path, JSON.stringify({ version: 1, cards: Object.fromEntries(next) }), {
      mode: 0o600,
    });
    this.cards.set(accountId, card);
  }
}

import type { z } from "zod";
import { LocalApiError } from "./localApiError.js";

/** Parses what a client sent against the contract's schema; `invalid_input` naming the first problems. */
export function parseInput<T extends z.ZodTypeAny>(schema: T, value: unknown, what: string): z.infer<T> {
  const r = schema.safeParse(value ?? {});
  if (r.success) return r.data;
  const problems = r.error.issues.slice(0, 3).map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
  throw new LocalApiError("invalid_input", `${what}: ${problems.join("; ")}`);
}

import type { z } from "zod";
import { ApiError } from "./apiError.js";

/** Parses untrusted input with a zod schema; throws `invalid_input` naming the first problems. */
export function validate<T extends z.ZodTypeAny>(schema: T, input: unknown, what: string): z.infer<T> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const problems = r.error.issues.slice(0, 3).map((i) => `${i.path.join(".") || what}: ${i.message}`);
  throw new ApiError("invalid_input", `invalid ${what}: ${problems.join("; ")}`);
}

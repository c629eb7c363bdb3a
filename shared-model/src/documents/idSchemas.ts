import { z } from "zod";
import { contractId, meterId, sessionId, siteId, stallId, technicianId } from "../ids.js";

/** A zod schema that accepts a string the ID constructor accepts and yields the branded ID; an issue otherwise (never throws). */
function branded<T extends string>(make: (v: string) => T) {
  return z.string().transform((v, ctx): T => {
    try {
      return make(v);
    } catch (e) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: (e as Error).message });
      return z.NEVER;
    }
  });
}

export const siteIdSchema = branded(siteId);
export const stallIdSchema = branded(stallId);
export const meterIdSchema = branded(meterId);
export const sessionIdSchema = branded(sessionId);
export const contractIdSchema = branded(contractId);
export const technicianIdSchema = branded(technicianId);

import type { PaymentStanding, Receipt } from "@chargemesh/shared-model/contracts";

/**
 * What the cloud API shows of billing (implemented by cloud-peer/src/billing): a session's receipt,
 * an account's standing, settling a debt. Absent, the API says so (empty states), never invents figures.
 */
export interface BillingView {
  /** The receipt of a billed session, or null while billing has issued none. */
  receipt(sessionId: string): Promise<Receipt | null>;
  /** The account's standing, or null when billing holds no record of it. */
  standing(accountId: string): Promise<PaymentStanding | null>;
  /** Charges the account's debt to its card on file; the standing afterwards. Rejects with an ApiError. */
  settle(accountId: string): Promise<PaymentStanding>;
}

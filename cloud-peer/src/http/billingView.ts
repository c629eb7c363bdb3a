import type {
  PaymentStanding,
  PaymentsInfo,
  Receipt,
  ReplaceCardResponse,
  SettleResponse,
} from "@chargemesh/shared-model/contracts";

/**
 * What the cloud API shows of billing (implemented by cloud-peer/src/billing): a session's receipt,
 * an account's standing, replacing the card on file, settling a debt. Absent, the API says so (empty
 * states), never invents figures.
 */
export interface BillingView {
  /** How billing pays (the simulator and the test cards it accepts, or a real provider). Never throws. */
  payments(): PaymentsInfo;
  /** The receipt of a billed session, or null while billing has issued none. */
  receipt(sessionId: string): Promise<Receipt | null>;
  /** The account's standing, or null when billing holds no record of it. */
  standing(accountId: string): Promise<PaymentStanding | null>;
  /**
   * Replaces the account's card on file with `paymentMethod`: later holds, charges and settling use it.
   * Rejects with ApiError not_found (no billing record) or payment_method_unknown (the provider does not know it).
   */
  replaceCard(accountId: string, paymentMethod: string): Promise<ReplaceCardResponse>;
  /** Charges the account's debt to its card on file; the standing afterwards. Rejects with an ApiError. */
  settle(accountId: string): Promise<SettleResponse>;
}

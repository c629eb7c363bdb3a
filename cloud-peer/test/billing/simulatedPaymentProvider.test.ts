import { SimulatedPaymentProvider } from "../../src/billing/payments/simulatedPaymentProvider.js";
import { paymentProviderCompliance } from "./paymentProviderCompliance.js";

paymentProviderCompliance("simulator in-process", async (sim) => ({
  provider: new SimulatedPaymentProvider(sim),
  dispose: async () => undefined,
}));

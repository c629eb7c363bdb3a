import { StripePaymentProvider } from "../../src/billing/payments/stripePaymentProvider.js";
import { StripeWireServer } from "../../src/billing/payments/stripeWireServer.js";
import { paymentProviderCompliance } from "./paymentProviderCompliance.js";

paymentProviderCompliance("Stripe adapter over HTTP against the simulator", async (sim) => {
  const server = new StripeWireServer(sim);
  const port = await server.listen();
  const provider = new StripePaymentProvider({
    apiKey: "sk_test_simulator",
    host: "127.0.0.1",
    port,
    protocol: "http",
    timeoutMs: 3000,
  });
  return { provider, dispose: () => server.close() };
});

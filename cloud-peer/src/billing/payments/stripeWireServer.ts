import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { PaymentSimulator, SimOperation, SimParams } from "./paymentSimulator.js";

const MAX_BODY_BYTES = 64 * 1024;

/** Form-encoded Stripe parameters (`metadata[k]=v`, `expand[0]=x`) to a flat object with nested metadata. */
export function parseStripeForm(body: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const metadata: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(body)) {
    const meta = /^metadata\[([^\]]+)\]$/.exec(key);
    if (meta) metadata[meta[1]!] = value;
    else if (!key.includes("[")) out[key] = value;
  }
  if (Object.keys(metadata).length > 0) out.metadata = metadata;
  return out;
}

function int(v: unknown): number | undefined {
  if (v === undefined) return undefined;
  return /^\d{1,15}$/.test(String(v)) ? Number(v) : Number.NaN;
}

function paramsFor(op: SimOperation, id: string | undefined, f: Record<string, unknown>): SimParams {
  const str = (k: string) => (typeof f[k] === "string" ? (f[k] as string) : undefined);
  if (op === "create") {
    return {
      amount: int(f.amount),
      currency: str("currency"),
      payment_method: str("payment_method"),
      customer: str("customer") ?? null,
      capture_method: str("capture_method") === "manual" ? "manual" : "automatic",
      off_session: str("off_session") === "true",
      metadata: (f.metadata as Record<string, string>) ?? {},
    };
  }
  if (op === "capture") return { id, amount_to_capture: int(f.amount_to_capture) };
  if (op === "refund") return { payment_intent: str("payment_intent"), amount: int(f.amount) };
  return { id };
}

function route(method: string, path: string): { op: SimOperation; id?: string } | null {
  if (method === "POST" && path === "/v1/payment_intents") return { op: "create" };
  if (method === "POST" && path === "/v1/refunds") return { op: "refund" };
  const m = /^\/v1\/payment_intents\/([A-Za-z0-9_]+)(\/(capture|cancel))?$/.exec(path);
  if (!m) return null;
  if (method === "GET" && !m[2]) return { op: "retrieve", id: m[1]! };
  if (method === "POST" && m[3]) return { op: m[3] as SimOperation, id: m[1]! };
  return null;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "request-id": `req_${Date.now().toString(36)}`,
  });
  res.end(text);
}

/**
 * Serves a PaymentSimulator over HTTP in Stripe's wire format (form-encoded requests, JSON objects and
 * error envelopes, `Idempotency-Key` header), so the official `stripe` client can be pointed at it.
 * An injected timeout never answers (before or after the effect): the client times out.
 */
export class StripeWireServer {
  private server: Server | null = null;
  private readonly hanging = new Set<ServerResponse>();

  constructor(private readonly sim: PaymentSimulator) {}

  async listen(port = 0, host = "127.0.0.1"): Promise<number> {
    const server = createServer((req, res) => void this.handle(req, res));
    this.server = server;
    await new Promise<void>((resolve) => server.listen(port, host, resolve));
    return (server.address() as AddressInfo).port;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? "/", "http://localhost");
      const r = route(req.method ?? "GET", url.pathname);
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of req) {
        size += (chunk as Buffer).length;
        if (size > MAX_BODY_BYTES)
          return send(res, 413, { error: { type: "invalid_request_error", message: "request too large" } });
        chunks.push(chunk as Buffer);
      }
      if (!r)
        return send(res, 404, {
          error: {
            type: "invalid_request_error",
            message: `Unrecognized request URL (${req.method}: ${url.pathname})`,
          },
        });
      const form = parseStripeForm(Buffer.concat(chunks).toString("utf8"));
      const key = req.headers["idempotency-key"];
      const outcome = await this.sim.request(
        r.op,
        paramsFor(r.op, r.id, form),
        typeof key === "string" ? key : null,
      );
      if (outcome.type === "timeout") {
        this.hanging.add(res);
        res.on("close", () => this.hanging.delete(res));
        return;
      }
      send(res, outcome.response.status, outcome.response.body);
    } catch (e) {
      if (!res.headersSent) send(res, 500, { error: { type: "api_error", message: (e as Error).message } });
    }
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/**
 * The local API's limits, enforced before any credential is looked at. Each is a named setting with
 * a safe default for a site's LAN (docs/kiosk.md lists them); callers override single fields.
 */
export interface LocalApiLimits {
  /** Open TCP connections the server holds at once (HTTP and WebSocket). */
  readonly maxConnections: number;
  /** Open connections from one remote address. */
  readonly maxConnectionsPerAddress: number;
  /** Request line plus all headers, bytes (Node's `maxHeaderSize`). */
  readonly maxHeaderBytes: number;
  /** Headers per request. */
  readonly maxHeaderCount: number;
  /** Request body, bytes (the API's bodies are a note and a number). */
  readonly maxBodyBytes: number;
  /** Length of one path parameter (stall or session ID), characters. */
  readonly maxParamLength: number;
  /** Time to receive a request's headers, including a WebSocket handshake, ms. */
  readonly headersTimeoutMs: number;
  /** Time to receive a whole request, ms. */
  readonly requestTimeoutMs: number;
  /** An HTTP connection with no traffic is closed after this, ms. */
  readonly idleTimeoutMs: number;
  /** Largest WebSocket frame or message a client may send, bytes (clients send nothing but pings). */
  readonly wsMaxPayloadBytes: number;
  /** Live-feed subscribers at once. */
  readonly maxLiveSubscribers: number;
  /** A subscriber whose unsent data exceeds this is disconnected (slow consumer), bytes. */
  readonly wsMaxBufferedBytes: number;
  /** Ping interval of the live feed; a subscriber that misses one pong is disconnected, ms. */
  readonly wsHeartbeatMs: number;
  /** Failed credentials one address may present within `failureWindowMs` before backoff starts. */
  readonly failedCredentialBudget: number;
  readonly failureWindowMs: number;
  /** First backoff after the budget is spent, doubled per further failure up to `maxBackoffMs`, ms. */
  readonly baseBackoffMs: number;
  readonly maxBackoffMs: number;
  /** Addresses the failed-credential budget tracks at once (oldest forgotten first). */
  readonly maxTrackedAddresses: number;
}

export const DEFAULT_LOCAL_API_LIMITS: LocalApiLimits = {
  maxConnections: 256,
  maxConnectionsPerAddress: 32,
  maxHeaderBytes: 8 * 1024,
  maxHeaderCount: 64,
  maxBodyBytes: 16 * 1024,
  maxParamLength: 128,
  headersTimeoutMs: 5_000,
  requestTimeoutMs: 10_000,
  idleTimeoutMs: 30_000,
  wsMaxPayloadBytes: 16 * 1024,
  maxLiveSubscribers: 64,
  wsMaxBufferedBytes: 1024 * 1024,
  wsHeartbeatMs: 30_000,
  failedCredentialBudget: 5,
  failureWindowMs: 60_000,
  baseBackoffMs: 1_000,
  maxBackoffMs: 5 * 60_000,
  maxTrackedAddresses: 10_000,
};

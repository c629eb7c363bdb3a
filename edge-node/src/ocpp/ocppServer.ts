import { createHash, timingSafeEqual } from "node:crypto";
import { createServer as createHttpServer } from "node:http";
import type { IncomingMessage, Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { TLSSocket } from "node:tls";
import type { Duplex } from "node:stream";
import { WebSocketServer } from "ws";
import type { WebSocket } from "ws";
import { OcppRpcConnection } from "./ocppRpcConnection.js";
import type { OcppCallHandler } from "./ocppRpcConnection.js";
import type { OcppSchemaValidator } from "./ocppSchemaValidator.js";
import { OCPP_SUBPROTOCOL } from "./ocppSchemaValidator.js";

/** OCPP security profiles: 1 Basic auth over plain HTTP (labs only), 2 TLS + Basic auth, 3 mutual TLS. */
export type SecurityProfile = 1 | 2 | 3;

export interface StationCredential {
  /** SHA-256 (hex) of the station's Basic-auth password (profiles 1 and 2). */
  readonly passwordSha256?: string;
}

export interface OcppServerOptions {
  readonly host: string;
  readonly port: number;
  readonly securityProfile: SecurityProfile;
  /** PEM server key and certificate (profiles 2, 3); `ca`: the CA(s) that issue station certificates (profile 3). */
  readonly tls?: {
    readonly key: string | Buffer;
    readonly cert: string | Buffer;
    readonly ca?: string | Buffer | Array<string | Buffer>;
  };
  /** The station's credential, or null for a station this site does not know. */
  readonly credential: (stationId: string) => StationCredential | null;
  /** The CSMS side of a known station: handles its calls. */
  readonly handlerFor: (stationId: string) => OcppCallHandler;
  /** A station connected and authenticated (a previous connection of the same identity is closed first). */
  readonly onConnected: (stationId: string, connection: OcppRpcConnection) => void;
  readonly validator: OcppSchemaValidator;
  readonly log: { info(o: object, m?: string): void; warn(o: object, m?: string): void };
  readonly onHandshake?: (result: "accepted" | "rejected") => void;
}

const STATION_ID = /^[A-Za-z0-9._\-:*+|@]{1,48}$/;

/** Constant-time comparison of a presented password with the stored SHA-256. */
function passwordMatches(presented: Buffer, storedSha256Hex: string | undefined): boolean {
  if (!storedSha256Hex || !/^[0-9a-f]{64}$/.test(storedSha256Hex)) return false;
  return timingSafeEqual(
    createHash("sha256").update(presented).digest(),
    Buffer.from(storedSha256Hex, "hex"),
  );
}

/**
 * The site's OCPP-J endpoint, `/ocpp/<stationId>` with subprotocol `ocpp2.0.1`. Profile 2: TLS and HTTP
 * Basic auth whose username is the station ID; profile 3: mutual TLS, the station certificate's subject
 * CN is the station ID; profile 1 (no TLS) only when the config says lab. A refused handshake gets an
 * HTTP status (400 path/subprotocol, 401 credentials, 404 unknown station), never a WebSocket. A second
 * authenticated connection of a station replaces the first.
 */
export class OcppServer {
  private readonly http: Server;
  private readonly wss = new WebSocketServer({
    noServer: true,
    maxPayload: 256 * 1024,
    handleProtocols: (p) => (p.has(OCPP_SUBPROTOCOL) ? OCPP_SUBPROTOCOL : false),
  });
  private readonly connections = new Map<string, OcppRpcConnection>();

  private constructor(private readonly opts: OcppServerOptions) {
    if (opts.securityProfile !== 1 && !opts.tls)
      throw new Error(`security profile ${opts.securityProfile} needs a TLS key and certificate`);
    this.http =
      opts.securityProfile === 1
        ? createHttpServer()
        : createHttpsServer({
            key: opts.tls!.key,
            cert: opts.tls!.cert,
            ca: opts.tls!.ca,
            requestCert: opts.securityProfile === 3,
            rejectUnauthorized: opts.securityProfile === 3,
            minVersion: "TLSv1.2",
          });
    this.http.on("request", (_req, res) =>
      res
        .writeHead(426, { "content-type": "text/plain" })
        .end("OCPP-J WebSocket endpoint: /ocpp/<stationId>\n"),
    );
    this.http.on("upgrade", (req, socket, head) => this.upgrade(req, socket, head));
  }

  /** Listens on host:port (0 picks a port); resolves with the server. */
  static async listen(opts: OcppServerOptions): Promise<OcppServer> {
    const s = new OcppServer(opts);
    await new Promise<void>((resolve, reject) => {
      s.http.once("error", reject);
      s.http.listen(opts.port, opts.host, () => resolve());
    });
    return s;
  }

  /** ws:// or wss:// base URL; a station connects to `${url}/<stationId>`. */
  get url(): string {
    const a = this.http.address();
    const port = typeof a === "object" && a ? a.port : this.opts.port;
    return `${this.opts.securityProfile === 1 ? "ws" : "wss"}://${this.opts.host}:${port}/ocpp`;
  }

  connectedStations(): string[] {
    return [...this.connections.keys()];
  }

  connection(stationId: string): OcppRpcConnection | null {
    return this.connections.get(stationId) ?? null;
  }

  /** Closes every station connection and the listener. */
  async close(): Promise<void> {
    for (const c of this.connections.values()) c.close(1001, "CSMS shutting down");
    this.connections.clear();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
    this.http.closeAllConnections?.();
  }

  private refuse(socket: Duplex, status: number, why: string, stationId: string | null): void {
    this.opts.log.warn({ station: stationId, status, why }, "OCPP handshake refused");
    this.opts.onHandshake?.("rejected");
    const text = { 400: "Bad Request", 401: "Unauthorized", 404: "Not Found" }[status] ?? "Error";
    socket.end(
      `HTTP/1.1 ${status} ${text}\r\nConnection: close\r\n${status === 401 ? 'WWW-Authenticate: Basic realm="ocpp"\r\n' : ""}Content-Length: 0\r\n\r\n`,
    );
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on("error", () => socket.destroy());
    const path = (req.url ?? "").split("?")[0]!;
    const m = /^\/ocpp\/([^/]+)$/.exec(path);
    let stationId: string | null = null;
    try {
      stationId = m ? decodeURIComponent(m[1]!) : null;
    } catch {
      stationId = null;
    }
    if (!stationId || !STATION_ID.test(stationId))
      return this.refuse(socket, 400, "path is not /ocpp/<stationId>", null);
    const offered = (req.headers["sec-websocket-protocol"] ?? "").split(",").map((p) => p.trim());
    if (!offered.includes(OCPP_SUBPROTOCOL))
      return this.refuse(socket, 400, `subprotocol ${OCPP_SUBPROTOCOL} not offered`, stationId);
    const credential = this.opts.credential(stationId);
    if (!credential) return this.refuse(socket, 404, "unknown station", stationId);
    const why = this.authenticate(req, stationId, credential);
    if (why) return this.refuse(socket, 401, why, stationId);
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(stationId!, ws));
  }

  /** Null when the handshake proves the station's identity for the configured profile; else why not. */
  private authenticate(
    req: IncomingMessage,
    stationId: string,
    credential: StationCredential,
  ): string | null {
    if (this.opts.securityProfile === 3) {
      const tls = req.socket as TLSSocket;
      if (!tls.authorized) return "no station certificate from a trusted CA";
      const cn = tls.getPeerCertificate()?.subject?.CN;
      return cn === stationId ? null : `station certificate CN ${String(cn)} is not the station ID`;
    }
    const auth = req.headers.authorization ?? "";
    if (!auth.startsWith("Basic ")) return "Basic auth required";
    const decoded = Buffer.from(auth.slice(6), "base64");
    const prefix = Buffer.from(`${stationId}:`);
    if (decoded.length < prefix.length || !decoded.subarray(0, prefix.length).equals(prefix))
      return "Basic auth username must be the station ID";
    return passwordMatches(decoded.subarray(prefix.length), credential.passwordSha256)
      ? null
      : "wrong password";
  }

  private accept(stationId: string, ws: WebSocket): void {
    const connection = new OcppRpcConnection(ws, {
      validator: this.opts.validator,
      handler: this.opts.handlerFor(stationId),
      log: this.opts.log,
    });
    const previous = this.connections.get(stationId);
    this.connections.set(stationId, connection);
    if (previous) {
      this.opts.log.warn(
        { station: stationId },
        "a newer authenticated connection replaces the station's previous one",
      );
      previous.close(1000, "replaced by a newer connection");
    }
    connection.onClose(() => {
      if (this.connections.get(stationId) === connection) this.connections.delete(stationId);
    });
    this.opts.onHandshake?.("accepted");
    this.opts.log.info({ station: stationId, profile: this.opts.securityProfile }, "OCPP station connected");
    this.opts.onConnected(stationId, connection);
  }
}

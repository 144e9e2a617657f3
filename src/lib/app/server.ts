import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { isIP, type AddressInfo } from "node:net";
import { ImageDecodeError } from "../data/decode";
import { readBody } from "./body";
import { escapeLogValue, HttpError, isAllowedHost, sendJson } from "./http";
import { predictionPage } from "./page";
import type { Predictor, ServerTimeouts } from "./types";
import { checkUploadImage, uploadErrorMessage } from "./upload";
import { verdictText } from "./verdict";

export interface ServerOptions {
  predictor: Predictor;
  /** Default 8080; 0 picks a free port. */
  port?: number;
  /** Default 127.0.0.1 (this machine only). */
  host?: string;
  /** More names the page may be opened under (a LAN name, say); 127.0.0.1, localhost, [::1] and `host` always are. */
  allowedHosts?: string[];
  /** Largest accepted upload in bytes; default 10 MB. */
  maxBytes?: number;
  /** Largest accepted image (width × height, read from the header before decoding); default 50 MP. */
  maxPixels?: number;
  /** Uploads processed at once, once received; more get HTTP 429. Default 2. */
  maxConcurrent?: number;
  /** Time limits against slow clients; see `DEFAULT_TIMEOUTS`. */
  timeouts?: Partial<ServerTimeouts>;
  log?: (line: string) => void;
}

/** A running prediction server. */
export interface RunningServer {
  server: Server;
  url: string;
  close(): Promise<void>;
}

/** The time limits `startServer` uses unless told otherwise. */
export const DEFAULT_TIMEOUTS: Readonly<ServerTimeouts> = {
  headersMs: 10_000,
  requestMs: 120_000,
  idleMs: 10_000,
  minBytesPerSecond: 10_000,
  rateGraceMs: 5_000,
  lingerMs: 5_000,
};

// Fills in and checks the time limits (Node refuses a headers timeout longer than the request timeout).
function resolveTimeouts(given: Partial<ServerTimeouts> = {}): ServerTimeouts {
  const timeouts = { ...DEFAULT_TIMEOUTS, ...given };
  for (const [key, value] of Object.entries(timeouts)) {
    if (!(Number.isFinite(value) && value > 0)) {
      const example = DEFAULT_TIMEOUTS[key as keyof ServerTimeouts];
      throw new Error(`startServer: timeouts.${key} must be a positive number, e.g. ${example}. Received: ${value}`);
    }
  }
  if (timeouts.headersMs > timeouts.requestMs) {
    const received = `${timeouts.headersMs} > ${timeouts.requestMs}`;
    throw new Error(`startServer: timeouts.headersMs must not exceed timeouts.requestMs. Received: ${received}`);
  }
  return timeouts;
}

// The status and page message for an error, and whether to close the connection after it.
function errorAnswer(error: unknown): { status: number; message: string; close: boolean } {
  if (error instanceof HttpError) return { status: error.status, message: error.message, close: error.close };
  if (error instanceof ImageDecodeError) {
    return { status: 415, message: uploadErrorMessage(error, error.file), close: false };
  }
  return { status: 500, message: (error as Error).message, close: false };
}

/**
 * Start the local prediction page: GET / (the page), GET /api/info, POST /api/predict (the raw image bytes as the
 * request body). The model is loaded once (the `predictor`); uploads are decoded in memory, so nothing is written to disk.
 * Bad uploads get a 4xx with a message, and the server keeps serving. Against hostile or broken clients: slow
 * ones are dropped (`timeouts`, 408), only the names of this server are answered (421, against DNS rebinding),
 * images are bounded in bytes and in pixels before decoding (413), and logged values are escaped.
 * @example
 * const { url, close } = await startServer({ predictor: await loadPredictor("outputs/runs/cnn-quick"), port: 0 });
 */
export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const { predictor, host = "127.0.0.1", maxBytes = 10e6, maxPixels = 50e6, maxConcurrent = 2 } = opts;
  const log = opts.log ?? console.log;
  const timeouts = resolveTimeouts(opts.timeouts);
  const page = predictionPage({ maxBytes });
  const bound = { host, port: 0, allowedHosts: opts.allowedHosts };
  let active = 0;

  // Receives and checks the upload, then predicts if a slot is free: a slow upload holds no slot.
  const predict = async (req: IncomingMessage, res: ServerResponse, url: URL) => {
    const name = (url.searchParams.get("name") ?? "upload").slice(0, 200);
    const bytes = await readBody(req, { maxBytes, ...timeouts });
    await checkUploadImage(bytes, name, { maxPixels });
    if (active >= maxConcurrent) {
      throw new HttpError(429, `Too many uploads at once (limit ${maxConcurrent}); wait a moment and try again.`);
    }
    active++;
    try {
      const p = await predictor.predictBytes(bytes, name, { gradcam: true });
      const overlay = p.overlayPng ? `data:image/png;base64,${p.overlayPng.toString("base64")}` : undefined;
      const { label, probability, threshold } = p;
      log(`[serve] ${escapeLogValue(name)}: ${label} p=${probability.toFixed(4)} threshold=${threshold.toFixed(3)}`);
      const decision = verdictText(probability, threshold);
      sendJson(res, 200, { label, probability, threshold, decision, overlay, gradcamEmpty: p.gradcamEmpty ?? false });
    } finally {
      active--;
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (!isAllowedHost(req.headers.host, bound)) {
      const hostName = JSON.stringify(req.headers.host ?? "");
      const open = serverUrl(host, bound.port);
      const message = `This server is not served under the name ${hostName}; open ${open} instead.`;
      throw new HttpError(421, message, { close: true });
    }
    if (req.method === "GET" && url.pathname === "/") {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      res.end(page);
    } else if (req.method === "GET" && url.pathname === "/api/info") {
      sendJson(res, 200, predictor.info);
    } else if (req.method === "POST" && url.pathname === "/api/predict") {
      await predict(req, res, url);
    } else {
      throw new HttpError(404, `Not found: ${req.method} ${url.pathname}`);
    }
  };

  const checkEvery = Math.max(100, Math.min(1000, timeouts.headersMs / 2));
  const limits = {
    headersTimeout: timeouts.headersMs,
    requestTimeout: timeouts.requestMs,
    connectionsCheckingInterval: checkEvery,
  };
  const server = createServer(limits, (req, res) => {
    handle(req, res).catch((error: unknown) => {
      const { status, message, close } = errorAnswer(error);
      // one line per refusal, so dropped slow clients and refused uploads show in the log
      const detail = status >= 500 ? ((error as Error).stack ?? message) : message;
      log(`[serve] ${req.method} ${escapeLogValue(req.url ?? "")}: ${status} ${escapeLogValue(detail)}`);
      if (!res.headersSent) sendJson(res, status, { error: message }, { close });
      else res.end();
    });
  });
  server.setTimeout(timeouts.requestMs); // a socket silent this long (in any phase) is closed
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 8080, host, resolve);
  });
  bound.port = (server.address() as AddressInfo).port;
  const close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return { server, url: serverUrl(host, bound.port), close };
}

// The page's address (IPv6 literals in brackets).
function serverUrl(host: string, port: number): string {
  return `http://${isIP(host) === 6 ? `[${host}]` : host}:${port}/`;
}

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { ImageDecodeError } from "../data/decode";
import { predictionPage } from "./page";
import type { Predictor } from "./types";

export interface ServerOptions {
  predictor: Predictor;
  /** Default 8080; 0 picks a free port. */
  port?: number;
  /** Default 127.0.0.1 (this machine only). */
  host?: string;
  /** Largest accepted upload in bytes; default 10 MB. */
  maxBytes?: number;
  /** Uploads processed at once; more get HTTP 429. Default 2. */
  maxConcurrent?: number;
  log?: (line: string) => void;
}

/** A running prediction server. */
export interface RunningServer {
  server: Server;
  url: string;
  close(): Promise<void>;
}

// An HTTP error with a message meant for the page.
class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

// Reads the request body, refusing more than maxBytes (413) without buffering the rest.
function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"] ?? 0);
    if (declared > maxBytes) return reject(new HttpError(413, tooLarge(declared, maxBytes)));
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        req.destroy();
        reject(new HttpError(413, tooLarge(size, maxBytes)));
      } else chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

// The message for an upload over the limit.
function tooLarge(size: number, maxBytes: number): string {
  return `The file is too large (${(size / 1e6).toFixed(1)} MB); the limit is ${(maxBytes / 1e6).toFixed(0)} MB. Downscale the image and try again.`;
}

// Sends a JSON answer.
function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" });
  res.end(JSON.stringify(body));
}

/**
 * Start the local prediction page: GET / (the page), GET /api/info, POST /api/predict (raw image bytes in the body).
 * The model is loaded once (the `predictor`); uploads are decoded in memory, so nothing is written to disk.
 * Bad uploads get a 4xx with a message, and the server keeps serving.
 * @example
 * const { url, close } = await startServer({ predictor: await loadPredictor("outputs/runs/cnn-quick"), port: 0 });
 */
export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const { predictor, host = "127.0.0.1", maxBytes = 10e6, maxConcurrent = 2, log = console.log } = opts;
  let active = 0;
  const page = predictionPage({ maxBytes });
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    try {
      if (req.method === "GET" && url.pathname === "/") {
        res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
        res.end(page);
      } else if (req.method === "GET" && url.pathname === "/api/info") {
        sendJson(res, 200, predictor.info);
      } else if (req.method === "POST" && url.pathname === "/api/predict") {
        if (active >= maxConcurrent) throw new HttpError(429, `Too many uploads at once (limit ${maxConcurrent}); wait a moment and try again.`);
        active++;
        try {
          const name = (url.searchParams.get("name") ?? "upload").slice(0, 200);
          const bytes = await readBody(req, maxBytes);
          const p = await predictor.predictBytes(bytes, name, { gradcam: true });
          const overlay = p.overlayPng ? `data:image/png;base64,${p.overlayPng.toString("base64")}` : undefined;
          log(`[serve] ${name}: ${p.label} p=${p.probability.toFixed(4)} threshold=${p.threshold.toFixed(3)}`);
          sendJson(res, 200, { label: p.label, probability: p.probability, threshold: p.threshold, overlay, gradcamEmpty: p.gradcamEmpty ?? false });
        } finally {
          active--;
        }
      } else {
        throw new HttpError(404, `Not found: ${req.method} ${url.pathname}`);
      }
    } catch (error) {
      const status = error instanceof HttpError ? error.status : error instanceof ImageDecodeError ? 415 : 500;
      const message = error instanceof ImageDecodeError
        ? `That file is not a readable JPEG or PNG X-ray: ${error.message.replace(/^decodeImage: /, "")}`
        : (error as Error).message;
      if (status >= 500) log(`[serve] error: ${(error as Error).stack ?? message}`);
      if (!res.headersSent) sendJson(res, status, { error: message });
      else res.end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 8080, host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host}:${port}/`;
  return { server, url, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

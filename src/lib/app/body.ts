/** Reading an upload body within size, idle and transfer-rate limits. */
import type { IncomingMessage } from "node:http";
import { HttpError } from "./http";

/** Limits for one upload body. */
export interface BodyLimits {
  /** Largest accepted body in bytes. */
  maxBytes: number;
  /** Longest pause between two pieces of the body before the upload is dropped (408). */
  idleMs: number;
  /** Slowest accepted average rate, checked once `rateGraceMs` have passed (408 below it). */
  minBytesPerSecond: number;
  rateGraceMs: number;
  /** How long the rest of an oversized body is read and thrown away before the 413 is sent anyway. */
  lingerMs: number;
}

/** Megabytes with one decimal (0.2 MB, 10.0 MB), for messages. */
export function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

// The 413 message: the size when known (Content-Length), else only that it passed the limit (chunked).
function tooLarge(maxBytes: number, declared?: number): string {
  const size =
    declared === undefined
      ? `larger than the ${megabytes(maxBytes)} limit`
      : `${megabytes(declared)}; the limit is ${megabytes(maxBytes)}`;
  return `The file is too large (${size}). Downscale the image or save it as JPEG, and try again.`;
}

/**
 * Read a request body, refusing more than `maxBytes` (413), a pause longer than `idleMs` and an average rate
 * under `minBytesPerSecond` after `rateGraceMs` (408, connection closed), so a slow client cannot hold the
 * server. An oversized body is read to its end and discarded (at most `lingerMs`) before the 413 goes out: closing
 * a socket with unread data resets it, and the client would never see the answer.
 * @example
 * const limits = { maxBytes: 10e6, idleMs: 10_000, minBytesPerSecond: 10_000, rateGraceMs: 5000, lingerMs: 5000 };
 * const bytes = await readBody(req, limits);
 */
export function readBody(req: IncomingMessage, limits: BodyLimits): Promise<Buffer> {
  const { maxBytes } = limits;
  const declared = req.headers["content-length"] === undefined ? undefined : Number(req.headers["content-length"]);
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const chunks: Buffer[] = [];
    let size = 0;
    let oversized = declared !== undefined && declared > maxBytes;
    let idle: NodeJS.Timeout | undefined;
    let linger: NodeJS.Timeout | undefined;
    let settled = false;
    const finish = (outcome: Buffer | HttpError) => {
      if (settled) return;
      settled = true;
      clearTimeout(idle);
      clearTimeout(linger);
      clearInterval(rate);
      req.removeListener("data", onData);
      if (outcome instanceof HttpError) {
        req.resume(); // keep discarding until the response is sent and the socket closed
        reject(outcome);
      } else resolve(outcome);
    };
    const refuse = (complete: boolean) =>
      finish(new HttpError(413, tooLarge(maxBytes, declared), { close: !complete }));
    const startLinger = () => (linger = setTimeout(() => refuse(false), limits.lingerMs));
    const tooSlow = (why: string) => {
      const message = `The upload was too slow (${why}); check the connection and try again.`;
      finish(new HttpError(408, message, { close: true }));
    };
    const armIdle = () => {
      clearTimeout(idle);
      const onIdle = () => (oversized ? refuse(false) : tooSlow(`no data for ${limits.idleMs / 1000} s`));
      idle = setTimeout(onIdle, limits.idleMs);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      armIdle();
      if (oversized) return;
      if (size > maxBytes) {
        oversized = true;
        chunks.length = 0;
        startLinger();
      } else chunks.push(chunk);
    };
    const rate = setInterval(
      () => {
        const seconds = (Date.now() - started) / 1000;
        if (oversized || seconds * 1000 < limits.rateGraceMs) return;
        const perSecond = size / seconds;
        if (perSecond >= limits.minBytesPerSecond) return;
        tooSlow(`${Math.round(perSecond)} bytes/s, the minimum is ${limits.minBytesPerSecond}`);
      },
      Math.min(500, limits.rateGraceMs),
    );
    if (oversized) startLinger();
    armIdle();
    req.on("data", onData);
    req.on("end", () => (oversized ? refuse(true) : finish(Buffer.concat(chunks))));
    const brokeOff = (why: string) =>
      finish(new HttpError(400, `The upload broke off (${why}); try again.`, { close: true }));
    req.on("error", (error) => brokeOff(error.message));
    req.on("close", () => brokeOff("the connection closed"));
  });
}

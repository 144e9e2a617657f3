import { request } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type RunningServer } from "../../src/lib/app";
import { rawClient, sampleXray, testPredictor, upload } from "./helpers";

// Slow and oversized clients against a real server on 127.0.0.1 with short limits (1 s), so each test is bounded
// to a few seconds. Issue 17, items 17 (slow uploads held every slot) and 18 (chunked uploads over the limit).
const LIMITS = { headersMs: 1000, requestMs: 8000, idleMs: 1000, minBytesPerSecond: 1000, rateGraceMs: 1000 };
const lines: string[] = [];
let server: RunningServer;
let port: number;

beforeAll(async () => {
  const { predictor } = testPredictor();
  const timeouts = { ...LIMITS, lingerMs: 1000 };
  const log = (line: string) => lines.push(line);
  server = await startServer({ predictor, port: 0, maxBytes: 200_000, maxConcurrent: 2, timeouts, log });
  port = (server.server.address() as AddressInfo).port;
});
afterAll(() => server.close());

// POSTs `chunks` with chunked transfer encoding (no Content-Length), waiting `gapMs` between chunks; resolves
// once the response has been read and the connection is closed (or after 8 s).
interface ChunkedOutcome {
  status?: number;
  body: string;
  error?: string;
  closedAfterMs?: number;
}
function chunkedUpload(chunks: Buffer[], gapMs = 0): Promise<ChunkedOutcome> {
  const started = Date.now();
  const outcome: ChunkedOutcome = { body: "" };
  const req = request({ host: "127.0.0.1", port, method: "POST", path: "/api/predict?name=big.png", agent: false });
  req.setHeader("transfer-encoding", "chunked");
  req.on("response", (res) => {
    outcome.status = res.statusCode;
    res.on("data", (c: Buffer) => (outcome.body += c.toString()));
    res.on("error", (e) => (outcome.error = e.message));
  });
  const closed = new Promise<void>((resolve) => {
    const giveUp = setTimeout(resolve, 8000);
    req.on("error", (e) => (outcome.error ??= e.message));
    req.on("close", () => {
      outcome.closedAfterMs = Date.now() - started;
      clearTimeout(giveUp);
      resolve();
    });
  });
  void (async () => {
    for (const chunk of chunks) {
      if (req.destroyed) break;
      req.write(chunk);
      if (gapMs) await new Promise((r) => setTimeout(r, gapMs));
    }
    if (!req.destroyed) req.end();
  })();
  return closed.then(() => outcome);
}

describe("prediction server under slow and oversized clients", () => {
  it("drops two 1-byte/s uploads and serves a normal client meanwhile (not 429)", async () => {
    const head = `POST /api/predict?name=slow.png HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Length: 1000\r\n\r\n`;
    const slow = [0, 1].map(() => rawClient(port, head, { trickle: "x".repeat(1000), everyMs: 1000, giveUpMs: 8000 }));
    await new Promise((r) => setTimeout(r, 300));
    const xray = sampleXray();
    const started = Date.now();
    expect((await upload(server, xray.bytes, xray.name)).status).toBe(200);
    const servedAfterMs = Date.now() - started + 300;
    expect(servedAfterMs).toBeLessThan(3000);
    for (const outcome of await Promise.all(slow)) {
      // served while both slow uploads were still connected: they hold no slot
      expect(servedAfterMs).toBeLessThan(outcome.closedAfterMs ?? Infinity);
      // dropped within the idle/rate limits (1 s, checked about every 0.5 s), with a 408 when one was written
      expect(outcome.closedAfterMs).toBeDefined();
      expect(outcome.closedAfterMs!).toBeLessThan(4000);
      if (outcome.status !== undefined) expect(outcome.status).toBe(408);
      if (outcome.response) expect(outcome.response).toMatch(/too slow|no data/i);
    }
    const dropped = /^\[serve\] POST \/api\/predict\?name=slow\.png: 408 The upload was too slow/;
    expect(lines.filter((l) => dropped.test(l))).toHaveLength(2);
  }, 15_000);

  it("drops a client that sends its headers 1 byte/s", async () => {
    const trickle = { trickle: "27.0.0.1\r\n\r\n", everyMs: 1000, giveUpMs: 6000 };
    const outcome = await rawClient(port, "GET / HTTP/1.1\r\nHost: 1", trickle);
    expect(outcome.closedAfterMs).toBeDefined();
    expect(outcome.closedAfterMs!).toBeLessThan(4000);
    if (outcome.status !== undefined) expect(outcome.status).toBe(408);
  }, 10_000);

  it("answers 413 with a message to a chunked upload over the limit, and keeps serving", async () => {
    const big = await chunkedUpload(Array.from({ length: 20 }, () => Buffer.alloc(16_384, 1)));
    expect(big.error).toBeUndefined();
    expect(big.status).toBe(413);
    expect(JSON.parse(big.body).error).toMatch(/larger than the 0\.2 MB limit/);
    expect((await fetch(`${server.url}api/info`)).status).toBe(200);
  });

  it("answers 413 to a chunked upload that keeps coming, then closes it within the linger time", async () => {
    const started = Date.now();
    const endless = await chunkedUpload(
      Array.from({ length: 1000 }, () => Buffer.alloc(16_384, 1)),
      10,
    );
    expect(endless.status).toBe(413);
    expect(JSON.parse(endless.body).error).toMatch(/larger than the 0\.2 MB limit/);
    expect(endless.closedAfterMs).toBeDefined();
    expect(endless.closedAfterMs!).toBeLessThan(4000);
    expect(Date.now() - started).toBeLessThan(5000);
  }, 10_000);

  it("still answers 413 to a declared Content-Length over the limit", async () => {
    const { status, body } = await upload(server, Buffer.alloc(300_000), "big.png");
    expect(status).toBe(413);
    expect(String(body.error)).toMatch(/0\.3 MB.*limit is 0\.2 MB/);
  });
});

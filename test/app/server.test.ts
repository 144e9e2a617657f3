import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type Predictor, type RunningServer } from "../../src/lib/app";
import { decodeImageBytes } from "../../src/lib/data";

// HTTP-layer tests: a predictor that really decodes the upload (so bad files fail as they would with a model)
// and scores the mean brightness; the model-backed page is tested in test/app/browser.test.ts.
let release: () => void = () => {};
let hold = false;
const predictor: Predictor = {
  info: { model: "mean-brightness", run: "test", threshold: 0.5, inputSize: 32, backend: "none" },
  async predictBytes(bytes, name) {
    const image = await decodeImageBytes(bytes, name, { width: 32, height: 32 });
    if (hold) await new Promise<void>((r) => (release = r));
    const probability = image.data.reduce((a, b) => a + b, 0) / image.data.length / 255;
    return { label: probability >= 0.5 ? "PNEUMONIA" : "NORMAL", probability, threshold: 0.5 };
  },
};
const XRAY = join("data", "sample", "chest_xray", "test", "NORMAL");
let server: RunningServer;

beforeAll(async () => {
  server = await startServer({ predictor, port: 0, maxBytes: 200_000, maxConcurrent: 1, log: () => {} });
});
afterAll(() => server.close());

async function upload(body: Buffer | string, name = "x.jpeg") {
  const payload = typeof body === "string" ? body : new Uint8Array(body);
  const res = await fetch(`${server.url}api/predict?name=${name}`, { method: "POST", body: payload });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe("prediction server", () => {
  it("serves the page with the research-use notice, bound to 127.0.0.1", async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const html = await (await fetch(server.url)).text();
    expect(html).toContain("Research use only, not a medical device");
    expect(await (await fetch(`${server.url}api/info`)).json()).toMatchObject({ model: "mean-brightness", threshold: 0.5 });
  });

  it("predicts a real X-ray from the sample", async () => {
    const { readdir } = await import("node:fs/promises");
    const file = (await readdir(XRAY)).sort()[0]!;
    const { status, body } = await upload(await readFile(join(XRAY, file)), file);
    expect(status).toBe(200);
    expect(["NORMAL", "PNEUMONIA"]).toContain(body.label);
    expect(body.probability).toBeGreaterThan(0);
    expect(body.probability).toBeLessThan(1);
  });

  it("answers 415 with a message for a text file, and keeps serving", async () => {
    const bad = await upload("just some text, not an image", "notes.txt");
    expect(bad.status).toBe(415);
    expect(String(bad.body.error)).toMatch(/not a readable JPEG or PNG/);
    const truncated = await upload((await readFile(join(XRAY, (await import("node:fs")).readdirSync(XRAY).sort()[0]!))).subarray(0, 400), "cut.jpeg");
    expect(truncated.status).toBe(415);
    expect((await fetch(`${server.url}api/info`)).status).toBe(200);
  });

  it("answers 413 over the size limit and 429 when too many uploads run at once", async () => {
    const big = await upload(Buffer.alloc(300_000, 1), "big.png");
    expect(big.status).toBe(413);
    expect(String(big.body.error)).toMatch(/too large/);
    const file = join(XRAY, (await import("node:fs")).readdirSync(XRAY).sort()[0]!);
    const bytes = await readFile(file);
    hold = true;
    const first = upload(bytes);
    await new Promise((r) => setTimeout(r, 300));
    const second = await upload(bytes);
    expect(second.status).toBe(429);
    hold = false;
    release();
    expect((await first).status).toBe(200);
  });
});

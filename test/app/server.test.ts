import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type RunningServer } from "../../src/lib/app";
import { sampleXray, testPredictor, upload as uploadTo } from "./helpers";

// HTTP-layer tests with a predictor that really decodes the upload (test/app/helpers.ts); the model-backed page is
// tested in test/app/browser.test.ts, slow and hostile clients in limits.test.ts, hosts.test.ts and upload.test.ts.
const test = testPredictor();
let server: RunningServer;

beforeAll(async () => {
  const limits = { maxBytes: 200_000, maxConcurrent: 1 };
  server = await startServer({ predictor: test.predictor, port: 0, ...limits, log: () => {} });
});
afterAll(() => server.close());

const upload = (body: Buffer | string, name?: string) => uploadTo(server, body, name);

describe("prediction server", () => {
  it("serves the page with the research-use notice, bound to 127.0.0.1", async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const html = await (await fetch(server.url)).text();
    expect(html).toContain("Research use only, not a medical device");
    const info = await (await fetch(`${server.url}api/info`)).json();
    expect(info).toMatchObject({ model: "mean-brightness", threshold: 0.5 });
  });

  it("predicts a real X-ray from the sample", async () => {
    const { name, bytes } = sampleXray();
    const { status, body } = await upload(bytes, name);
    expect(status).toBe(200);
    expect(["NORMAL", "PNEUMONIA"]).toContain(body.label);
    expect(body.probability).toBeGreaterThan(0);
    expect(body.probability).toBeLessThan(1);
  });

  it("answers 415 with a message for a text file, and keeps serving", async () => {
    const bad = await upload("just some text, not an image", "notes.txt");
    expect(bad.status).toBe(415);
    expect(String(bad.body.error)).toMatch(/not a readable JPEG or PNG/);
    const truncated = await upload(sampleXray().bytes.subarray(0, 400), "cut.jpeg");
    expect(truncated.status).toBe(415);
    expect((await fetch(`${server.url}api/info`)).status).toBe(200);
  });

  it("answers 413 over the size limit and 429 when too many uploads run at once", async () => {
    const big = await upload(Buffer.alloc(300_000, 1), "big.png");
    expect(big.status).toBe(413);
    expect(String(big.body.error)).toMatch(/too large/);
    const { bytes } = sampleXray();
    test.hold = true;
    const first = upload(bytes);
    await new Promise((r) => setTimeout(r, 300));
    const second = await upload(bytes);
    expect(second.status).toBe(429);
    test.hold = false;
    test.release();
    expect((await first).status).toBe(200);
  });
});

import { runInNewContext } from "node:vm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { predictionPage, startServer, verdictText, type RunningServer } from "../../src/lib/app";
import { sampleXray, testPredictor, upload } from "./helpers";

// Issue 17, item 21: the page printed NORMAL beside "Probability of pneumonia: 81.8 %" with the threshold as
// 0.825, so the verdict looked wrong. The verdict now states the comparison. The page's own script is run here
// against a real server with a minimal DOM (no browser is installed; test/app/browser.test.ts has the real one).
let server: RunningServer;

beforeAll(async () => {
  const { predictor } = testPredictor({ probability: 0.818, threshold: 0.825 });
  server = await startServer({ predictor, port: 0, log: () => {} });
});
afterAll(() => server.close());

interface FakeElement {
  textContent: string;
  hidden: boolean;
  className: string;
  src: string;
  style: Record<string, string>;
}

// Runs the page's script with stub elements and a fetch that goes to the test server; returns the elements and
// the script's `send(file)`.
function loadPage(html: string) {
  const script = /<script>([\s\S]*)<\/script>/.exec(html)![1]!;
  const elements = new Map<string, FakeElement>();
  const element = (id: string) => {
    if (!elements.has(id)) {
      const classList = { add: () => {}, remove: () => {} };
      const fresh = { textContent: "", hidden: id === "result", className: "", src: "", style: {}, classList };
      elements.set(id, fresh as FakeElement);
    }
    return elements.get(id)!;
  };
  const context = {
    document: { getElementById: element },
    fetch: (url: string, init?: RequestInit) => fetch(new URL(url, server.url), init),
    URL: { createObjectURL: () => "blob:upload" },
    encodeURIComponent,
  } as Record<string, unknown>;
  runInNewContext(script, context);
  const send = context.send as (file: File) => Promise<void>;
  return { text: (id: string) => element(id).textContent, element, send };
}

describe("verdict text", () => {
  it("states how the label follows from the probability and the threshold", () => {
    expect(verdictText(0.818, 0.825)).toBe("81.8 % < threshold 82.5 % → NORMAL");
    expect(verdictText(0.9, 0.5)).toBe("90.0 % ≥ threshold 50.0 % → PNEUMONIA");
    expect(verdictText(0.825, 0.825)).toBe("82.5 % ≥ threshold 82.5 % → PNEUMONIA");
  });

  it("adds digits until a probability just under the threshold reads as smaller", () => {
    expect(verdictText(0.82496, 0.825)).toBe("82.496 % < threshold 82.500 % → NORMAL");
    expect(verdictText(0.8251, 0.825)).toBe("82.51 % ≥ threshold 82.50 % → PNEUMONIA");
  });
});

describe("prediction page and its answers", () => {
  it("the JSON answer carries the decision, and the page shows it with the threshold in per cent", async () => {
    const xray = sampleXray();
    const { body } = await upload(server, xray.bytes, xray.name);
    expect(body).toMatchObject({ label: "NORMAL", probability: 0.818, threshold: 0.825 });
    expect(body.decision).toBe("81.8 % < threshold 82.5 % → NORMAL");

    const html = await (await fetch(server.url)).text();
    expect(html).toMatch(/PNEUMONIA when the probability of pneumonia is at or above the threshold/);
    expect(html).not.toMatch(/re-download|data set/);
    const page = loadPage(html);
    await page.send(new File([new Uint8Array(xray.bytes)], xray.name, { type: "image/jpeg" }));
    expect(page.text("error")).toBe("");
    expect(page.element("result").hidden).toBe(false);
    expect(page.text("verdict")).toBe("NORMAL");
    expect(page.text("prob")).toBe("81.8 %");
    expect(page.text("thr")).toBe("82.5 %");
    expect(page.text("decision")).toBe("81.8 % < threshold 82.5 % → NORMAL");
  });

  it("a bad upload shows the server's upload message on the page", async () => {
    const page = loadPage(predictionPage({ maxBytes: 10e6 }));
    await page.send(new File(["not an x-ray"], "notes.txt", { type: "text/plain" }));
    expect(page.element("result").hidden).toBe(true);
    expect(page.text("error")).toMatch(/notes\.txt.*not a readable JPEG or PNG.*try another file/i);
    expect(page.text("error")).not.toMatch(/re-download|data set/);
  });
});

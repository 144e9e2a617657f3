import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type RunningServer } from "../../src/lib/app";
import { browserAvailable, browserLaunchOptions, resolveBrowser } from "../../src/lib/plots";
import { findProjectRoot } from "../../src/lib/data";
import { evaluateRun, loadPredictor, resolvePreset, trainCnnRun, type FilePredictor } from "../../src/lib/workflows";
import { tempDir } from "../data/helpers";

// A system Chromium, PNEUMO_CHROMIUM, or the npm one (@sparticuz/chromium): missing only without npm install.
const HAVE_BROWSER = browserAvailable();
const SAMPLE = join("data", "sample", "chest_xray", "test", "PNEUMONIA");
let server: RunningServer;
let browser: Browser;
let predictor: FilePredictor;

describe.skipIf(!HAVE_BROWSER)(
  `prediction page in a real browser${HAVE_BROWSER ? "" : " (no browser: npm install)"}`,
  () => {
    beforeAll(async () => {
      // a tiny CNN trained on the sample (32 px, 1 epoch) and evaluated, so the page uses the run's threshold
      const preset = resolvePreset("quick", {});
      preset.cnn = { ...preset.cnn, inputSize: 32, epochs: 1 };
      const options = { preset, name: "cnn-serve", runsRoot: tempDir(), progress: false, log: () => {} };
      const { runDir } = await trainCnnRun(options);
      await evaluateRun(runDir, { nBoot: 20, save: true, log: () => {} });
      predictor = await loadPredictor(runDir, { log: () => {} });
      server = await startServer({ predictor, port: 0, log: () => {} });
      browser = await chromium.launch(browserLaunchOptions(resolveBrowser()));
    }, 240_000);
    afterAll(async () => {
      await browser?.close();
      await server?.close();
      predictor?.dispose();
    });

    it("uploads a real X-ray and shows a verdict, the confidence bar, the threshold and the Grad-CAM overlay", async () => {
      const page = await browser.newPage({ viewport: { width: 1000, height: 1100 } });
      await page.goto(server.url);
      await expect.poll(() => page.textContent("#model")).toContain("cnn4");
      expect(await page.textContent("#notice")).toContain("Research use only, not a medical device");
      const file = join(SAMPLE, readdirSync(SAMPLE).sort()[0]!);
      await page.setInputFiles("#file", file);
      await page.waitForSelector("#result:not([hidden])", { timeout: 60_000 });
      expect(await page.textContent("#verdict")).toMatch(/^(NORMAL|PNEUMONIA)$/);
      expect(await page.getAttribute("#verdict", "class")).toMatch(/verdict (NORMAL|PNEUMONIA)/);
      expect(await page.textContent("#prob")).toMatch(/^\d+\.\d %$/);
      expect(await page.textContent("#thr")).toBe(`${(100 * predictor.info.threshold).toFixed(1)} %`);
      expect(await page.textContent("#decision")).toMatch(
        /^\d+\.\d+ % (<|≥) threshold \d+\.\d+ % → (NORMAL|PNEUMONIA)$/,
      );
      const overlay = await page.$eval("#overlay", (img) => ({
        src: (img as HTMLImageElement).src,
        w: (img as HTMLImageElement).naturalWidth,
      }));
      expect(overlay.src.startsWith("data:image/png;base64,")).toBe(true);
      expect(overlay.w).toBeGreaterThan(0);
      const shots = join(findProjectRoot(), "outputs", "screenshots");
      mkdirSync(shots, { recursive: true });
      await page.screenshot({ path: join(shots, "predict-page.png"), fullPage: true });
      await page.close();
    }, 120_000);

    it("shows a clear error for a text file, and the next upload still works", async () => {
      const page = await browser.newPage();
      await page.goto(server.url);
      const bad = join(tempDir(), "notes.txt");
      writeFileSync(bad, "this is not an x-ray");
      await page.setInputFiles("#file", bad);
      await expect.poll(() => page.textContent("#error"), { timeout: 30_000 }).toMatch(/not a readable JPEG or PNG/);
      expect(await page.isHidden("#result")).toBe(true);
      await page.setInputFiles("#file", join(SAMPLE, readdirSync(SAMPLE).sort()[1]!));
      await page.waitForSelector("#result:not([hidden])", { timeout: 60_000 });
      expect(await page.textContent("#error")).toBe("");
      await page.close();
    }, 120_000);
  },
);

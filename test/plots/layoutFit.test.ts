import { chromium, type BrowserContext, type Page } from "playwright-core";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { browserAvailable, browserLaunchOptions, resolveBrowser } from "../../src/lib/plots/browser";
import { plotlyBundlePath } from "../../src/lib/plots/bundle";
import { rocFigure } from "../../src/lib/plots/curves";
import { predictionGridFigure } from "../../src/lib/plots/images";
import type { Figure } from "../../src/lib/plots/types";

type Box = { left: number; right: number; top: number; bottom: number };

// Drawn by plotly.js in Chromium and measured: the text boxes the reader sees, not an estimate of them.
describe.skipIf(!browserAvailable())("figure layout as drawn", () => {
  let context: BrowserContext;
  let page: Page;
  const profile = mkdtempSync(join(tmpdir(), "pneumo-layout-"));
  beforeAll(async () => {
    context = await chromium.launchPersistentContext(profile, browserLaunchOptions(resolveBrowser()));
    page = context.pages()[0] ?? (await context.newPage());
    await page.setContent('<!DOCTYPE html><html><body style="margin:0"><div id="plot"></div></body></html>');
    await page.addScriptTag({ path: plotlyBundlePath() });
  }, 60_000);
  afterAll(async () => {
    await context?.close();
    rmSync(profile, { recursive: true, force: true });
  });

  /** Draw a figure at a width and return boxes of its cell titles, legend and plot areas (page pixels). */
  function draw(fig: Figure, width: number, height: number) {
    return page.evaluate(
      async ({ fig, width, height }) => {
        const el = document.getElementById("plot")!;
        const plotly = (globalThis as unknown as { Plotly: { newPlot(...a: unknown[]): Promise<unknown> } }).Plotly;
        await plotly.newPlot(el, fig.data, { ...fig.layout, width, height }, { staticPlot: true });
        const box = (e: Element) => {
          const r = e.getBoundingClientRect();
          return { left: r.left, right: r.right, top: r.top, bottom: r.bottom };
        };
        // the axes' pixel extent, as plotly.js laid it out (_offset/_length: the axis domain after margins, constraints)
        const full = (el as unknown as { _fullLayout: Record<string, { _offset: number; _length: number }> })
          ._fullLayout;
        const plot = {
          left: full.xaxis._offset,
          right: full.xaxis._offset + full.xaxis._length,
          top: full.yaxis._offset,
          bottom: full.yaxis._offset + full.yaxis._length,
        };
        return {
          titles: Array.from(el.querySelectorAll(".annotation-text")).map(box),
          legend: Array.from(el.querySelectorAll(".legend .bg")).map(box)[0],
          axisTitles: Array.from(el.querySelectorAll(".g-xtitle text, .g-ytitle text")).map(box),
          plot,
        };
      },
      { fig, width, height },
    );
  }

  it("prediction-grid captions fit their cells at 150 px and at 90 px", async () => {
    const gray = { data: new Float32Array(32 * 32).fill(0.5), width: 32, height: 32, channels: 1 };
    const notes = ["NORMAL2-IM-0936-0001.jpeg", "person1505_virus_2615.jpeg", undefined, "IM-0487-0001.jpeg"];
    const items = [0, 1, 1, 0].map((label, i) => ({
      image: gray,
      label,
      probability: [0.9, 0.1, 0.8, 0.2][i],
      note: notes[i],
    }));
    for (const cellSize of [150, 90]) {
      const fig = await predictionGridFigure(items, { threshold: 0.5, cols: 4, cellSize });
      const { titles } = await draw(fig, fig.layout.width as number, fig.layout.height as number);
      expect(titles).toHaveLength(4);
      const widths = titles.map((t: Box) => t.right - t.left);
      for (const w of widths)
        expect(w, `caption ${w.toFixed(0)} px wide in a ${cellSize} px cell`).toBeLessThanOrEqual(cellSize);
      for (let i = 1; i < titles.length; i++) expect(titles[i].left).toBeGreaterThanOrEqual(titles[i - 1].right); // no overlap
    }
  }, 60_000);

  it("the ROC legend stays clear of the plot area and axis titles (1280, 1100, 700, 600 px wide)", async () => {
    const roc = { fpr: [0, 0.1, 0.3, 1], tpr: [0, 0.7, 0.9, 1], thresholds: [Infinity, 0.8, 0.4, 0] };
    const fig = rocFigure(roc, {
      name: "cnn4 (test, n=40)",
      auc: { estimate: 0.984, lower: 0.944, upper: 1 },
      threshold: { threshold: 0.061, sensitivity: 0.96, specificity: 0.8 },
      band: { fpr: [0, 0.5, 1], lower: [0, 0.8, 1], upper: [0.2, 0.95, 1], level: 0.95 },
    });
    const overlap = (a: Box, b: Box) => a.left < b.right && a.right > b.left && a.top < b.bottom && a.bottom > b.top;
    // 450 px: plotly's height when none is set (the inline figure in a notebook is responsive)
    for (const [width, height] of [
      [1280, 600],
      [700, 600],
      [1100, 450],
      [600, 450],
    ]) {
      const { legend, plot, axisTitles } = await draw(fig, width, height);
      const at = `at ${width} × ${height} px`;
      expect(overlap(legend, plot), `legend ${JSON.stringify(legend)} over plot ${JSON.stringify(plot)} ${at}`).toBe(
        false,
      );
      for (const t of axisTitles) expect(overlap(legend, t), `legend over an axis title ${at}`).toBe(false);
      expect(legend.right).toBeLessThanOrEqual(width);
      expect(legend.bottom).toBeLessThanOrEqual(height);
    }
  }, 60_000);
});

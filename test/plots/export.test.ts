import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, describe, expect, it, vi } from "vitest";
import { embedImage } from "../../src/lib/plots/encode";
import { browserAvailable } from "../../src/lib/plots/browser";
import { closeExporter, exportFigure, exporterBrowser, renderFigure } from "../../src/lib/plots/export";
import { imagePanelsFigure } from "../../src/lib/plots/images";
import type { Figure } from "../../src/lib/plots/types";

const FIG: Figure = {
  data: [{ type: "scatter", mode: "lines", x: [0, 1], y: [0, 1], name: "diag" }],
  layout: { title: { text: "export test" } },
};
const made: string[] = [];
// A fresh output folder, removed after the file's tests.
const outDir = (): string => {
  made.push(mkdtempSync(join(tmpdir(), "pneumo-export-")));
  return made[made.length - 1];
};
// A system Chromium, PNEUMO_CHROMIUM, or the npm one (@sparticuz/chromium, a dependency): false only without npm install.
const CHROMIUM = browserAvailable();

afterAll(async () => {
  await closeExporter();
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

describe("exportFigure without a browser", () => {
  it("writes a standalone HTML page with plotly.js inlined", async () => {
    const dir = outDir();
    const files = await exportFigure(FIG, "diag", { formats: ["html"], dir });
    expect(files).toEqual({ html: join(dir, "diag.html") });
    const html = readFileSync(files.html!, "utf8");
    expect(html).toContain("window.Plotly = Plotly");
    expect(html).toContain('"name":"diag"');
  });

  it("rejects unsafe names and unknown formats", async () => {
    await expect(exportFigure(FIG, "../escape", { formats: ["html"], dir: outDir() })).rejects.toThrow(
      /Received: \.\.\/escape/,
    );
    await expect(exportFigure(FIG, "x", { formats: ["pdf" as "png"], dir: outDir() })).rejects.toThrow(/Received: pdf/);
  });

  it("names a PNEUMO_CHROMIUM that does not exist, before writing anything", async () => {
    vi.stubEnv("PNEUMO_CHROMIUM", "/nonexistent/chromium");
    try {
      const dir = outDir();
      await expect(exportFigure(FIG, "diag", { formats: ["html", "png"], dir })).rejects.toThrow(
        /^exportFigure: .*no such file.*Received: PNEUMO_CHROMIUM=\/nonexistent\/chromium/s,
      );
      expect(existsSync(join(dir, "diag.html"))).toBe(false);
    } finally {
      vi.unstubAllEnvs();
    }
  });
});

describe.skipIf(!CHROMIUM)("exportFigure with headless Chromium", () => {
  it("writes PNG and SVG files of the requested size, and says which browser rendered them", async () => {
    const dir = outDir();
    const files = await exportFigure(FIG, "diag", { formats: ["png", "svg"], dir, width: 300, height: 200, scale: 1 });
    expect(exporterBrowser()).toMatchObject({ version: expect.stringMatching(/^(Chromium|Google Chrome) \d+\./) });
    expect(["PNEUMO_CHROMIUM", "system", "npm @sparticuz/chromium"]).toContain(exporterBrowser()!.source);
    const png = readFileSync(files.png!);
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]); // PNG signature
    const meta = await sharp(png).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(["png", 300, 200]);
    const svg = readFileSync(files.svg!, "utf8");
    expect(svg).toContain("<svg");
    expect(svg).toContain("export test");
  });

  it("scales PNGs and takes the size from the layout (default scale 2)", async () => {
    const meta = await sharp(
      await renderFigure({ ...FIG, layout: { ...FIG.layout, width: 250, height: 150 } }, "png"),
    ).metadata();
    expect([meta.width, meta.height]).toEqual([500, 300]);
  });

  it("renders image traces: the centre of a solid red panel is red", async () => {
    const red = await sharp({ create: { width: 8, height: 8, channels: 3, background: "#ff0000" } })
      .png()
      .toBuffer();
    // one 100 px cell: layout 120 × 142 px, plot area from (10, 32), so the image centre is at (60, 82)
    const fig = imagePanelsFigure([{ image: await embedImage(red), title: "red" }], { cellSize: 100 });
    expect([fig.layout.width, fig.layout.height]).toEqual([120, 142]);
    const { data, info } = await sharp(await renderFigure(fig, "png", { scale: 1 }))
      .raw()
      .toBuffer({ resolveWithObject: true });
    const at = (82 * info.width + 60) * info.channels;
    expect([...data.subarray(at, at + 3)]).toEqual([255, 0, 0]);
  });
});

/**
 * Writing figures to files: standalone HTML (plotly.js inlined) and PNG/SVG rendered by
 * `Plotly.toImage` in headless Chromium (see `resolveBrowser`: `PNEUMO_CHROMIUM`, a system browser, or the
 * one shipped on npm) driven by playwright-core. One browser is reused across calls (lazy singleton); it
 * closes after an idle time (`configureExporter`), on `closeExporter()`, and with the process.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { inspect } from "node:util";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { findProjectRoot } from "../data/roots";
import { browserLaunchOptions, CHROMIUM_ENV, describeBrowser, resolveBrowser, type ResolvedBrowser } from "./browser";
import { PLOT_CONFIG, plotlyBundlePath, standaloneHtml } from "./bundle";
import type { Figure } from "./types";

/** Formats {@link exportFigure} writes. */
export type ExportFormat = "html" | "png" | "svg";

/** Idle time (ms) after which the shared browser closes: in a notebook it would otherwise hold ~430 MB. */
export const EXPORTER_IDLE_CLOSE_MS = 60_000;
/** Outside tslab a short idle close lets a finished script exit (the open browser keeps Node running). */
export const EXPORTER_SCRIPT_IDLE_CLOSE_MS = 2_000;

/** Size options of rendered images. */
export interface RenderOptions {
  /** CSS pixels. Default: the layout's width/height, else 900 × 600. */
  width?: number;
  height?: number;
  /** Pixel ratio of PNG output (PNG size = width·scale × height·scale). Default 2. */
  scale?: number;
}

/** Options of {@link exportFigure}. */
export interface ExportOptions extends RenderOptions {
  /** Default ["html", "png"]. */
  formats?: readonly ExportFormat[];
  /** Output folder, created if missing. Default `<projectRoot>/outputs/figures`. */
  dir?: string;
}

/** Paths written per format. */
export type ExportedFiles = Partial<Record<ExportFormat, string>>;

/** Settings of the shared export browser ({@link configureExporter}). */
export interface ExporterSettings {
  /** Close the browser after this idle time (ms). Default 60 s in tslab, 2 s in scripts. */
  idleCloseMs?: number;
  /** Where the "figure export: <browser>" line goes when a browser starts. Default console.log. */
  log?: (line: string) => void;
}

interface Exporter {
  context: BrowserContext;
  page: Page;
  userDataDir: string;
  browser: ResolvedBrowser;
}

const settings: ExporterSettings = {};
let resolved: { key: string; browser: ResolvedBrowser } | null = null;
let exporter: Promise<Exporter> | null = null;
let lastBrowser: ResolvedBrowser | null = null;
let queue: Promise<unknown> = Promise.resolve();
let idleTimer: NodeJS.Timeout | undefined;
let exitHookInstalled = false;
/** Profile folder of the open browser, for the synchronous exit hook. */
let liveProfile: string | null = null;

/**
 * Change the idle close time or the log of the shared browser (for every later export).
 * @example
 * configureExporter({ idleCloseMs: 10_000 });
 */
export function configureExporter(next: ExporterSettings): void {
  const ms = next.idleCloseMs;
  if (ms !== undefined && !(Number.isFinite(ms) && ms >= 0)) {
    throw new Error(`configureExporter: idleCloseMs must be a number ≥ 0. Received: ${ms}`);
  }
  Object.assign(settings, next);
}

/**
 * The browser that rendered the last PNG/SVG (path, version, source), or null before the first.
 * @example
 * exporterBrowser()?.source; // "system" or "npm @sparticuz/chromium"
 */
export function exporterBrowser(): ResolvedBrowser | null {
  return lastBrowser;
}

/** The browser to use, resolved once per `PNEUMO_CHROMIUM` value (`resolveBrowser` throws a named error). */
function exportBrowser(fn: string): ResolvedBrowser {
  const key = process.env[CHROMIUM_ENV] ?? "";
  if (resolved?.key === key) return resolved.browser;
  try {
    resolved = { key, browser: resolveBrowser() };
  } catch (err) {
    throw new Error(`${fn}: ${(err as Error).message} (HTML export works without a browser)`);
  }
  return resolved.browser;
}

/** Launch Chromium with a fresh profile and a page that has plotly.js loaded. */
async function launchExporter(browser: ResolvedBrowser): Promise<Exporter> {
  const userDataDir = mkdtempSync(join(tmpdir(), "pneumo-plots-"));
  try {
    const context = await chromium.launchPersistentContext(userDataDir, browserLaunchOptions(browser));
    liveProfile = userDataDir;
    const page = context.pages()[0] ?? (await context.newPage());
    await page.setContent('<!DOCTYPE html><html><head><meta charset="utf-8"></head><body></body></html>');
    await page.addScriptTag({ path: plotlyBundlePath() });
    (settings.log ?? console.log)(`[pneumo-lab] figure export: ${describeBrowser(browser)}`);
    return { context, page, userDataDir, browser };
  } catch (err) {
    liveProfile = null;
    rmSync(userDataDir, { recursive: true, force: true });
    const why = (err as Error).message.split("\n")[0];
    throw new Error(
      `exportFigure: could not start Chromium at ${browser.path} (${why}). ` +
        `Check the binary or set ${CHROMIUM_ENV}. Received: ${describeBrowser(browser)}`,
    );
  }
}

/** The shared exporter, launched on first use. */
function getExporter(): Promise<Exporter> {
  if (!exporter) {
    exporter = launchExporter(exportBrowser("exportFigure"));
    exporter.catch(() => (exporter = null));
    if (!exitHookInstalled) {
      exitHookInstalled = true;
      // Playwright kills its browsers on exit; remove the profile folder as well. Its own signal handlers are off
      // (they ended tslab kernels on Ctrl-C), so a SIGTERM (a kernel shut down) would skip the exit hook: clean up,
      // then die by the signal as before.
      const removeProfile = () => {
        if (liveProfile) rmSync(liveProfile, { recursive: true, force: true });
      };
      process.once("exit", removeProfile);
      process.once("SIGTERM", () => {
        removeProfile();
        if (process.listenerCount("SIGTERM") === 0) process.kill(process.pid, "SIGTERM");
      });
    }
  }
  return exporter;
}

/** Arm the idle close; unref'd, so a pending close never keeps the process alive by itself. */
function scheduleIdleClose(): void {
  clearTimeout(idleTimer);
  const inKernel = "__tslab__" in globalThis;
  const ms = settings.idleCloseMs ?? (inKernel ? EXPORTER_IDLE_CLOSE_MS : EXPORTER_SCRIPT_IDLE_CLOSE_MS);
  idleTimer = setTimeout(() => void closeExporter(), ms);
  idleTimer.unref();
}

/**
 * Close the shared browser (and delete its profile). Safe to call when none is open.
 * @example
 * afterAll(closeExporter);
 */
export async function closeExporter(): Promise<void> {
  clearTimeout(idleTimer);
  const pending = exporter;
  exporter = null;
  if (!pending) return;
  const e = await pending.catch(() => null);
  if (!e) return;
  await e.context.close().catch(() => undefined);
  rmSync(e.userDataDir, { recursive: true, force: true });
  if (liveProfile === e.userDataDir) liveProfile = null;
}

/** Width, height and scale of a render, from options then layout. */
function renderSize(fig: Figure, opts: RenderOptions): Required<RenderOptions> {
  const num = (v: unknown) => (typeof v === "number" && v > 0 ? v : undefined);
  const size = {
    width: opts.width ?? num(fig.layout.width) ?? 900,
    height: opts.height ?? num(fig.layout.height) ?? 600,
    scale: opts.scale ?? 2,
  };
  for (const [k, v] of Object.entries(size)) {
    if (!(Number.isFinite(v) && v > 0)) throw new Error(`exportFigure: ${k} must be a positive number. Received: ${v}`);
  }
  return size;
}

/**
 * Render a figure to PNG bytes or SVG text (as UTF-8 bytes) in the shared headless browser.
 * @example
 * const png = await renderFigure(fig, "png", { width: 800, height: 500, scale: 1 });
 */
export async function renderFigure(fig: Figure, format: "png" | "svg", opts: RenderOptions = {}): Promise<Buffer> {
  const size = renderSize(fig, opts);
  const task = queue.then(async () => {
    const { page, browser } = await getExporter();
    lastBrowser = browser;
    const url = await page.evaluate(
      ({ fig, format, size, config }) => {
        const plotly = (globalThis as unknown as { Plotly: { toImage(f: unknown, o: unknown): Promise<string> } })
          .Plotly;
        return plotly.toImage({ data: fig.data, layout: fig.layout, config }, { format, ...size });
      },
      { fig, format, size, config: { ...PLOT_CONFIG, staticPlot: true } },
    );
    return decodeDataUrl(url);
  });
  queue = task.catch(() => undefined).finally(scheduleIdleClose);
  return task;
}

/** Bytes of a base64 or URL-encoded data URL (`Plotly.toImage` gives PNG as base64, SVG URL-encoded). */
function decodeDataUrl(url: string): Buffer {
  const comma = url.indexOf(",");
  const head = url.slice(0, comma),
    body = url.slice(comma + 1);
  return head.endsWith(";base64") ? Buffer.from(body, "base64") : Buffer.from(decodeURIComponent(body), "utf8");
}

/**
 * Write a figure as standalone HTML (plotly.js inlined, offline) and/or PNG/SVG (headless Chromium).
 * Files are `<dir>/<name>.<format>`; returns their paths. The first PNG/SVG logs which browser renders
 * ("[pneumo-lab] figure export: Chromium 153.0.8010.0 (npm @sparticuz/chromium, …)"; see {@link exporterBrowser}).
 * The result prints as one short line (a tslab cell ending in `await exportFigure(…)` echoes it instead of the
 * object with full paths); `show(fig, { save: name })` exports and displays in one quiet call.
 * @example
 * await exportFigure(rocFigure(roc), "04-roc", { formats: ["html", "png", "svg"] });
 * // { html: ".../outputs/figures/04-roc.html", png: ".../04-roc.png", svg: ".../04-roc.svg" }
 */
export async function exportFigure(fig: Figure, name: string, opts: ExportOptions = {}): Promise<ExportedFiles> {
  if (!/^[\w][\w.-]*$/.test(name))
    throw new Error(`exportFigure: name must be a plain file stem (letters, digits, "_", "-", "."). Received: ${name}`);
  const formats = opts.formats ?? ["html", "png"];
  const bad = formats.filter((f) => !["html", "png", "svg"].includes(f));
  if (bad.length) throw new Error(`exportFigure: formats must be "html", "png" or "svg". Received: ${bad.join(", ")}`);
  if (formats.some((f) => f !== "html")) exportBrowser("exportFigure"); // fail before writing anything
  const dir = resolve(opts.dir ?? join(findProjectRoot(), "outputs", "figures"));
  mkdirSync(dir, { recursive: true });
  const out: ExportedFiles = {};
  for (const format of formats) {
    const path = join(dir, `${name}.${format}`);
    if (format === "html") {
      const { width, height } = opts;
      writeFileSync(path, standaloneHtml(fig, { title: name, width, height }));
    } else {
      writeFileSync(path, await renderFigure(fig, format, opts));
    }
    out[format] = path;
  }
  return quietFiles(out, name, dir);
}

/** The paths, printing (console.log, tslab's echo of a cell's value) as "exported 04-roc.{html,png} in <dir>". */
function quietFiles(out: ExportedFiles, name: string, dir: string): ExportedFiles {
  const line = `exported ${name}.{${Object.keys(out).join(",")}} in ${basename(dir)}/`;
  return Object.defineProperty(out, inspect.custom, { value: () => line, enumerable: false });
}

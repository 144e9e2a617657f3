/**
 * Writing figures to files: standalone HTML (plotly.js inlined) and PNG/SVG rendered by
 * `Plotly.toImage` in headless Debian Chromium driven by playwright-core. One browser is reused
 * across calls (lazy singleton); it closes after a short idle time outside notebooks so scripts can
 * exit, on `closeExporter()`, and with the process.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { findProjectRoot } from "../data/roots";
import { PLOT_CONFIG, plotlyBundlePath, standaloneHtml } from "./bundle";
import type { Figure } from "./types";

/** Formats {@link exportFigure} writes. */
export type ExportFormat = "html" | "png" | "svg";

/** Environment variable naming a Chrome/Chromium binary. */
export const CHROMIUM_ENV = "PNEUMO_CHROMIUM";
/** Binaries tried when the env variable is unset. */
export const CHROMIUM_CANDIDATES: readonly string[] = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"];
/** Flags for a quiet, offline, sandbox-free headless browser. */
export const CHROMIUM_ARGS: readonly string[] = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];
/** Outside tslab the browser closes after this idle time (ms), so a finished script can exit. */
export const EXPORTER_IDLE_CLOSE_MS = 2000;

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

/**
 * The Chromium binary to use: env `PNEUMO_CHROMIUM` (must exist), else the first existing
 * standard path; null when there is none.
 * @example
 * findChromium(); // "/usr/bin/chromium"
 */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string | null {
  const custom = env[CHROMIUM_ENV];
  if (custom) return existsSync(custom) ? custom : null;
  return CHROMIUM_CANDIDATES.find((p) => existsSync(p)) ?? null;
}

/** findChromium or a clear error naming what to install. */
function requireChromium(fn: string): string {
  const path = findChromium();
  if (path) return path;
  const custom = process.env[CHROMIUM_ENV];
  throw new Error(
    `${fn}: PNG/SVG export needs Chromium. Install it with \`apt-get install chromium\` (Debian/Ubuntu; fonts: fonts-liberation) ` +
      `or set ${CHROMIUM_ENV} to a Chrome/Chromium binary; HTML export works without it. ` +
      `Received: ${custom ? `${CHROMIUM_ENV}=${custom}, which does not exist` : `no browser at ${CHROMIUM_CANDIDATES.join(", ")}`}`,
  );
}

interface Exporter {
  context: BrowserContext;
  page: Page;
  userDataDir: string;
}

let exporter: Promise<Exporter> | null = null;
let queue: Promise<unknown> = Promise.resolve();
let idleTimer: NodeJS.Timeout | undefined;
let exitHookInstalled = false;
/** Profile folder of the open browser, for the synchronous exit hook. */
let liveProfile: string | null = null;

/** Launch Chromium with a fresh profile and a page that has plotly.js loaded. */
async function launchExporter(executablePath: string): Promise<Exporter> {
  const userDataDir = mkdtempSync(join(tmpdir(), "pneumo-plots-"));
  try {
    const context = await chromium.launchPersistentContext(userDataDir, { executablePath, headless: true, args: [...CHROMIUM_ARGS] });
    liveProfile = userDataDir;
    const page = context.pages()[0] ?? (await context.newPage());
    await page.setContent('<!DOCTYPE html><html><head><meta charset="utf-8"></head><body></body></html>');
    await page.addScriptTag({ path: plotlyBundlePath() });
    return { context, page, userDataDir };
  } catch (err) {
    liveProfile = null;
    rmSync(userDataDir, { recursive: true, force: true });
    throw new Error(`exportFigure: could not start Chromium at ${executablePath} (${(err as Error).message.split("\n")[0]}). Check the binary or set ${CHROMIUM_ENV}. Received: ${executablePath}`);
  }
}

/** The shared exporter, launched on first use. */
function getExporter(): Promise<Exporter> {
  if (!exporter) {
    const path = requireChromium("exportFigure");
    exporter = launchExporter(path);
    exporter.catch(() => (exporter = null));
    if (!exitHookInstalled) {
      exitHookInstalled = true;
      // Playwright kills its browsers on exit; remove the profile folder as well.
      process.once("exit", () => {
        if (liveProfile) rmSync(liveProfile, { recursive: true, force: true });
      });
    }
  }
  return exporter;
}

/** Arm the idle close (not in a tslab kernel, which lives as long as the notebook). */
function scheduleIdleClose(): void {
  clearTimeout(idleTimer);
  if ("__tslab__" in globalThis) return;
  idleTimer = setTimeout(() => void closeExporter(), EXPORTER_IDLE_CLOSE_MS);
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
  const size = { width: opts.width ?? num(fig.layout.width) ?? 900, height: opts.height ?? num(fig.layout.height) ?? 600, scale: opts.scale ?? 2 };
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
    const { page } = await getExporter();
    const url = await page.evaluate(
      ({ fig, format, size, config }) => {
        const plotly = (globalThis as unknown as { Plotly: { toImage(f: unknown, o: unknown): Promise<string> } }).Plotly;
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
  const head = url.slice(0, comma), body = url.slice(comma + 1);
  return head.endsWith(";base64") ? Buffer.from(body, "base64") : Buffer.from(decodeURIComponent(body), "utf8");
}

/**
 * Write a figure as standalone HTML (plotly.js inlined, offline) and/or PNG/SVG (headless Chromium).
 * Files are `<dir>/<name>.<format>`; returns their paths.
 * @example
 * await exportFigure(rocFigure(roc), "04-roc", { formats: ["html", "png", "svg"] });
 * // { html: ".../outputs/figures/04-roc.html", png: ".../04-roc.png", svg: ".../04-roc.svg" }
 */
export async function exportFigure(fig: Figure, name: string, opts: ExportOptions = {}): Promise<ExportedFiles> {
  if (!/^[\w][\w.-]*$/.test(name)) throw new Error(`exportFigure: name must be a plain file stem (letters, digits, "_", "-", "."). Received: ${name}`);
  const formats = opts.formats ?? ["html", "png"];
  const bad = formats.filter((f) => !["html", "png", "svg"].includes(f));
  if (bad.length) throw new Error(`exportFigure: formats must be "html", "png" or "svg". Received: ${bad.join(", ")}`);
  if (formats.some((f) => f !== "html")) requireChromium("exportFigure");
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
  return out;
}

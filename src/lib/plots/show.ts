/**
 * Inline display in a tslab notebook. The plotly.js bundle is sent once per kernel process as an
 * inline `<script>` (`display.html`) that defines `window.Plotly`; each figure is then one output that carries the
 * interactive div (plus its `Plotly.newPlot` call) beside a static PNG rendered by headless Chromium.
 *
 * Why both: scripts in outputs only run in *trusted* notebooks. A notebook opened from disk (an executed copy in
 * `outputs/notebooks/`, GitHub, nbviewer) is untrusted, its HTML sanitized and its scripts dropped, so an
 * interactive-only figure is blank there. The PNG sits inside the div (kept by the sanitizer) and as the output's
 * `image/png`; a trusted page replaces it with the interactive plot. Without a browser, figures are HTML only.
 */
import { browserAvailable } from "./browser";
import { figureDivHtml, figureTitle, plotlyBundle } from "./bundle";
import { newDisplayId, resolveDisplay, sendBundle, tryDisplay, type DisplayLike } from "./display";
import { exportFigure, renderFigure, type ExportOptions } from "./export";
import type { Figure } from "./types";

export { tslabDisplay, type DisplayLike } from "./display";

/** Options of {@link show}. */
export interface ShowOptions {
  width?: number;
  height?: number;
  /** Send the plotly.js bundle: once per kernel ("auto", default), every time ("always") or never. */
  inject?: "auto" | "always" | "never";
  /** Display to write to instead of tslab's (tests, other kernels). */
  display?: DisplayLike;
  /** Outside tslab, stay silent instead of printing a one-line note. Default false. */
  quiet?: boolean;
  /** Add the static PNG beside the interactive figure. Default true when a Chromium is available. */
  staticImage?: boolean;
  /** Pixel ratio of that PNG. Default 1 (a 900 × 600 figure adds ~50–150 kB to the saved notebook). */
  staticScale?: number;
  /** Also write the figure to `outputs/figures/<name>.{html,png}` (see `exportFigure`), in or outside a notebook. */
  save?: string | ({ name: string } & ExportOptions);
}

const INJECTED = Symbol.for("pneumo-lab.plots.plotlyInjected");
const RENDER_NOTED = Symbol.for("pneumo-lab.plots.staticRenderNoted");
type FlagHost = Record<symbol, unknown>;

/** Displays that already received the bundle, kept on globalThis so a recompiled module still knows. */
function injectedDisplays(): WeakSet<DisplayLike> {
  const flags = globalThis as unknown as FlagHost;
  flags[INJECTED] ??= new WeakSet<DisplayLike>();
  return flags[INJECTED] as WeakSet<DisplayLike>;
}

/** Send the plotly.js bundle to a display unless it has it; false when the display refused. */
function injectPlotly(display: DisplayLike, inject: ShowOptions["inject"] = "auto"): boolean {
  const injected = injectedDisplays();
  if (inject === "never" || (inject === "auto" && injected.has(display))) return true;
  if (!tryDisplay(() => display.html(`<script type="text/javascript">${plotlyBundle()}</script>`))) return false;
  injected.add(display);
  return true;
}

/** The static PNG of a figure for its notebook output, or null (no browser, turned off, or the render failed). */
async function staticPng(fig: Figure, opts: ShowOptions): Promise<Buffer | null> {
  if (opts.staticImage === false || (opts.staticImage === undefined && !browserAvailable())) return null;
  try {
    return await renderFigure(fig, "png", { width: opts.width, height: opts.height, scale: opts.staticScale ?? 1 });
  } catch (err) {
    const flags = globalThis as unknown as FlagHost;
    if (!flags[RENDER_NOTED]) {
      flags[RENDER_NOTED] = true; // once per kernel: the interactive figure still shows
      console.warn(`show: no static PNG beside the figure (${(err as Error).message.split("\n")[0]})`);
    }
    return null;
  }
}

/**
 * Show a figure inline in a tslab notebook: the interactive plot with a static PNG beside it, so the saved
 * notebook still shows it untrusted, on GitHub or in nbviewer. `save` also writes it to `outputs/figures/`.
 * Resolves to nothing, so a cell ending in `await show(…)` echoes nothing. Outside tslab it only saves.
 * @example
 * await show(rocFigure(roc, { auc }));                    // in a notebook cell
 * await show(fig, { height: 400, save: "04-cnn4-roc" }); // also outputs/figures/04-cnn4-roc.html and .png
 */
export async function show(fig: Figure, opts: ShowOptions = {}): Promise<void> {
  if (opts.save) {
    const { name, ...exportOpts } = typeof opts.save === "string" ? { name: opts.save } : opts.save;
    await exportFigure(fig, name, exportOpts);
  }
  const display = resolveDisplay(opts);
  if (!display || !injectPlotly(display, opts.inject)) return;
  const png = await staticPng(fig, opts);
  const base64 = png?.toString("base64");
  const html = figureDivHtml(fig, newDisplayId("pneumo-plot"), {
    width: opts.width,
    height: opts.height,
    fallbackPng: base64,
  });
  const data = {
    "text/html": html,
    ...(base64 ? { "image/png": base64 } : {}),
    "text/plain": `<figure: ${figureTitle(fig)}>`,
  };
  tryDisplay(() => sendBundle(display, data));
}

/**
 * Show a figure as a static PNG only (rendered by headless Chromium, see `exportFigure`). Outside tslab: false.
 * @example
 * await showPng(fig, { width: 800, height: 500 });
 */
export async function showPng(
  fig: Figure,
  opts: Omit<ShowOptions, "inject" | "save"> & { scale?: number } = {},
): Promise<boolean> {
  const display = resolveDisplay(opts);
  if (!display) return false;
  const png = await renderFigure(fig, "png", opts);
  return tryDisplay(() => display.png(png));
}

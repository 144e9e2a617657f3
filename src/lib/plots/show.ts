/**
 * Inline display in a tslab notebook. The plotly.js bundle is sent once per kernel process as an
 * inline `<script>` (`display.html`) that defines `window.Plotly`; each figure is then a div plus a
 * `Plotly.newPlot` call.
 *
 * Limitations: scripts in outputs only run in *trusted* notebooks. Classic Notebook and JupyterLab
 * trust outputs produced in the current session, but a notebook opened from disk is untrusted until
 * you trust it (`jupyter trust notebooks/NN.ipynb`), and a restarted page only has Plotly again if the
 * cell that injected the bundle is re-rendered. A figure that finds no `window.Plotly` says so in
 * place of the plot; then re-run with `show(fig, { inject: "always" })` or use `showPng(fig)`,
 * which embeds a static PNG (needs Chromium, see `exportFigure`). The bundle adds ~5 MB to the
 * saved notebook once.
 */
import { randomBytes } from "node:crypto";
import { figureDivHtml, plotlyBundle } from "./bundle";
import { renderFigure } from "./export";
import type { Figure } from "./types";

/** The part of tslab's `Display` that `show` uses. */
export interface DisplayLike {
  html(s: string): void;
  png(b: Uint8Array): void;
}

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
}

const INJECTED = Symbol.for("pneumo-lab.plots.plotlyInjected");
const NOTED = Symbol.for("pneumo-lab.plots.notTslabNoted");
type FlagHost = Record<symbol, unknown>;

/** Displays that already received the bundle, kept on globalThis so a recompiled module still knows. */
function injectedDisplays(): WeakSet<DisplayLike> {
  const flags = globalThis as unknown as FlagHost;
  flags[INJECTED] ??= new WeakSet<DisplayLike>();
  return flags[INJECTED] as WeakSet<DisplayLike>;
}

/**
 * tslab's display when this code runs inside the tslab kernel, else null. The kernel defines
 * `globalThis.__tslab__` with a `require` that returns the kernel's own tslab module, so plain
 * node never loads tslab (or its TypeScript compiler).
 * @example
 * if (tslabDisplay()) console.log("in a notebook");
 */
export function tslabDisplay(): DisplayLike | null {
  const host = (globalThis as { __tslab__?: { require?: (id: string) => unknown } }).__tslab__;
  if (!host || typeof host.require !== "function") return null;
  try {
    const mod = host.require("tslab") as { display?: DisplayLike } | undefined;
    return mod?.display && typeof mod.display.html === "function" ? mod.display : null;
  } catch {
    return null;
  }
}

/** Write through a display, treating tslab's "Not ready" (no cell running) as not shown. */
function tryDisplay(write: () => void): boolean {
  try {
    write();
    return true;
  } catch {
    return false;
  }
}

/** The display to use, or null after printing the outside-tslab note (once per process). */
function resolveDisplay(opts: { display?: DisplayLike; quiet?: boolean }): DisplayLike | null {
  const display = opts.display ?? tslabDisplay();
  if (display) return display;
  const flags = globalThis as unknown as FlagHost;
  if (!opts.quiet && !flags[NOTED]) {
    flags[NOTED] = true;
    console.log("show: not running in a tslab notebook, figure not displayed (use exportFigure to write it to a file).");
  }
  return null;
}

/**
 * Show a figure inline in a tslab notebook. Outside tslab it does nothing and returns false.
 * @example
 * show(rocFigure(roc, { auc }));            // in a notebook cell
 * show(fig, { height: 400, inject: "always" });
 */
export function show(fig: Figure, opts: ShowOptions = {}): boolean {
  const display = resolveDisplay(opts);
  if (!display) return false;
  const injected = injectedDisplays();
  const inject = opts.inject ?? "auto";
  if (inject === "always" || (inject === "auto" && !injected.has(display))) {
    if (!tryDisplay(() => display.html(`<script type="text/javascript">${plotlyBundle()}</script>`))) return false;
    injected.add(display);
  }
  const id = `pneumo-plot-${randomBytes(6).toString("hex")}`;
  return tryDisplay(() => display.html(figureDivHtml(fig, id, { width: opts.width, height: opts.height })));
}

/**
 * Show a figure as a static PNG (rendered by headless Chromium, see `exportFigure`): works where
 * output scripts are blocked, and the image survives in saved notebooks. Outside tslab: false.
 * @example
 * await showPng(fig, { width: 800, height: 500 });
 */
export async function showPng(fig: Figure, opts: Omit<ShowOptions, "inject"> & { scale?: number } = {}): Promise<boolean> {
  const display = resolveDisplay(opts);
  if (!display) return false;
  const png = await renderFigure(fig, "png", opts);
  return tryDisplay(() => display.png(png));
}

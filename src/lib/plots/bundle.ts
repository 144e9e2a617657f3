/** The plotly.js bundle on disk and the HTML snippets that use it (inline display and standalone pages). */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { findProjectRoot } from "../data/roots";
import type { Figure } from "./types";

/** npm package that provides the browser bundle (defines `window.Plotly`). */
export const PLOTLY_PACKAGE = "plotly.js-dist-min";

let cachedBundle: string | undefined;

/**
 * Path of `plotly.min.js`, resolved from the project root (then from the working directory).
 * @example
 * plotlyBundlePath(); // ".../node_modules/plotly.js-dist-min/plotly.min.js"
 */
export function plotlyBundlePath(): string {
  const bases = [join(findProjectRoot(), "package.json"), join(process.cwd(), "package.json")];
  for (const base of bases) {
    try {
      return createRequire(base).resolve(PLOTLY_PACKAGE);
    } catch {
      // try the next base
    }
  }
  throw new Error(
    `plotlyBundlePath: cannot find the npm package ${PLOTLY_PACKAGE}; run \`npm install\` in the project. Received: searched from ${bases.join(", ")}`,
  );
}

/**
 * The plotly.js bundle source (read once per process), safe to inline in a `<script>`.
 * @example
 * display.html(`<script>${plotlyBundle()}</script>`); // defines window.Plotly
 */
export function plotlyBundle(): string {
  cachedBundle ??= readFileSync(plotlyBundlePath(), "utf8").replace(/<\/script/gi, "<\\/script");
  return cachedBundle;
}

/**
 * JSON for inlining inside `<script>` (no `</script>` or line separators can break out).
 * @example
 * scriptJson({ name: "</script>" }); // '{"name":"\\u003c/script>"}'
 */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

/**
 * Escape text for HTML element content and attributes.
 * @example
 * escapeHtml("a <b>"); // "a &#60;b&#62;"
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Plotly config used for every rendered figure. */
export const PLOT_CONFIG = { responsive: true, displaylogo: false } as const;

/** Size and static fallback of {@link figureDivHtml}. */
export interface FigureDivOptions {
  width?: number;
  height?: number;
  /**
   * A PNG (base64) drawn inside the div until plotly.js replaces it: an untrusted notebook (scripts blocked, HTML
   * sanitized) and viewers without JavaScript still show the figure.
   */
  fallbackPng?: string;
}

/**
 * `<div>` plus the script that draws `fig` into it with `Plotly.newPlot`; when `window.Plotly` is missing
 * (bundle not loaded in this page) the div keeps its static image, or explains how to fix it instead of staying blank.
 * @example
 * const html = figureDivHtml(fig, "fig-1", { fallbackPng: png.toString("base64") });
 */
export function figureDivHtml(fig: Figure, divId: string, size: FigureDivOptions = {}): string {
  const style = size.height ? ` style="height:${size.height}px;${size.width ? `width:${size.width}px;` : ""}"` : "";
  const layout = {
    ...fig.layout,
    ...(size.width ? { width: size.width } : {}),
    ...(size.height ? { height: size.height } : {}),
  };
  const missing = escapeHtml(
    'Plotly is not loaded in this page. Re-run the cell with show(fig, { inject: "always" }), trust the notebook, or use showPng(fig).',
  );
  const fallback = size.fallbackPng
    ? `<img src="data:image/png;base64,${size.fallbackPng}" alt="${escapeHtml(figureTitle(fig))}" style="max-width:100%">`
    : "";
  return [
    `<div id="${escapeHtml(divId)}" class="pneumo-plot"${fallback ? "" : style}>${fallback}</div>`,
    "<script>",
    "(function () {",
    `  var el = document.getElementById(${scriptJson(divId)});`,
    `  if (!window.Plotly) { if (!el.firstChild) el.textContent = ${scriptJson(missing)}; return; }`,
    ...(style ? [`  el.setAttribute("style", ${scriptJson(style.slice(8, -1))});`] : []),
    '  el.textContent = "";',
    `  window.Plotly.newPlot(el, ${scriptJson(fig.data)}, ${scriptJson(layout)}, ${scriptJson(PLOT_CONFIG)});`,
    "})();",
    "</script>",
  ].join("\n");
}

/**
 * The figure's title text ("figure" when it has none), for alt text and plain-text outputs.
 * @example
 * figureTitle({ data: [], layout: { title: { text: "ROC" } } }); // "ROC"
 */
export function figureTitle(fig: Figure): string {
  const title = fig.layout.title;
  const text = typeof title === "string" ? title : (title as { text?: unknown } | undefined)?.text;
  return typeof text === "string" && text.trim()
    ? text
        .replace(/<[^>]*>/g, " ")
        .replace(/\s+/g, " ")
        .trim()
    : "figure";
}

/**
 * A standalone HTML page with the plotly.js bundle inlined (works offline, ~5 MB).
 * @example
 * writeFileSync("roc.html", standaloneHtml(fig, { title: "ROC" }));
 */
export function standaloneHtml(fig: Figure, opts: { title?: string; width?: number; height?: number } = {}): string {
  return [
    "<!DOCTYPE html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    `<title>${escapeHtml(opts.title ?? "figure")}</title>`,
    `<script>${plotlyBundle()}</script>`,
    "</head>",
    '<body style="margin:0">',
    figureDivHtml(fig, "figure", { width: opts.width, height: opts.height }),
    "</body>",
    "</html>",
    "",
  ].join("\n");
}

/**
 * The notebook display behind `show`, `table` and the notebook progress line: tslab's `display` when code runs in
 * the tslab kernel, plus the two things tslab's public `Display` lacks: one output carrying several
 * representations (interactive HTML beside a static PNG, so an untrusted notebook still shows something) and
 * updating an output in place by display id (Jupyter's `update_display_data`).
 */
import { randomBytes } from "node:crypto";

/** Representations of one output, by MIME type (`text/html`, `image/png` as base64, `text/plain`, …). */
export type MimeBundle = Record<string, string>;

/** Where a bundle goes: a new output, or (same `id`, `update: true`) a replacement of an earlier one. */
export interface BundleTarget {
  /** Display id; outputs sent with the same id can be replaced. */
  id?: string;
  /** Replace the output with this `id` instead of adding one. */
  update?: boolean;
}

/** The part of tslab's `Display` the library uses, plus the optional multi-representation writer. */
export interface DisplayLike {
  html(s: string): void;
  png(b: Uint8Array): void;
  /** One output with several representations; absent on a bare tslab `Display` (then HTML only is sent). */
  bundle?(data: MimeBundle, target?: BundleTarget): void;
}

/** tslab's internal writer of `display_data` / `update_display_data` messages (tslab 1.0.x `dist/jupyter`). */
type WriteDisplayData = (
  msg: { data: MimeBundle; metadata: object; transient: { display_id?: string } },
  update: boolean,
) => void;

const NOTED = Symbol.for("pneumo-lab.plots.notTslabNoted");
const WRAPPERS = Symbol.for("pneumo-lab.plots.displayWrappers");
type FlagHost = Record<symbol, unknown>;

/**
 * One wrapper per tslab display, kept on globalThis: `show` remembers which displays have plotly.js by identity,
 * so a new wrapper per call would send the 4.9 MB bundle with every figure.
 */
function wrapperCache(): WeakMap<DisplayLike, DisplayLike> {
  const flags = globalThis as unknown as FlagHost;
  flags[WRAPPERS] ??= new WeakMap<DisplayLike, DisplayLike>();
  return flags[WRAPPERS] as WeakMap<DisplayLike, DisplayLike>;
}

/** The kernel's `require`, when this code runs inside tslab (which defines `globalThis.__tslab__`). */
function tslabRequire(): ((id: string) => unknown) | null {
  const host = (globalThis as { __tslab__?: { require?: (id: string) => unknown } }).__tslab__;
  return host && typeof host.require === "function" ? host.require : null;
}

/**
 * tslab's display when this code runs inside the tslab kernel, else null. The kernel's own `require` returns its
 * tslab module, so plain node never loads tslab (or its TypeScript compiler). The result also has `bundle`,
 * which writes one output with several representations through tslab's message writer.
 * @example
 * if (tslabDisplay()) console.log("in a notebook");
 */
export function tslabDisplay(): DisplayLike | null {
  const req = tslabRequire();
  if (!req) return null;
  try {
    const mod = req("tslab") as { display?: DisplayLike } | undefined;
    const display = mod?.display;
    if (!display || typeof display.html !== "function") return null;
    const jupyter = req("tslab/dist/jupyter") as { lastWriteDisplayData?: WriteDisplayData | null } | undefined;
    if (!jupyter || !("lastWriteDisplayData" in jupyter)) return display;
    const cached = wrapperCache().get(display);
    if (cached) return cached;
    const wrapper: DisplayLike = {
      html: (s) => display.html(s),
      png: (b) => display.png(b),
      bundle(data, target = {}) {
        const write = jupyter.lastWriteDisplayData;
        if (!write) throw new Error("Not ready"); // as tslab's own display: no cell is running
        write({ data, metadata: {}, transient: target.id ? { display_id: target.id } : {} }, target.update === true);
      },
    };
    wrapperCache().set(display, wrapper);
    return wrapper;
  } catch {
    return null;
  }
}

/**
 * Send one output with several representations; a display without `bundle` gets the HTML (else the text).
 * @example
 * sendBundle(display, { "text/html": "<b>hi</b>", "text/plain": "hi" });
 */
export function sendBundle(display: DisplayLike, data: MimeBundle, target: BundleTarget = {}): void {
  if (display.bundle) return display.bundle(data, target);
  if (target.update) return; // a bare Display cannot replace an output; adding one per update would flood the cell
  display.html(data["text/html"] ?? `<pre>${data["text/plain"] ?? ""}</pre>`);
}

/** A fresh display id for outputs updated in place. */
export function newDisplayId(prefix = "pneumo"): string {
  return `${prefix}-${randomBytes(6).toString("hex")}`;
}

/**
 * Write through a display, treating tslab's "Not ready" (no cell running) as not shown.
 * @example
 * tryDisplay(() => display.html("<b>x</b>")); // false when no cell is running
 */
export function tryDisplay(write: () => void): boolean {
  try {
    write();
    return true;
  } catch {
    return false;
  }
}

/**
 * The display to use (the given one, else tslab's), or null after printing an outside-tslab note once per process.
 * @example
 * const display = resolveDisplay({ quiet: true }); // null in a plain script
 */
export function resolveDisplay(opts: { display?: DisplayLike; quiet?: boolean } = {}): DisplayLike | null {
  const display = opts.display ?? tslabDisplay();
  if (display) return display;
  const flags = globalThis as unknown as FlagHost;
  if (!opts.quiet && !flags[NOTED]) {
    flags[NOTED] = true;
    console.log(
      "show: not running in a tslab notebook, figure not displayed (use exportFigure to write it to a file).",
    );
  }
  return null;
}

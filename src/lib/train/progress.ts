/**
 * Progress reporting for long loops (training epochs, feature extraction): a `ProgressSink` receives updates;
 * the terminal sink redraws one line on a TTY and prints periodic lines otherwise; in a tslab notebook the
 * notebook sink keeps one output, updated in place: a bar for the running epoch above the finished lines.
 */
import { escapeHtml } from "../plots/bundle";
import { newDisplayId, sendBundle, tslabDisplay, tryDisplay, type DisplayLike } from "../plots/display";

/** One progress update: `step` of `total` units of work within a phase named by `label`. */
export interface ProgressUpdate {
  /** What runs, e.g. "epoch 3/10" or "features". */
  label: string;
  /** Units done in this phase (batches). */
  step: number;
  /** Units in the phase, when known. */
  total?: number;
  /** Items (images) done in this phase, for the rate. */
  items: number;
  /** Seconds since the phase began. */
  elapsedSec: number;
  /** Running values to show, e.g. `{ loss: 0.41 }`. */
  metrics?: Record<string, number>;
}

/** Where progress goes. `update` may be called often; sinks throttle themselves. */
export interface ProgressSink {
  update(u: ProgressUpdate): void;
  /** A finished line (epoch summary); always shown. */
  line(text: string): void;
  /** Flush at the end of a run. */
  end?(): void;
}

/** Options of the built-in sinks. */
export interface ProgressOptions {
  /** Where text goes. Default `process.stdout`. */
  stream?: { write(text: string): unknown; isTTY?: boolean; columns?: number };
  /** Minimum seconds between printed lines when not redrawing in place. Default 10. */
  everySec?: number;
}

/**
 * Format an update as one line: label, batch i/n, metrics, ETA and images/s.
 * @example
 * formatProgress({ label: "epoch 1/5", step: 10, total: 40, items: 320, elapsedSec: 8, metrics: { loss: 0.5123 } });
 * // "epoch 1/5  batch 10/40  loss 0.5123  ETA 24s  40.0 img/s"
 */
export function formatProgress(u: ProgressUpdate): string {
  const parts = [u.label, u.total ? `batch ${u.step}/${u.total}` : `batch ${u.step}`];
  for (const [key, value] of Object.entries(u.metrics ?? {})) parts.push(`${key} ${formatNumber(value)}`);
  if (u.total && u.step > 0)
    parts.push(`ETA ${formatSeconds((u.elapsedSec / u.step) * Math.max(0, u.total - u.step))}`);
  if (u.elapsedSec > 0) parts.push(`${(u.items / u.elapsedSec).toFixed(1)} img/s`);
  return parts.join("  ");
}

/**
 * Seconds as `42s`, `3m05s` or `1h02m`.
 * @example
 * formatSeconds(185); // "3m05s"
 */
export function formatSeconds(sec: number): string {
  const s = Math.round(sec);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

// Four significant digits, or exponent form for tiny learning rates.
function formatNumber(x: number): string {
  return Math.abs(x) < 1e-3 && x !== 0 ? x.toExponential(2) : x.toFixed(4);
}

/**
 * Terminal progress: on a TTY one line redrawn in place (at most 10 times a second); otherwise a plain line
 * every `everySec` seconds, so logs stay readable.
 * @example
 * await train(model, data, { epochs: 5, progress: terminalProgress() });
 */
export function terminalProgress(opts: ProgressOptions = {}): ProgressSink {
  const stream = opts.stream ?? process.stdout;
  if (!stream.isTTY) return linesProgress(opts);
  let lastDraw = 0;
  let drawn = false;
  const clear = (): void => {
    if (drawn) stream.write("\r\x1b[2K");
    drawn = false;
  };
  return {
    update(u) {
      const now = Date.now();
      if (now - lastDraw < 100 && u.step !== u.total) return;
      lastDraw = now;
      const width = Math.max(20, (stream.columns ?? 120) - 1);
      clear();
      stream.write(formatProgress(u).slice(0, width));
      drawn = true;
    },
    line(text) {
      clear();
      stream.write(`${text}\n`);
    },
    end: clear,
  };
}

/**
 * Plain lines, for notebooks and logs: an update line at most every `everySec` seconds (the first after
 * `everySec`), and every `line` as is.
 * @example
 * await train(model, data, { epochs: 5, progress: linesProgress({ everySec: 30 }) });
 */
export function linesProgress(opts: ProgressOptions = {}): ProgressSink {
  const stream = opts.stream ?? process.stdout;
  const everySec = opts.everySec ?? 10;
  let lastPrint = Date.now();
  return {
    update(u) {
      const now = Date.now();
      if (now - lastPrint < everySec * 1000) return;
      lastPrint = now;
      stream.write(`${formatProgress(u)}\n`);
    },
    line(text) {
      lastPrint = Date.now();
      stream.write(`${text}\n`);
    },
  };
}

/** A sink that shows nothing. */
export const SILENT_PROGRESS: ProgressSink = { update() {}, line() {} };

/** Options of {@link notebookProgress}. */
export interface NotebookProgressOptions {
  /** Display to write to. Default tslab's (then the sink is only made inside a tslab kernel). */
  display?: DisplayLike;
  /** Minimum seconds between redraws of the bar. Default 0.5. */
  everySec?: number;
}

/** The in-place output: a bar with the running phase, then the finished lines, unwrapped and scrollable. */
function progressHtml(lines: readonly string[], current: ProgressUpdate | null): string {
  const bar = current
    ? `<div><progress value="${current.step}" max="${current.total ?? current.step}" style="width:12em;vertical-align:middle"></progress> ` +
      `<code>${escapeHtml(formatProgress(current))}</code></div>`
    : "";
  const done = lines.length
    ? `<pre style="white-space:pre;overflow-x:auto;max-height:16em;margin:0">${escapeHtml(lines.join("\n"))}</pre>`
    : "";
  return `<div class="pneumo-progress">${done}${bar}</div>`;
}

/**
 * Progress in a tslab notebook: one output that is replaced in place (`update_display_data`), so a run leaves
 * its finished lines (epoch summaries, notes) and, while an epoch runs, one bar with batch, loss, ETA and rate,
 * instead of a new wrapped line per update. Each `line` is also in the output's plain-text form.
 * @example
 * await train(model, data, { epochs: 5, progress: notebookProgress() }); // what `progress: true` picks in tslab
 */
export function notebookProgress(opts: NotebookProgressOptions = {}): ProgressSink {
  const display = opts.display ?? tslabDisplay();
  if (!display)
    throw new Error(
      "notebookProgress: no notebook display here (run it in a tslab kernel, or pass opts.display). Received: no display",
    );
  const everySec = opts.everySec ?? 0.5;
  const id = newDisplayId("pneumo-progress");
  const lines: string[] = [];
  let shown = false;
  let lastDraw = 0;
  const draw = (current: ProgressUpdate | null): void => {
    const plain = [...lines, ...(current ? [formatProgress(current)] : [])].join("\n");
    const data = { "text/html": progressHtml(lines, current), "text/plain": plain };
    // Replace only what this sink showed; a failed first show (no cell running) is retried on the next call.
    if (tryDisplay(() => sendBundle(display, data, { id, update: shown }))) shown = true;
    lastDraw = Date.now();
  };
  return {
    update(u) {
      if (Date.now() - lastDraw < everySec * 1000 && u.step !== u.total) return;
      draw(u);
    },
    line(text) {
      lines.push(text);
      draw(null);
    },
    end() {
      if (shown) draw(null);
    },
  };
}

/**
 * The sink for a `progress` option: true → the notebook sink in tslab, else terminal (TTY) or lines; false →
 * silent; or the given sink.
 * @example
 * resolveProgress(true); // notebookProgress() in a tslab kernel, terminalProgress() in a terminal
 */
export function resolveProgress(progress: boolean | ProgressSink | undefined): ProgressSink {
  if (progress === false) return SILENT_PROGRESS;
  if (progress === undefined || progress === true) return tslabDisplay() ? notebookProgress() : terminalProgress();
  return progress;
}

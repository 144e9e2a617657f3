import { afterEach, describe, expect, it, vi } from "vitest";
import {
  formatProgress,
  formatSeconds,
  linesProgress,
  notebookProgress,
  resolveProgress,
  terminalProgress,
} from "../../src/lib/train/progress";

// A fake output stream recording what is written.
function fakeStream(isTTY: boolean): { write(t: string): void; isTTY: boolean; columns: number; text: string[] } {
  const text: string[] = [];
  return { isTTY, columns: 200, text, write: (t: string) => void text.push(t) };
}

describe("progress", () => {
  it("formats batch i/n, metrics, ETA and images/s", () => {
    // 10 of 40 batches in 8 s → 0.8 s per batch · 30 left = 24 s; 320 images / 8 s = 40 img/s.
    const line = formatProgress({
      label: "epoch 1/5",
      step: 10,
      total: 40,
      items: 320,
      elapsedSec: 8,
      metrics: { loss: 0.5123 },
    });
    expect(line).toBe("epoch 1/5  batch 10/40  loss 0.5123  ETA 24s  40.0 img/s");
    expect(formatSeconds(185)).toBe("3m05s");
    expect(formatSeconds(3725)).toBe("1h02m");
  });

  it("redraws one line on a TTY and ends summaries with a newline", () => {
    const stream = fakeStream(true);
    const sink = terminalProgress({ stream });
    sink.update({ label: "epoch 1/1", step: 1, total: 2, items: 4, elapsedSec: 1 });
    sink.update({ label: "epoch 1/1", step: 2, total: 2, items: 8, elapsedSec: 2 }); // last step always drawn
    sink.line("epoch 1/1 done");
    expect(stream.text.filter((t) => t.startsWith("epoch 1/1  batch"))).toHaveLength(2);
    expect(stream.text).toContain("\r\x1b[2K");
    expect(stream.text[stream.text.length - 1]).toBe("epoch 1/1 done\n");
  });

  it("prints plain lines, updates at most every everySec seconds (not a TTY)", () => {
    const stream = fakeStream(false);
    const sink = terminalProgress({ stream, everySec: 3600 });
    sink.update({ label: "features", step: 1, total: 9, items: 4, elapsedSec: 1 });
    sink.line("summary");
    expect(stream.text).toEqual(["summary\n"]);
    const eager = linesProgress({ stream, everySec: 0 });
    eager.update({ label: "features", step: 2, items: 8, elapsedSec: 2 });
    expect(stream.text[1]).toBe("features  batch 2  4.0 img/s\n");
  });
});

describe("notebook progress", () => {
  afterEach(() => {
    delete (globalThis as { __tslab__?: unknown }).__tslab__;
  });

  /** A display that records bundles with their target. */
  function bundles() {
    const sent: { data: Record<string, string>; id?: string; update?: boolean }[] = [];
    const display = {
      html: () => undefined,
      png: () => undefined,
      bundle: (data: Record<string, string>, t: { id?: string; update?: boolean } = {}) =>
        void sent.push({ data, ...t }),
    };
    return { sent, display };
  }

  it("keeps one output: the first show adds it, every later one replaces it; updates are throttled", () => {
    const { sent, display } = bundles();
    const sink = notebookProgress({ display, everySec: 3600 });
    sink.update({ label: "epoch 1/2", step: 1, total: 9, items: 16, elapsedSec: 2 });
    sink.update({ label: "epoch 1/2", step: 2, total: 9, items: 32, elapsedSec: 4 }); // throttled
    sink.update({ label: "epoch 1/2", step: 9, total: 9, items: 144, elapsedSec: 15 }); // last batch always drawn
    sink.line("epoch 1/2  15.1s  loss 0.7988");
    expect(sent.map((s) => s.update)).toEqual([false, true, true]);
    expect(new Set(sent.map((s) => s.id)).size).toBe(1);
    expect(sent[1].data["text/plain"]).toBe("epoch 1/2  batch 9/9  ETA 0s  9.6 img/s");
    expect(sent[2].data["text/plain"]).toBe("epoch 1/2  15.1s  loss 0.7988");
    expect(sent[2].data["text/html"]).not.toContain("<progress"); // the epoch is done: no bar left
  });

  it("is what progress: true picks inside tslab; a terminal sink elsewhere", () => {
    expect(() => notebookProgress()).toThrow(/^notebookProgress: no notebook display here/);
    const { sent, display } = bundles();
    (globalThis as { __tslab__?: unknown }).__tslab__ = {
      require: (id: string) => (id === "tslab" ? { display } : undefined),
    };
    resolveProgress(true).line("hello");
    expect(sent.map((s) => s.data["text/plain"])).toEqual(["hello"]);
    delete (globalThis as { __tslab__?: unknown }).__tslab__;
    const written: string[] = [];
    const log = vi.spyOn(process.stdout, "write").mockImplementation((t) => (written.push(String(t)), true));
    resolveProgress(true).line("plain");
    log.mockRestore();
    expect(written).toEqual(["plain\n"]);
    expect(sent).toHaveLength(1);
  });
});

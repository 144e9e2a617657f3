import { afterEach, describe, expect, it, vi } from "vitest";
import { figureDivHtml, standaloneHtml } from "../../src/lib/plots/bundle";
import { show, tslabDisplay, type DisplayLike } from "../../src/lib/plots/show";
import type { Figure } from "../../src/lib/plots/types";

const FIG: Figure = { data: [{ type: "scatter", x: [1, 2], y: [3, 4], name: "</script><b>" }], layout: { title: { text: "t" } } };

// A display that records what it is sent.
function recordingDisplay(): DisplayLike & { htmls: string[] } {
  const htmls: string[] = [];
  return { htmls, html: (s) => void htmls.push(s), png: () => undefined };
}

afterEach(() => {
  delete (globalThis as { __tslab__?: unknown }).__tslab__;
  vi.restoreAllMocks();
});

describe("show", () => {
  it("is a no-op returning false outside tslab", () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => undefined);
    expect(tslabDisplay()).toBeNull();
    expect(show(FIG, { quiet: true })).toBe(false);
    expect(log).not.toHaveBeenCalled();
  });

  it("sends the plotly bundle once per display, then a div and Plotly.newPlot per figure", () => {
    const display = recordingDisplay();
    expect(show(FIG, { display })).toBe(true);
    expect(show(FIG, { display })).toBe(true);
    expect(display.htmls).toHaveLength(3);
    expect(display.htmls[0]).toContain("window.Plotly = Plotly");
    const ids = display.htmls.slice(1).map((h) => /<div id="(pneumo-plot-[0-9a-f]{12})"/.exec(h)?.[1]);
    expect(ids[0]).toBeDefined();
    expect(ids[0]).not.toBe(ids[1]);
    expect(display.htmls[1]).toContain("window.Plotly.newPlot(el, ");
    // a trace name cannot close the script element
    expect(display.htmls[1]).not.toContain("</script><b>");
    expect(display.htmls[1]).toContain("\\u003c/script>");
    show(FIG, { display, inject: "always" });
    expect(display.htmls[3]).toContain("window.Plotly = Plotly");
  });

  it("finds tslab's display through the kernel's __tslab__.require and reports a display error as false", () => {
    const display = recordingDisplay();
    (globalThis as { __tslab__?: unknown }).__tslab__ = { require: (id: string) => (id === "tslab" ? { display } : undefined) };
    expect(tslabDisplay()).toBe(display);
    expect(show(FIG, { inject: "never" })).toBe(true);
    expect(display.htmls).toHaveLength(1);
    const notReady: DisplayLike = { html: () => { throw new Error("Not ready"); }, png: () => undefined };
    expect(show(FIG, { display: notReady })).toBe(false);
  });
});

describe("HTML snippets", () => {
  it("figureDivHtml applies the size and guards against a missing window.Plotly", () => {
    const html = figureDivHtml(FIG, "fig-1", { width: 640, height: 400 });
    expect(html).toContain('<div id="fig-1" class="pneumo-plot" style="height:400px;width:640px;">');
    expect(html).toContain('"width":640,"height":400');
    expect(html).toContain("if (!window.Plotly)");
  });

  it("standaloneHtml inlines the bundle before the figure", () => {
    const page = standaloneHtml(FIG, { title: "roc <1>" });
    expect(page.startsWith("<!DOCTYPE html>")).toBe(true);
    expect(page).toContain("<title>roc &#60;1&#62;</title>");
    expect(page.indexOf("window.Plotly = Plotly")).toBeLessThan(page.indexOf("window.Plotly.newPlot"));
  });
});

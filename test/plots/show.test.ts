import { afterEach, describe, expect, it, vi } from "vitest";
import { figureDivHtml, standaloneHtml } from "../../src/lib/plots/bundle";
import { show, tslabDisplay, type DisplayLike } from "../../src/lib/plots/show";
import type { Figure } from "../../src/lib/plots/types";

const FIG: Figure = {
  data: [{ type: "scatter", x: [1, 2], y: [3, 4], name: "</script><b>" }],
  layout: { title: { text: "t" } },
};

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
  it("is a no-op outside tslab", async () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => undefined);
    expect(tslabDisplay()).toBeNull();
    await expect(show(FIG, { quiet: true })).resolves.toBeUndefined();
    expect(log).not.toHaveBeenCalled();
  });

  it("sends the plotly bundle once per display, then a div and Plotly.newPlot per figure", async () => {
    const display = recordingDisplay();
    await show(FIG, { display, staticImage: false });
    await show(FIG, { display, staticImage: false });
    expect(display.htmls).toHaveLength(3);
    expect(display.htmls[0]).toContain("window.Plotly = Plotly");
    const ids = display.htmls.slice(1).map((h) => /<div id="(pneumo-plot-[0-9a-f]{12})"/.exec(h)?.[1]);
    expect(ids[0]).toBeDefined();
    expect(ids[0]).not.toBe(ids[1]);
    expect(display.htmls[1]).toContain("window.Plotly.newPlot(el, ");
    // a trace name cannot close the script element
    expect(display.htmls[1]).not.toContain("</script><b>");
    expect(display.htmls[1]).toContain("\\u003c/script>");
    await show(FIG, { display, inject: "always", staticImage: false });
    expect(display.htmls[3]).toContain("window.Plotly = Plotly");
  });

  it("finds tslab's display through the kernel's __tslab__.require; a display that refuses shows nothing", async () => {
    const display = recordingDisplay();
    (globalThis as { __tslab__?: unknown }).__tslab__ = {
      require: (id: string) => (id === "tslab" ? { display } : undefined),
    };
    expect(tslabDisplay()).toBe(display); // no tslab/dist/jupyter: the bare display, HTML only
    await show(FIG, { inject: "never", staticImage: false });
    expect(display.htmls).toHaveLength(1);
    const notReady: DisplayLike = {
      html: () => {
        throw new Error("Not ready");
      },
      png: () => undefined,
    };
    await expect(show(FIG, { display: notReady, staticImage: false })).resolves.toBeUndefined();
  });

  it("writes one multi-representation output through tslab's message writer, by display id when asked", async () => {
    const sent: { msg: { data: Record<string, string>; transient: object }; update: boolean }[] = [];
    const jupyter = {
      lastWriteDisplayData: (msg: (typeof sent)[number]["msg"], update: boolean) => void sent.push({ msg, update }),
    };
    const bare = recordingDisplay();
    (globalThis as { __tslab__?: unknown }).__tslab__ = {
      require: (id: string) => ({ tslab: { display: bare }, "tslab/dist/jupyter": jupyter })[id],
    };
    const display = tslabDisplay()!;
    display.bundle!({ "text/html": "<b>1</b>", "text/plain": "1" }, { id: "d1" });
    display.bundle!({ "text/html": "<b>2</b>" }, { id: "d1", update: true });
    expect(sent).toEqual([
      {
        msg: { data: { "text/html": "<b>1</b>", "text/plain": "1" }, metadata: {}, transient: { display_id: "d1" } },
        update: false,
      },
      { msg: { data: { "text/html": "<b>2</b>" }, metadata: {}, transient: { display_id: "d1" } }, update: true },
    ]);
    await show(FIG, { inject: "never", staticImage: false });
    expect(Object.keys(sent[2].msg.data)).toEqual(["text/html", "text/plain"]);
    expect(bare.htmls).toEqual([]); // everything went through the writer
    jupyter.lastWriteDisplayData = null as never; // between cells tslab has no writer: "Not ready", as its own display
    expect(() => display.bundle!({ "text/plain": "x" })).toThrow("Not ready");
  });
});

describe("HTML snippets", () => {
  it("figureDivHtml applies the size and guards against a missing window.Plotly", () => {
    const html = figureDivHtml(FIG, "fig-1", { width: 640, height: 400 });
    expect(html).toContain('<div id="fig-1" class="pneumo-plot" style="height:400px;width:640px;">');
    expect(html).toContain('"width":640,"height":400');
    expect(html).toContain("if (!window.Plotly)");
  });

  it("figureDivHtml keeps a static PNG in the div until plotly.js replaces it", () => {
    const html = figureDivHtml(FIG, "fig-2", { height: 400, fallbackPng: "iVBORw0KGgo=" });
    expect(html).toContain(
      '<div id="fig-2" class="pneumo-plot"><img src="data:image/png;base64,iVBORw0KGgo=" alt="t" style="max-width:100%"></div>',
    );
    // without Plotly the image stays; with it the div is emptied, sized and drawn
    expect(html).toContain("if (!el.firstChild) el.textContent");
    expect(html.indexOf('el.setAttribute("style", "height:400px;")')).toBeLessThan(
      html.indexOf("window.Plotly.newPlot"),
    );
  });

  it("standaloneHtml inlines the bundle before the figure", () => {
    const page = standaloneHtml(FIG, { title: "roc <1>" });
    expect(page.startsWith("<!DOCTYPE html>")).toBe(true);
    expect(page).toContain("<title>roc &#60;1&#62;</title>");
    expect(page.indexOf("window.Plotly = Plotly")).toBeLessThan(page.indexOf("window.Plotly.newPlot"));
  });
});

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findProjectRoot } from "../src/lib/data/roots";
import { browserAvailable } from "../src/lib/plots/browser";
import { prepareKernel } from "../scripts/jupyter";
import { KernelClient } from "../scripts/nbrun/client";
import { readKernelSpec } from "../scripts/nbrun/kernelspec";
import type { KernelMessage } from "../scripts/nbrun/protocol";

const ROOT = findProjectRoot();
const tmp = mkdtempSync(join(tmpdir(), "pneumo-display-"));

type Data = Record<string, string>;
interface Output {
  type: string;
  data: Data;
  displayId?: string;
  text: string;
}

// A real tslab kernel, as a notebook cell sees it: what each cell sends on iopub.
describe("notebook display in a tslab kernel", () => {
  let kernel: KernelClient;
  beforeAll(async () => {
    const setup = prepareKernel({ root: ROOT });
    kernel = await KernelClient.start({
      spec: readKernelSpec("tslab", setup.jupyterPath),
      name: "tslab",
      cwd: join(ROOT, "notebooks"),
      env: setup.env,
    });
    await run('import * as lab from "pneumo-lab";');
  }, 180_000);
  afterAll(async () => {
    await kernel?.shutdown();
    rmSync(tmp, { recursive: true, force: true });
  });

  /** Run one cell; its iopub outputs (display data, streams, results). */
  async function run(code: string): Promise<Output[]> {
    const outputs: Output[] = [];
    const onIopub = (m: KernelMessage) => {
      const type = m.header.msg_type;
      if (!["display_data", "update_display_data", "stream", "execute_result"].includes(type)) return;
      const c = m.content as { data?: Data; transient?: { display_id?: string }; text?: string };
      outputs.push({ type, data: c.data ?? {}, displayId: c.transient?.display_id, text: c.text ?? "" });
    };
    const result = await kernel.request({
      msgType: "execute_request",
      content: { code, store_history: true },
      timeoutMs: 120_000,
      onIopub,
    });
    expect(result.reply?.content.status, JSON.stringify(outputs).slice(0, 2000)).toBe("ok");
    return outputs;
  }

  it("lab.table renders an HTML table (with its text form) and echoes nothing", async () => {
    const outputs = await run(
      'lab.table([{ model: "cnn4", n: 40, auc: { estimate: 0.7381, lower: 0.5, upper: 0.9286 } }, { model: "resnet50", n: 40, auc: "0.912 [0.881, 0.940]" }], { sort: { by: "auc", descending: true } })',
    );
    expect(outputs.map((o) => o.type)).toEqual(["display_data"]);
    const html = outputs[0].data["text/html"];
    expect(html).toMatch(/^<table class="pneumo-table"/);
    expect(html).toContain(
      '<td align="right" style="text-align:right;padding:3px 10px;white-space:nowrap">0.738 (0.500–0.929)</td>',
    );
    expect(html.indexOf("resnet50")).toBeLessThan(html.indexOf("cnn4")); // sorted by AUC, descending
    expect(outputs[0].data["text/plain"]).toContain("0.912 (0.881–0.940)");
  });

  it("notebook progress is one output updated in place, not a line per update", async () => {
    const outputs = await run(
      [
        "const sink = lab.notebookProgress();",
        'sink.update({ label: "epoch 1/2", step: 5, total: 9, items: 80, elapsedSec: 4, metrics: { loss: 0.7 } });',
        'sink.line("epoch 1/2  15.1s  loss 0.7988  val_auc 0.9833");',
        'sink.line("epoch 2/2  14.0s  loss 0.6837  val_auc 1.0000");',
      ].join("\n"),
    );
    expect(outputs.map((o) => o.type)).toEqual(["display_data", "update_display_data", "update_display_data"]);
    expect(new Set(outputs.map((o) => o.displayId)).size).toBe(1);
    expect(outputs[0].data["text/html"]).toContain('<progress value="5" max="9"');
    const last = outputs[2].data;
    expect(last["text/plain"]).toBe(
      "epoch 1/2  15.1s  loss 0.7988  val_auc 0.9833\nepoch 2/2  14.0s  loss 0.6837  val_auc 1.0000",
    );
    expect(last["text/html"]).toContain('<pre style="white-space:pre;overflow-x:auto');
  });

  it("exportFigure as a cell's last expression echoes one short line, not the object of paths", async () => {
    const outputs = await run(
      `await lab.exportFigure({ data: [{ x: [0, 1], y: [0, 1] }], layout: {} }, "quiet", { dir: ${JSON.stringify(tmp)}, formats: ["html"] })`,
    );
    expect(outputs.map((o) => o.text).join("")).toBe(`exported quiet.{html} in ${tmp.split("/").pop()}/\n`);
  });

  it.skipIf(!browserAvailable())(
    "show sends the interactive figure with a static PNG in one output, and echoes nothing",
    async () => {
      const outputs = await run(
        'await lab.show({ data: [{ x: [0, 1], y: [0, 1], type: "scatter" }], layout: { title: { text: "ROC" } } }, { inject: "never" })',
      );
      const figures = outputs.filter((o) => o.type === "display_data");
      expect(figures).toHaveLength(1);
      const data = figures[0].data;
      expect(Object.keys(data).sort()).toEqual(["image/png", "text/html", "text/plain"]);
      expect(Buffer.from(data["image/png"], "base64").subarray(1, 4).toString()).toBe("PNG");
      // the same PNG inside the div, for untrusted pages whose sanitizer keeps <img> but drops scripts
      expect(data["text/html"]).toContain(`<img src="data:image/png;base64,${data["image/png"]}" alt="ROC"`);
      expect(data["text/plain"]).toBe("<figure: ROC>");
      expect(
        outputs.filter(
          (o) => o.type === "execute_result" || (o.type === "stream" && !o.text.startsWith("[pneumo-lab]")),
        ),
      ).toEqual([]);
    },
    120_000,
  );

  it.skipIf(!browserAvailable())(
    "show sends the plotly.js bundle once per kernel, not with every figure",
    async () => {
      const fig = '{ data: [{ x: [0, 1], y: [0, 1], type: "scatter" }], layout: {} }';
      const first = await run(`await lab.show(${fig}, { staticImage: false });`);
      const second = await run(`await lab.show(${fig}, { staticImage: false });`);
      const bundles = (outs: Output[]) =>
        outs.filter((o) => (o.data["text/html"] ?? "").includes("window.Plotly = Plotly")).length;
      expect([bundles(first) + bundles(second), second.filter((o) => o.type === "display_data").length]).toEqual([
        1, 1,
      ]);
    },
    120_000,
  );
});

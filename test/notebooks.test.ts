import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findProjectRoot, sampleDataRoot } from "../src/lib/data/roots";
import { describeSettings, notebookSettings } from "../src/lib/notebook";
import { resolvePreset } from "../src/lib/workflows/presets";
import {
  executeNotebook,
  formatFailure,
  formatRun,
  listNotebooks,
  prepareKernel,
  type KernelSetup,
} from "../scripts/jupyter";
import { KernelClient } from "../scripts/nbrun/client";
import { readKernelSpec } from "../scripts/nbrun/kernelspec";
import type { KernelMessage } from "../scripts/nbrun/protocol";
import { notebookShapeErrors } from "../scripts/nbrun/schema";
import {
  cellErrorText,
  cellSource,
  cellsWithOutputs,
  committedNotebooks,
  errorCells,
  readNotebook,
  stripOutputs,
  type Notebook,
} from "../scripts/notebook-tools";

const ROOT = findProjectRoot();
const tmp = mkdtempSync(join(tmpdir(), "pneumo-notebooks-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A notebook with the given code cells, tslab kernel. */
function codeNotebook(sources: string[], outputs: Notebook["cells"][number]["outputs"][] = []): Notebook {
  return {
    cells: sources.map((source, i) => ({
      cell_type: "code",
      source,
      metadata: {},
      outputs: outputs[i] ?? [],
      execution_count: outputs[i]?.length ? i + 1 : null,
    })),
    metadata: { kernelspec: { display_name: "TypeScript", language: "typescript", name: "tslab" } },
    nbformat: 4,
    nbformat_minor: 5,
  };
}

/** Figure names a notebook exports: the literal after `exportFigure(<figure>, ` or in `show(<figure>, { save: `. */
function exportedFigureNames(nb: Notebook): string[] {
  const pattern = /(?:exportFigure\(\s*[\w.]+\s*,|save:\s*(?:\{\s*name:)?)\s*["'`]([\w.-]+)["'`]/g;
  const names = nb.cells.flatMap((c) => [...cellSource(c).matchAll(pattern)].map((m) => m[1]));
  return [...new Set(names)];
}

describe("committed notebooks", () => {
  const paths = committedNotebooks(ROOT);

  it("exist as notebooks/NN-topic.ipynb, starting with 01-data", () => {
    expect(paths.map((p) => p.split("/").pop())).toContain("01-data.ipynb");
  });

  it.each(paths.map((p) => [p.split("/").pop(), p]))(
    "%s carries no outputs and uses the tslab kernel",
    (_name, path) => {
      const nb = readNotebook(path as string);
      expect(cellsWithOutputs(nb)).toEqual([]);
      expect((nb.metadata.kernelspec as { name?: string }).name).toBe("tslab");
    },
  );

  it.each(paths.map((p) => [p.split("/").pop(), p]))("%s imports the library once, as pneumo-lab", (_name, path) => {
    const imports = readNotebook(path as string).cells.flatMap((c) =>
      [...cellSource(c).matchAll(/^import .* from "([^"]+)";?$/gm)].map((m) => m[1]),
    );
    expect(imports).toEqual(["pneumo-lab"]);
  });
});

describe("notebook-tools", () => {
  const dirty = codeNotebook(
    ["console.log(1)", "x"],
    [
      [{ output_type: "stream", name: "stdout", text: ["1\n"] }],
      [
        { output_type: "stream", name: "stderr", text: ["1:1 - Cannot find name 'x'.\n"] },
        {
          output_type: "error",
          ename: "ReferenceError",
          evalue: "x is not defined",
          traceback: ["\u001b[31mReferenceError\u001b[0m: x"],
        },
      ],
    ],
  );

  it("finds cells with outputs and strips them, keeping sources", () => {
    expect(cellsWithOutputs(dirty)).toEqual([0, 1]);
    const clean = stripOutputs(dirty);
    expect(cellsWithOutputs(clean)).toEqual([]);
    expect(clean.cells.map(cellSource)).toEqual(["console.log(1)", "x"]);
    expect(cellsWithOutputs(dirty)).toEqual([0, 1]); // the input is not modified
  });

  it("reads a cell's error from stderr and error outputs, without colour codes", () => {
    expect(errorCells(dirty)).toEqual([1]);
    expect(cellErrorText(dirty.cells[1])).toBe(
      "1:1 - Cannot find name 'x'.\n\nReferenceError: x is not defined\nReferenceError: x",
    );
    expect(cellErrorText(dirty.cells[0])).toBe("");
  });
});

describe("notebookSettings", () => {
  it("uses the notebook's preset when PNEUMO_PRESET is unset", () => {
    const s = notebookSettings({ preset: "reference", env: {}, dataDir: sampleDataRoot(ROOT) });
    const preset = resolvePreset("reference", {});
    expect([s.presetName, s.presetSource]).toEqual(["reference", "setting"]);
    expect([s.imageSize, s.epochs, s.batchSize, s.seed]).toEqual([
      preset.cnn.inputSize,
      preset.cnn.epochs,
      preset.cnn.batchSize,
      preset.split.seed,
    ]);
    expect(s.dataRoot.source).toBe("option");
  });

  it("lets env PNEUMO_PRESET win over the notebook's setting", () => {
    const s = notebookSettings({ preset: "reference", env: { PNEUMO_PRESET: "quick" } });
    expect([s.presetName, s.presetSource, s.imageSize]).toEqual(["quick", "env", 64]);
    expect(s.dataRoot).toEqual({ root: sampleDataRoot(ROOT), source: "sample" });
    expect(describeSettings(s)).toMatch(
      /^preset quick \(env PNEUMO_PRESET\) · data sample: .*chest_xray · 64 px · 3 epochs · batch 16 · seed 42$/,
    );
  });

  it("defaults to quick and names a bad preset", () => {
    expect(notebookSettings({ env: {} }).presetSource).toBe("default");
    expect(() => notebookSettings({ env: { PNEUMO_PRESET: "fast" } })).toThrow(/Received: "fast"/);
  });
});

/** Indices of code cells that call `lab.show(` (each must leave an inline HTML figure in the executed copy). */
function showCells(nb: Notebook): number[] {
  return nb.cells.flatMap((c, i) => (c.cell_type === "code" && /\blab\.show\(/.test(cellSource(c)) ? [i] : []));
}

// The runner a machine without Jupyter uses (the Node one, ZeroMQ to the kernel): never skipped for a missing Jupyter.
describe("headless execution (Node runner)", () => {
  let setup: KernelSetup;
  beforeAll(() => {
    setup = prepareKernel({ root: ROOT });
  }, 120_000);

  const notebooks = listNotebooks(ROOT).map((p) => [p.split("/").pop(), p]);
  it.each(notebooks)(
    "%s runs without a failing cell and writes its figures",
    async (_name, path) => {
      const env = { ...setup.env, PNEUMO_PRESET: "quick" };
      const run = await executeNotebook(path as string, { env, outDir: tmp, root: ROOT });
      expect(run.ok, formatFailure(run, ROOT)).toBe(true);
      expect(run.runner).toBe("node");
      expect(errorCells(run.notebook!)).toEqual([]);
      expect(notebookShapeErrors(run.notebook)).toEqual([]);
      const code = run.notebook!.cells.filter((c) => c.cell_type === "code" && cellSource(c).trim() !== "");
      expect(code.map((c) => c.execution_count)).toEqual(code.map((_, i) => i + 1));
      for (const i of showCells(run.notebook!)) {
        const outputs = run.notebook!.cells[i].outputs ?? [];
        const html = outputs.filter((o) => o.output_type === "display_data" && "text/html" in (o.data ?? {}));
        expect(html.length, `cell ${i + 1} calls lab.show but has no HTML output`).toBeGreaterThan(0);
        // the static fallback beside the interactive figure, so the executed copy shows it untrusted
        const figures = html.filter((o) => String(o.data?.["text/html"]).includes('class="pneumo-plot"'));
        expect(figures.length, `cell ${i + 1}: no figure output`).toBeGreaterThan(0);
        for (const o of figures) expect(Object.keys(o.data ?? {}), `cell ${i + 1}`).toContain("image/png");
      }
      const bundles = run
        .notebook!.cells.flatMap((c) => c.outputs ?? [])
        .filter((o) => [o.data?.["text/html"] ?? ""].flat().join("").includes("window.Plotly = Plotly"));
      expect(bundles.length, "plotly.js is sent once per kernel").toBeLessThanOrEqual(1);
      for (const name of exportedFigureNames(readNotebook(path as string))) {
        expect(
          run.figures.filter((f) => f.startsWith(`${name}.`)),
          `${name} not written: ${formatRun(run)}`,
        ).not.toEqual([]);
      }
    },
    600_000,
  );

  // Kernel > Interrupt after an export: playwright's own SIGINT handler used to close the browser and end the kernel.
  // Jupyter signals the kernel's process group, so the export browser gets the SIGINT too.
  it("a tslab kernel that exported a figure survives an interrupt and exports again", async () => {
    const kernel = await KernelClient.start({
      spec: readKernelSpec("tslab", setup.jupyterPath),
      name: "tslab",
      cwd: join(ROOT, "notebooks"),
      env: setup.env,
    });
    const out: string[] = [];
    const onIopub = (m: KernelMessage) => out.push(String(m.content.text ?? ""));
    // As jupyter_client interrupts a kernel it started in its own session: SIGINT to the whole process group.
    const interrupt = () => process.kill(-kernel.pid!, "SIGINT");
    const run = (code: string, timeoutMs = 120_000) =>
      kernel.request({
        msgType: "execute_request",
        content: { code, store_history: true },
        timeoutMs,
        onIopub,
        onTimeout: interrupt,
        graceMs: 10_000,
      });
    try {
      const fig = `const fig = { data: [{ x: [0, 1], y: [0, 1], type: "scatter" }], layout: {} };`;
      const exportCode = (name: string) =>
        `console.log(Object.keys(await lab.exportFigure(fig, "${name}", { dir: ${JSON.stringify(tmp)}, formats: ["png"] })).join())`;
      const first = await run(`import * as lab from "pneumo-lab";\n${fig}\n${exportCode("before-interrupt")}`);
      expect([first.end, first.reply?.content.status, out.join("")]).toEqual([
        "done",
        "ok",
        expect.stringContaining("png"),
      ]);
      const loop = await run("while (true) {}", 1500);
      expect([loop.end, loop.reply?.content.status]).toEqual(["timeout", "error"]);
      await new Promise((r) => setTimeout(r, 300)); // tslab drops requests for 200 ms after an error
      out.length = 0;
      const again = await run(exportCode("after-interrupt"));
      expect([again.end, again.reply?.content.status, out.join("").trim()]).toEqual(["done", "ok", "png"]);
      expect(kernel.exitStatus).toBeNull();
    } finally {
      await kernel.shutdown();
    }
  }, 180_000);

  it("reports the failing cell's source and tslab's own error, and keeps the executed copy", async () => {
    const dir = mkdtempSync(join(tmp, "bad-"));
    const path = join(dir, "99-bad.ipynb");
    writeFileSync(
      path,
      JSON.stringify(codeNotebook(['console.log("fine")', 'const n: number = "text";', 'console.log("never")'])),
    );
    const run = await executeNotebook(path, { env: setup.env, outDir: join(dir, "out"), root: ROOT });
    expect(run.ok).toBe(false);
    expect(run.failure?.index).toBe(1);
    expect(run.failure?.cause).toBe("cell-error");
    expect(run.failure?.sourceHead).toBe('const n: number = "text";');
    expect(run.failure?.error).toContain("Type 'string' is not assignable to type 'number'");
    expect(run.notebook?.cells[0].outputs).toEqual([{ output_type: "stream", name: "stdout", text: ["fine\n"] }]);
    expect(run.notebook?.cells[2].outputs).toEqual([]); // execution stopped at the failing cell
    expect(formatFailure(run, ROOT)).toContain("cell 2 failed");
  }, 120_000);
});

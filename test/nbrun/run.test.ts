// The Node runner against real kernels: tslab (the project's) and a small spec-written fake kernel
// (test/fixtures/fake-kernel.mjs) for what tslab never sends (execute_result, error outputs, interrupt_request).
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { findProjectRoot } from "../../src/lib/data/roots";
import { executeNotebook, formatFailure } from "../../scripts/jupyter";
import { KernelClient } from "../../scripts/nbrun/client";
import { readKernelSpec, writeTslabKernelSpecs } from "../../scripts/nbrun/kernelspec";
import { runNotebookInNode } from "../../scripts/nbrun/run";
import { notebookShapeErrors } from "../../scripts/nbrun/schema";
import type { KernelMessage } from "../../scripts/nbrun/protocol";
import type { Notebook } from "../../scripts/notebook-tools";

const ROOT = findProjectRoot();
const tmp = mkdtempSync(join(tmpdir(), "pneumo-nbrun-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const tslabBinary = join(ROOT, "node_modules", ".bin", "tslab");
const jupyterPath = writeTslabKernelSpecs({ prefix: join(tmp, "prefix"), binary: tslabBinary });
/** A second kernel spec folder: the fake kernel (interrupt by message) and one whose command does not exist. */
const fakePath = join(tmp, "fake");
const FAKE_SPECS = {
  fake: [process.execPath, join(ROOT, "test", "fixtures", "fake-kernel.mjs"), "{connection_file}"],
  missing: [join(tmp, "no-such-kernel")],
};
for (const [name, argv] of Object.entries(FAKE_SPECS)) {
  mkdirSync(join(fakePath, "kernels", name), { recursive: true });
  const spec = { argv, display_name: name, language: "fake", interrupt_mode: "message" };
  writeFileSync(join(fakePath, "kernels", name, "kernel.json"), JSON.stringify(spec));
}
const env = { ...process.env, JUPYTER_PATH: jupyterPath };

const codeCell = (source: string) => ({
  cell_type: "code" as const,
  metadata: {},
  source,
  outputs: [],
  execution_count: null,
});

/** Write a notebook of code cells (a markdown cell first) for `kernel`; returns its path. */
function notebook(name: string, sources: string[], kernel = "tslab"): string {
  const nb: Notebook = {
    cells: [{ cell_type: "markdown", metadata: {}, source: "# test" }, ...sources.map((source) => codeCell(source))],
    metadata: { kernelspec: { name: kernel, display_name: kernel, language: "typescript" } },
    nbformat: 4,
    nbformat_minor: 5,
  };
  const path = join(tmp, `${name}.ipynb`);
  writeFileSync(path, JSON.stringify(nb));
  return path;
}

const read = (path: string) => JSON.parse(readFileSync(path, "utf8")) as Notebook;
const PNG_BASE64 = Buffer.from([137, 80, 78, 71]).toString("base64");
const text = (v: unknown) => (Array.isArray(v) ? v.join("") : String(v));

describe("runNotebookInNode on tslab", () => {
  it("captures stdout, stderr, display_data (updated in place) as nbformat outputs, counts, times", async () => {
    const src = notebook("outputs", [
      'console.log("out"); console.error("err");',
      'import * as tslab from "tslab";\ntslab.display.html("<b>bold</b>");\n' +
        "tslab.display.png(new Uint8Array([137, 80, 78, 71]));",
      'const bar = tslab.newDisplay();\nbar.text("0%");\nbar.text("100%");',
      "6 * 7",
      "   ",
    ]);
    const dst = join(tmp, "out", "outputs.ipynb");
    const result = await runNotebookInNode(src, dst, { jupyterPath, env, timeoutS: 60 });
    expect(result.failure).toBeNull();
    const nb = read(dst);
    expect(notebookShapeErrors(nb)).toEqual([]);
    expect(nb.metadata.language_info).toMatchObject({ name: "typescript", file_extension: ".ts" });
    const [, c1, c2, c3, c4, c5] = nb.cells;
    expect(c1.outputs).toEqual([
      { output_type: "stream", name: "stdout", text: ["out\n"] },
      { output_type: "stream", name: "stderr", text: ["err\n"] },
    ]);
    expect(c2.outputs).toEqual([
      { output_type: "display_data", data: { "text/html": ["<b>bold</b>"] }, metadata: {} },
      { output_type: "display_data", data: { "image/png": PNG_BASE64 }, metadata: {} },
    ]);
    expect(c3.outputs).toEqual([{ output_type: "display_data", data: { "text/plain": ["100%"] }, metadata: {} }]);
    // tslab prints the last value (it sends no execute_result)
    expect(c4.outputs).toEqual([{ output_type: "stream", name: "stdout", text: ["42\n"] }]);
    expect([c1, c2, c3, c4, c5].map((c) => c.execution_count)).toEqual([1, 2, 3, 4, null]); // blank cells are skipped
    const times = Object.keys(c1.metadata.execution as object).sort();
    expect(times).toEqual(["iopub.status.busy", "iopub.status.idle", "shell.execute_reply"]);
    expect(nb.cells.map((c) => typeof c.id)).toEqual(Array(6).fill("string"));
  }, 120_000);

  it("exits 1 on a failing cell like nbconvert: source and traceback printed, executed copy written", () => {
    const failing = 'function fail() {\n  throw new Error("boom");\n}\nfail();';
    const src = notebook("boom", ['console.log("before");', failing, 'console.log("after");']);
    const out = join(tmp, "cli-out");
    const cli = join(ROOT, "scripts", "nbrun", "cli.ts");
    const args = ["--import", "tsx", cli, "--out", out, src];
    const proc = spawnSync(process.execPath, args, { cwd: ROOT, encoding: "utf8", env });
    expect(proc.status, proc.stderr).toBe(1);
    expect(proc.stdout).toMatch(/boom\.ipynb +3 cells .* FAILED/);
    expect(proc.stderr).toContain("boom.ipynb: cell 3 failed");
    expect(proc.stderr).toContain('    | function fail() {\n    |   throw new Error("boom");');
    expect(proc.stderr).toMatch(/Error: boom\n +at fail \(evalmachine/);
    expect(proc.stderr.trim().split("\n").pop()).toBe("nbrun: stopped at boom.ipynb · runner: node (zeromq)");
    const nb = read(join(out, "boom.ipynb"));
    expect(notebookShapeErrors(nb)).toEqual([]);
    expect(nb.cells[1].outputs).toEqual([{ output_type: "stream", name: "stdout", text: ["before\n"] }]);
    const stderr = text(nb.cells[2].outputs?.find((o) => o.name === "stderr")?.text);
    expect(stderr).toMatch(/Error: boom\n +at fail/);
    expect(nb.cells[2].execution_count).toBe(2);
    expect([nb.cells[3].outputs, nb.cells[3].execution_count]).toEqual([[], null]);
  }, 120_000);

  it("interrupts a cell past the time limit, says which cell, and runs nothing after it", async () => {
    const src = notebook("slow", ['console.log("start");', "await new Promise(() => {});", 'console.log("never");']);
    const started = Date.now();
    const run = await executeNotebook(src, { env, timeoutS: 2, outDir: join(tmp, "slow-out"), root: ROOT });
    expect((Date.now() - started) / 1000).toBeLessThan(30);
    expect(run.ok).toBe(false);
    expect(run.failure).toMatchObject({ index: 2, cause: "timeout", sourceHead: "await new Promise(() => {});" });
    expect(run.failure?.error).toMatch(/^CellTimeoutError: the cell did not finish within 2 s \(interrupted, /);
    expect(run.failure?.error).toContain('the kernel replied "error"');
    expect(run.failure?.error).toMatch(/--timeout SECONDS or env PNEUMO_CELL_TIMEOUT/);
    // tslab's own message for the SIGINT it got: the interrupt reached the kernel, which stopped the cell
    expect(run.failure?.error).toContain("Interrupted asynchronously");
    expect(formatFailure(run, ROOT)).toContain("slow.ipynb: cell 3 timed out");
    expect(run.notebook?.cells[3].outputs).toEqual([]);
  }, 120_000);
});

describe("KernelClient", () => {
  it("interrupts a busy synchronous loop, keeps the kernel usable, and leaves no process after shutdown", async () => {
    const spec = readKernelSpec("tslab", jupyterPath);
    const kernel = await KernelClient.start({ spec, name: "tslab", cwd: tmp, env });
    const execute = (code: string) => ({ msgType: "execute_request", content: { code, store_history: true } });
    const interrupt = { onTimeout: () => kernel.interrupt(), graceMs: 10_000 };
    const loop = await kernel.request({ ...execute("while (true) {}"), timeoutMs: 1500, ...interrupt });
    expect([loop.end, loop.reply?.content.status]).toEqual(["timeout", "error"]);
    await new Promise((r) => setTimeout(r, 300)); // tslab drops requests for 200 ms after an error
    const seen: string[] = [];
    const onIopub = (m: KernelMessage) => seen.push(String(m.content.text ?? ""));
    const next = await kernel.request({ ...execute('console.log("alive")'), timeoutMs: 30_000, onIopub });
    expect([next.end, next.reply?.content.status, seen.join("")]).toEqual(["done", "ok", "alive\n"]);
    const pid = kernel.pid!;
    await kernel.shutdown();
    expect(kernel.exitStatus).not.toBeNull();
    expect(() => process.kill(-pid, 0)).toThrow(/ESRCH/);
    expect(kernel.dropped).toBe(0);
  }, 120_000);
});

describe("runNotebookInNode on a spec-written kernel", () => {
  const fakeEnv = { ...process.env, JUPYTER_PATH: fakePath };
  /** Run code cells on a kernel from the fake spec folder; the copy goes to fake-out/<name>.ipynb. */
  const runFake = (name: string, sources: string[], timeoutS: number, kernel = "fake") =>
    runNotebookInNode(notebook(name, sources, kernel), join(tmp, "fake-out", `${name}.ipynb`), {
      jupyterPath: fakePath,
      env: fakeEnv,
      timeoutS,
    });

  it("keeps execute_result and error outputs; the reply's traceback is the failure", async () => {
    const dst = join(tmp, "fake-out", "errors.ipynb");
    const result = await runFake("errors", ["result:7", "error", "never"], 30);
    expect(result.failure).toEqual({ cell: 2, cause: "cell-error", message: "ValueError: bad\nValueError: bad" });
    const nb = read(dst);
    expect(notebookShapeErrors(nb)).toEqual([]);
    const result7 = { output_type: "execute_result", execution_count: 1, data: { "text/plain": ["7"] }, metadata: {} };
    expect(nb.cells[1].outputs).toEqual([result7]);
    const traceback = ["Traceback:", "  line 1", "ValueError: bad"];
    expect(nb.cells[2].outputs).toEqual([{ output_type: "error", ename: "ValueError", evalue: "bad", traceback }]);
    expect(nb.metadata.language_info).toEqual({ name: "fake" });
  }, 60_000);

  it("interrupts by interrupt_request when the spec says so, and reports a kernel that died", async () => {
    const hang = await runFake("hang", ["hang"], 1);
    expect(hang.failure?.cause).toBe("timeout");
    const interrupted = {
      output_type: "error",
      ename: "KeyboardInterrupt",
      evalue: "",
      traceback: ["KeyboardInterrupt"],
    };
    expect(read(join(tmp, "fake-out", "hang.ipynb")).cells[1].outputs).toEqual([interrupted]);
    const died = await runFake("died", ["ok", "exit", "never"], 30);
    expect(died.failure).toMatchObject({ cell: 2, cause: "kernel-died" });
    expect(died.failure?.message).toMatch(/^DeadKernelError: the kernel exited \(3\) while running this cell/);
  }, 60_000);

  it("writes the notebook and names the kernel when it cannot start", async () => {
    const dst = join(tmp, "fake-out", "missing.ipynb");
    const result = await runFake("missing", ["x"], 5, "missing");
    expect(result.failure).toMatchObject({ cell: null, cause: "runner" });
    expect(result.failure?.message).toMatch(/kernel missing did not start: it exited .*no-such-kernel/s);
    expect(existsSync(dst)).toBe(true);
  }, 60_000);
});

import { cpSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { sampleDataRoot } from "../../src/lib/data/roots";
import { evaluateOnFolder } from "../../src/lib/workflows/external";
import { formatSetMetrics } from "../../src/lib/workflows/summary";
import { tempDir } from "../data/helpers";
import { runScript } from "../scripts/runScript";
import { writeTinyRun } from "./tinyRun";

// A folder whose test split holds only `label` images (the other class folder exists, empty).
function oneClassFolder(label: "NORMAL" | "PNEUMONIA"): string {
  const root = join(tempDir(), `only-${label}`);
  const other = label === "NORMAL" ? "PNEUMONIA" : "NORMAL";
  cpSync(join(sampleDataRoot(), "test", label), join(root, "test", label), { recursive: true });
  mkdirSync(join(root, "test", other), { recursive: true });
  return root;
}

// Runs the CLI (scripts/cli.ts) with `args`.
const cli = (args: string[]) => runScript("scripts/cli.ts", args);

describe("evaluate --data on a folder with one class", () => {
  let runDir = "";
  let pneumonia = "";
  let normal = "";
  beforeAll(async () => {
    runDir = await writeTinyRun({ threshold: 0.5 });
    pneumonia = oneClassFolder("PNEUMONIA");
    normal = oneClassFolder("NORMAL");
  }, 60_000);

  it("without the flag, fails with one line that names the real flag", async () => {
    const { code, stderr } = await cli(["evaluate", "--run", runDir, "--data", pneumonia, "--boot", "20"]);
    expect(code).toBe(1);
    const lines = stderr.filter((l) => l.startsWith("error: "));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("--allow-single-class");
    expect(lines[0]).toContain(join(pneumonia, "test", "NORMAL"));
  }, 120_000);

  it("with --allow-single-class, prints sensitivity for an all-PNEUMONIA folder and says AUC is undefined", async () => {
    const { code, stdout } = await cli([
      "evaluate",
      "--run",
      runDir,
      "--data",
      pneumonia,
      "--boot",
      "20",
      "--allow-single-class",
    ]);
    expect(code).toBe(0);
    const line = stdout.split("\n").find((l) => l.startsWith("cnn4 "))!;
    expect(line).toMatch(/\(n=25\): AUC undefined  AP 1\.0000/); // every image is positive, so precision is 1 at every cut
    expect(line).toMatch(/sensitivity \d\.\d{4} specificity undefined/);
    expect(line).toContain("only PNEUMONIA images: AUC and specificity are undefined");
    expect(line).not.toContain("NaN");
  }, 120_000);

  it("computes specificity for an all-NORMAL folder (library call)", async () => {
    vi.spyOn(console, "warn").mockImplementation(() => {}); // the metric functions warn once per undefined metric
    const ev = await evaluateOnFolder(runDir, normal, { nBoot: 20, allowSingleClass: true, log: () => {} });
    expect(ev.metrics.n).toBe(15);
    expect(Number.isNaN(ev.metrics.auc)).toBe(true);
    expect(Number.isNaN(ev.metrics.atThreshold.sensitivity)).toBe(true);
    const { tn, fp } = ev.metrics.atThreshold;
    expect(ev.metrics.atThreshold.specificity).toBe(tn / (tn + fp));
    const line = formatSetMetrics(ev.metrics, { model: "cnn4", what: "test", threshold: 0.5 });
    expect(line).toMatch(/AUC undefined  AP undefined .* sensitivity undefined specificity \d\.\d{4}/);
    expect(line).toContain("only NORMAL images");
    vi.restoreAllMocks();
  }, 60_000);

  it("--allow-single-class without --data is refused by name", async () => {
    const { code, stderr } = await cli(["evaluate", "--run", runDir, "--allow-single-class"]);
    expect(code).toBe(1);
    expect(stderr).toEqual([expect.stringContaining("--allow-single-class applies to --data DIR")]);
  }, 120_000);
});

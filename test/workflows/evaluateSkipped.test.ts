import { cpSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { readSplitManifest } from "../../src/lib/data/manifest";
import { sampleDataRoot } from "../../src/lib/data/roots";
import { readRunManifest } from "../../src/lib/runs/manifest";
import { evaluateOnFolder, evaluateRun } from "../../src/lib/workflows";
import { tempDir } from "../data/helpers";
import { runScript } from "../scripts/runScript";
import { writeTinyRun } from "./tinyRun";

// Overwrites the first `n` records of `split` with bytes that are no image; returns their files.
async function breakImages(runDir: string, split: "val" | "test", n: number): Promise<string[]> {
  const manifest = await readSplitManifest((await readRunManifest(runDir)).data!.manifest);
  const victims = manifest.records.filter((r) => r.split === split).slice(0, n);
  for (const r of victims) writeFileSync(r.path, "not a jpeg");
  return victims.map((r) => r.file);
}

describe("evaluations name the images they skip", () => {
  let runDir = "";
  let badVal: string[] = [];
  let badTest: string[] = [];
  let counts: { val: number; test: number };
  beforeAll(async () => {
    const root = join(tempDir(), "chest_xray");
    cpSync(sampleDataRoot(), root, { recursive: true });
    runDir = await writeTinyRun({ dataDir: root, threshold: 0.5 });
    const c = (await readRunManifest(runDir)).data!.counts;
    counts = { val: c.val!.NORMAL! + c.val!.PNEUMONIA!, test: c.test!.NORMAL! + c.test!.PNEUMONIA! };
    badVal = await breakImages(runDir, "val", 2);
    badTest = await breakImages(runDir, "test", 3);
  }, 120_000);

  it("evaluateRun logs how many and which, and metrics.json carries the list", async () => {
    const lines: string[] = [];
    const ev = await evaluateRun(runDir, { nBoot: 20, save: true, log: (l) => lines.push(l) });
    expect(ev.metrics.val.n).toBe(counts.val - 2);
    expect(ev.metrics.test!.n).toBe(counts.test - 3);
    expect(lines).toContain(
      `predictRecords: skipped 2 of ${counts.val} images (unreadable; left out of every metric):`,
    );
    expect(lines).toContain(
      `predictRecords: skipped 3 of ${counts.test} images (unreadable; left out of every metric):`,
    );
    for (const file of [...badVal, ...badTest]) {
      expect(
        lines.some((l) => l.startsWith(`predictRecords:   ${file}: decodeImage: the file is not a readable JPEG/PNG`)),
      ).toBe(true);
    }
    const saved = JSON.parse(await readFile(join(runDir, "metrics.json"), "utf8"));
    expect(saved.metrics.val.skipped.map((s: { file: string }) => s.file)).toEqual(badVal);
    expect(saved.metrics.test.skipped.map((s: { file: string }) => s.file)).toEqual(badTest);
    expect(saved.metrics.test.skipped[0].reason).toMatch(/not a readable JPEG\/PNG/);
  }, 120_000);

  it("keeps the list when the saved predictions are reused", async () => {
    const ev = await evaluateRun(runDir, { nBoot: 20, reuse: true, log: () => {} });
    expect(ev.metrics.val.skipped.map((s) => s.file)).toEqual(badVal);
    expect(ev.metrics.test!.skipped.map((s) => s.file)).toEqual(badTest);
  }, 60_000);

  it("evaluateOnFolder (evaluate --data) logs them and writes them into its metrics file", async () => {
    const lines: string[] = [];
    const folder = join(tempDir(), "external");
    cpSync(sampleDataRoot(), folder, { recursive: true });
    writeFileSync(join(folder, "test", "NORMAL", "IM-0151-0001.jpeg"), "broken");
    const ev = await evaluateOnFolder(runDir, folder, { nBoot: 20, log: (l) => lines.push(l) });
    expect(ev.metrics.n).toBe(39);
    expect(ev.metrics.skipped).toEqual([
      { file: "test/NORMAL/IM-0151-0001.jpeg", reason: expect.stringContaining("not a readable") },
    ]);
    expect(lines).toContain("predictRecords: skipped 1 of 40 images (unreadable; left out of every metric):");
    const saved = JSON.parse(await readFile(join(runDir, "metrics-external-test.json"), "utf8"));
    expect(saved.metrics.skipped[0].file).toBe("test/NORMAL/IM-0151-0001.jpeg");
    expect(saved.skipped).toBeUndefined(); // listed once, under metrics, as data-relative files with reasons
  }, 60_000);

  it("npm run evaluate prints the count beside n and the files with reasons", async () => {
    const { code, stdout, stderr } = await runScript("scripts/cli.ts", ["evaluate", "--run", runDir, "--boot", "20"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(new RegExp(`cnn4 val \\(n=${counts.val - 2}, 2 unreadable skipped\\)`));
    expect(stdout).toMatch(new RegExp(`cnn4 test \\(n=${counts.test - 3}, 3 unreadable skipped\\)`));
    for (const file of [...badVal, ...badTest]) expect(stdout + stderr.join("\n")).toContain(`  ${file}: decodeImage:`);
  }, 120_000);
});

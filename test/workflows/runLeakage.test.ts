import { cpSync, readdirSync } from "node:fs";
import { copyFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sampleDataRoot } from "../../src/lib/data/roots";
import { readRunManifest } from "../../src/lib/runs/manifest";
import { prepareRunData, resolvePreset, trainCnnRun, type Preset } from "../../src/lib/workflows";
import { tempDir } from "../data/helpers";

// Six train images copied into test/ under new patient ids: identical files that patient grouping cannot see.
const COPIES = 6;

// A copy of the sample with `COPIES` duplicated files; returns the root.
async function sampleWithDuplicates(): Promise<string> {
  const root = join(tempDir(), "chest_xray");
  cpSync(sampleDataRoot(), root, { recursive: true });
  const normals = readdirSync(join(root, "train", "NORMAL"))
    .sort()
    .slice(0, COPIES);
  for (const [i, name] of normals.entries()) {
    await copyFile(join(root, "train", "NORMAL", name), join(root, "test", "NORMAL", `IM-99${10 + i}-0001.jpeg`));
  }
  return root;
}

// The quick preset at 16 px for 1 epoch: enough for a run folder with a manifest.
function tinyPreset(): Preset {
  const preset = resolvePreset("quick", {});
  preset.cnn = { ...preset.cnn, inputSize: 16, epochs: 1, batchSize: 32 };
  return preset;
}

describe("training runs report leakage", () => {
  let root = "";
  const cwd = process.cwd();
  beforeAll(async () => {
    root = await sampleWithDuplicates();
    process.chdir(tempDir()); // split manifests go to <tmp>/outputs/splits, not the project's shared one
  });
  afterAll(() => process.chdir(cwd));

  it("prepareRunData logs the leakage line, names the identical files and records them in runData", async () => {
    const lines: string[] = [];
    const { prepared, runData } = await prepareRunData(tinyPreset(), { dataDir: root, log: (l) => lines.push(l) });
    const groups = prepared.leakage.duplicatesAcrossSplits!;
    expect(groups.length).toBeGreaterThan(0); // seed 42 puts some copies in another split than their original
    expect(lines[0]).toMatch(/^\[pneumo-lab\] split: /);
    expect(lines[1]).toMatch(
      new RegExp(
        `^\\[pneumo-lab\\] leakage: 0 patient\\(s\\) in several splits, ${groups.length} duplicate file group`,
      ),
    );
    const named = lines.find((l) => l.includes("identical files in several splits"))!;
    for (const g of groups.slice(0, 5)) for (const f of g.files) expect(named).toContain(f.file);
    expect(runData.leakage).toMatchObject({
      patientsInSeveralSplits: 0,
      duplicateGroupsAcrossSplits: groups.length,
      imagesAffected: 2 * groups.length,
    });
    expect(runData.leakage!.duplicates).toEqual(groups.map((g) => g.files.map((f) => f.file).join(" = ")));
  });

  it("trainCnnRun prints it and writes it into the run manifest", async () => {
    const lines: string[] = [];
    const runsRoot = tempDir();
    const runDir = join(runsRoot, "run");
    await trainCnnRun({
      preset: tinyPreset(),
      dataDir: root,
      name: "run",
      runsRoot,
      progress: false,
      log: (l) => lines.push(l),
    });
    const manifest = await readRunManifest(runDir);
    const leakage = manifest.data!.leakage!;
    expect(leakage.duplicateGroupsAcrossSplits).toBeGreaterThan(0);
    expect(leakage.duplicates[0]).toMatch(/^(train|val|test)\/NORMAL\/.+ = (train|val|test)\/NORMAL\/.+$/);
    expect(lines.some((l) => l.includes(`identical files in several splits: ${leakage.duplicates[0]}`))).toBe(true);
  }, 120_000);

  it("logs one clean line when nothing leaks", async () => {
    const lines: string[] = [];
    const { runData } = await prepareRunData(tinyPreset(), {
      dataDir: sampleDataRoot(join(cwd)),
      log: (l) => lines.push(l),
    });
    expect(lines.slice(1)).toEqual([
      "[pneumo-lab] leakage: 0 patient(s) in several splits, 0 duplicate file group(s) across splits, 0 image(s) affected",
    ]);
    expect(runData.leakage).toEqual({
      patientsInSeveralSplits: 0,
      duplicateGroupsAcrossSplits: 0,
      imagesAffected: 0,
      patients: [],
      duplicates: [],
    });
  });
});

import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { findProjectRoot } from "../../src/lib/data/roots";
import { checkRunFolderUse, emptyRunFolder, runDirPath, runsRoot } from "../../src/lib/runs";
import { tempDir } from "../data/helpers";

describe("run folders", () => {
  it("accepts only a plain run name, so no run lands outside the runs folder", () => {
    const root = tempDir();
    expect(runDirPath({ name: "cnn4-quick_64.v2", root })).toBe(join(root, "cnn4-quick_64.v2"));
    for (const name of ["../../x", "/tmp/x", "a/b", "..", ".", "x/../../y"]) {
      expect(() => runDirPath({ name, root })).toThrow(`one folder name`);
      expect(() => runDirPath({ name, root })).toThrow(`Received: ${JSON.stringify(name)}`);
    }
  });

  it("puts runs under outputs/runs, or under env PNEUMO_RUNS when set", () => {
    const project = findProjectRoot();
    expect(runsRoot(project, {})).toBe(join(project, "outputs", "runs"));
    const elsewhere = tempDir();
    expect(runsRoot(project, { PNEUMO_RUNS: elsewhere })).toBe(elsewhere);
  });

  it("refuses a folder that holds a run unless resume or force says what to do, and never both", () => {
    const dir = join(tempDir(), "run");
    expect(() => checkRunFolderUse(dir, {})).not.toThrow(); // missing: a new run
    mkdirSync(dir);
    expect(() => checkRunFolderUse(dir, {})).not.toThrow(); // empty
    writeFileSync(join(dir, "manifest.json"), "{}");
    const refused = /already holds a run \(manifest\.json\); pass --resume .* --force .* --out NAME/;
    expect(() => checkRunFolderUse(dir, {})).toThrow(refused);
    expect(() => checkRunFolderUse(dir, { resume: true })).not.toThrow();
    expect(() => checkRunFolderUse(dir, { force: true })).not.toThrow();
    expect(() => checkRunFolderUse(dir, { resume: true, force: true })).toThrow(/pass one of them/);
  });

  it("empties a folder for --force and keeps the folder", async () => {
    const dir = join(tempDir(), "run");
    mkdirSync(join(dir, "model"), { recursive: true });
    const stale = ["metrics-old-test.json", "predictions-old-test.csv", "model/model.json"];
    for (const f of stale) writeFileSync(join(dir, f), "x");
    await emptyRunFolder(dir);
    expect(existsSync(dir)).toBe(true);
    expect(readdirSync(dir)).toEqual([]);
  });
});

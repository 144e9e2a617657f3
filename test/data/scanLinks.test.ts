import { cpSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { makeSplit } from "../../src/lib/data/prepare";
import { sampleDataRoot } from "../../src/lib/data/roots";
import { scanDataset } from "../../src/lib/data/scan";
import { tempDir } from "./helpers";
import { runScript } from "../scripts/runScript";

const LOOP = "train/NORMAL/IM-9999-0001.jpeg";
const DANGLING = "test/PNEUMONIA/person9999_virus_1.jpeg";

// A copy of the bundled sample with a looping and a dangling symlink among the images.
function sampleWithBadLinks(): string {
  const root = join(tempDir(), "chest_xray");
  cpSync(sampleDataRoot(), root, { recursive: true });
  symlinkSync("IM-9999-0001.jpeg", join(root, LOOP)); // points at itself: ELOOP
  symlinkSync("/nonexistent/gone.jpeg", join(root, DANGLING)); // ENOENT
  return root;
}

describe("scanning a folder with a looping and a dangling symlink", () => {
  let root = "";
  beforeAll(() => {
    root = sampleWithBadLinks();
  });
  afterEach(() => vi.restoreAllMocks());

  it("skips both, each with a named warning that says why and what to do", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const { records, warnings } = await scanDataset(root, { hash: true });
    expect(records).toHaveLength(200);
    expect(warnings).toEqual([
      { file: LOOP, reason: expect.stringMatching(/symbolic link that loops \(ELOOP.*remove it/) },
      { file: DANGLING, reason: expect.stringMatching(/dangling symbolic link .*\/nonexistent\/gone\.jpeg.*remove it/) },
    ]);
    const lines = warn.mock.calls.map((c) => String(c[0]));
    expect(lines.some((l) => l.includes(`skipped ${LOOP}`))).toBe(true);
    expect(lines.some((l) => l.includes(`skipped ${DANGLING}`))).toBe(true);
  });

  it("lets makeSplit (split, train) finish on the good images", async () => {
    vi.spyOn(console, "warn").mockImplementation(() => {});
    const made = await makeSplit({ strategy: "pooled", dataDir: root, outDir: tempDir() });
    expect(made.records).toHaveLength(200);
    expect(made.scan.warnings.map((w) => w.file).sort()).toEqual([DANGLING, LOOP].sort());
  });

  it("npm run split succeeds and warns naming both", async () => {
    const { code, stdout, stderr } = await runScript("scripts/split.ts", ["--data", root, "--out", tempDir()]);
    expect(code).toBe(0);
    expect(stdout).toContain("200 images");
    expect(stderr.some((l) => l.startsWith(`scanDataset: skipped ${LOOP}: a symbolic link that loops`))).toBe(true);
    expect(stderr.some((l) => l.startsWith(`scanDataset: skipped ${DANGLING}: a dangling symbolic link`))).toBe(true);
  }, 60_000);
});

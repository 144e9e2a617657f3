import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseCsv, toCsv } from "../../src/lib/data/csv";
import { formatLeakage, leakageReport } from "../../src/lib/data/leakage";
import { dataRootTag, makeSplit } from "../../src/lib/data/prepare";
import { manifestMetaPath, readSplitManifest } from "../../src/lib/data/manifest";
import { sampleDataRoot } from "../../src/lib/data/roots";
import { tempDir } from "./helpers";

describe("csv", () => {
  it("round-trips commas, quotes and line breaks", () => {
    const rows = [["a", "b,c"], ['say "hi"', "two\nlines"], ["", "x"]];
    const text = toCsv(rows);
    expect(text).toBe('a,"b,c"\n"say ""hi""","two\nlines"\n,x\n');
    expect(parseCsv(text)).toEqual(rows);
  });
});

describe("split manifest", () => {
  it("makeSplit writes a CSV + JSON that read back to the same records and hash", async () => {
    const outDir = tempDir();
    const made = await makeSplit({ dataDir: sampleDataRoot(), strategy: "pooled", seed: 5, outDir });
    // the file name carries the data root's identity, so another folder's split never overwrites this one
    expect(made.manifest.csvPath).toBe(join(outDir, `option-${dataRootTag(sampleDataRoot())}-pooled-seed5.csv`));
    expect(dataRootTag(sampleDataRoot())).toMatch(/^chest_xray-[0-9a-f]{8}$/);
    expect(dataRootTag("/elsewhere/chest_xray")).not.toBe(dataRootTag(sampleDataRoot()));
    expect(made.leakage.patientsInSeveralSplits).toEqual([]);
    expect(made.leakage.duplicatesAcrossSplits).toEqual([]);
    const back = await readSplitManifest(made.manifest.csvPath);
    expect(back.records).toEqual(made.records);
    expect(back.meta.csvSha256).toBe(made.manifest.meta.csvSha256);
    expect(back.meta).toMatchObject({ strategy: "pooled", seed: 5, groupByPatient: true, dataRoot: sampleDataRoot() });
    expect(Object.values(back.meta.counts.test).reduce((a, b) => a + b, 0)).toBe(40);
  });

  it("names missing files and the data root to pass", async () => {
    const made = await makeSplit({ dataDir: sampleDataRoot(), seed: 1, outDir: tempDir() });
    await expect(readSplitManifest(made.manifest.csvPath, { dataRoot: "/nowhere" })).rejects.toThrow(
      /200 file\(s\) listed in .* are missing under \/nowhere \(first: \/nowhere\/train\/NORMAL\/IM-\d+-0001.jpeg\)/,
    );
  });

  it("names a malformed line", async () => {
    const made = await makeSplit({ dataDir: sampleDataRoot(), seed: 1, outDir: tempDir() });
    const csv = made.manifest.csvPath;
    writeFileSync(csv, readFileSync(csv, "utf8").replace(",train,train,", ",trian,train,"));
    await expect(readSplitManifest(csv)).rejects.toThrow(/line \d+ is malformed \(split 'trian'\/'train'\)/);
    expect(manifestMetaPath(csv)).toBe(csv.replace(/\.csv$/, ".json"));
  });
});

describe("leakageReport", () => {
  const base = { path: "/p", label: "PNEUMONIA", subtype: "virus" } as const;
  it("lists patients and identical files across splits", () => {
    const report = leakageReport([
      { ...base, file: "a", split: "train", patientId: "person1", sha256: "h1" },
      { ...base, file: "b", split: "val", patientId: "person1", sha256: "h2" },
      { ...base, file: "c", split: "train", patientId: "person2", sha256: "h3" },
      { ...base, file: "d", split: "test", patientId: "person3", sha256: "h3" },
      { ...base, file: "e", split: "test", patientId: "person3", sha256: "h4" },
    ]);
    expect(report.patientsInSeveralSplits).toEqual([{ patientId: "person1", splits: ["train", "val"], files: ["a", "b"] }]);
    expect(report.duplicatesAcrossSplits).toEqual([{ sha256: "h3", files: [{ file: "c", split: "train" }, { file: "d", split: "test" }] }]);
    expect(report.imagesAffected).toBe(4);
    expect(formatLeakage(report)).toBe("leakage: 1 patient(s) in several splits, 1 duplicate file group(s) across splits, 4 image(s) affected");
  });

  it("says duplicates were not checked without hashes", () => {
    const report = leakageReport([{ ...base, file: "a", split: "train", patientId: "p" }]);
    expect(report.duplicatesAcrossSplits).toBeNull();
  });
});

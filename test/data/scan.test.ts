import { existsSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { DataLayoutError, scanDataset } from "../../src/lib/data/scan";
import { sampleDataRoot } from "../../src/lib/data/roots";
import { tempDir, writeBytes, writeGrayJpeg } from "./helpers";

describe("scanDataset on the bundled sample", () => {
  it("reads 200 records with patients, subtypes and hashes", async () => {
    const { records, warnings } = await scanDataset(sampleDataRoot(), { hash: true });
    expect(records).toHaveLength(200);
    expect(warnings).toEqual([]);
    const r = records.find((x) => x.file === "train/PNEUMONIA/person1002_bacteria_2933.jpeg");
    expect(r).toMatchObject({ split: "train", label: "PNEUMONIA", patientId: "person1002", subtype: "bacteria" });
    expect(r?.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(new Set(records.map((x) => x.split))).toEqual(new Set(["train", "test"]));
  });
});

describe("scanDataset bad input", () => {
  let root: string;
  beforeAll(async () => {
    root = tempDir();
    await writeGrayJpeg(root, "good/train/NORMAL/IM-0001-0001.jpeg");
    await writeGrayJpeg(root, "good/train/PNEUMONIA/person1_virus_1.jpeg");
    writeBytes(root, "good/train/PNEUMONIA/notes.txt", "hello");
    writeBytes(root, "good/train/PNEUMONIA/person2_virus_2.jpeg", "");
    writeBytes(root, "good/train/NORMAL/.DS_Store", "x");
    await writeGrayJpeg(root, "nested/chest_xray/train/NORMAL/IM-0001-0001.jpeg");
    await writeGrayJpeg(root, "flat/NORMAL/IM-0001-0001.jpeg");
    await writeGrayJpeg(root, "noclass/train/NORMAL/IM-0001-0001.jpeg");
    await writeGrayJpeg(root, "oneclass/train/NORMAL/IM-0001-0001.jpeg");
    writeBytes(root, "oneclass/train/PNEUMONIA/.keep", "");
  });

  it("names a missing folder and says what to do", async () => {
    const missing = join(root, "nope");
    await expect(scanDataset(missing)).rejects.toThrow(new RegExp(`${missing}.*does not exist.*PNEUMO_DATA`));
  });

  it("points one level down when the data is nested", async () => {
    const err = await scanDataset(join(root, "nested")).catch((e) => e);
    expect(err).toBeInstanceOf(DataLayoutError);
    expect(err.message).toContain(`use ${join(root, "nested", "chest_xray")}`);
  });

  it("explains a flat NORMAL/PNEUMONIA folder", async () => {
    await expect(scanDataset(join(root, "flat"))).rejects.toThrow(/put them inside a train\/ \(or test\/\) folder/);
  });

  it("names a split folder without class folders", async () => {
    await expect(scanDataset(join(root, "noclass"))).rejects.toThrow(/PNEUMONIA is missing/);
  });

  it("rejects a split with only one class, naming the empty folder, unless allowed", async () => {
    const dir = join(root, "oneclass");
    await expect(scanDataset(dir)).rejects.toThrow(new RegExp(`only NORMAL images: ${join(dir, "train", "PNEUMONIA")} is empty`));
    const { records } = await scanDataset(dir, { allowSingleClass: true });
    expect(records).toHaveLength(1);
  });

  it("skips non-image and empty files with a listed warning; strict makes them fatal", async () => {
    const dir = join(root, "good");
    const { records, warnings } = await scanDataset(dir);
    expect(records.map((r) => r.file)).toEqual(["train/NORMAL/IM-0001-0001.jpeg", "train/PNEUMONIA/person1_virus_1.jpeg"]);
    expect(warnings).toEqual([
      { file: "train/PNEUMONIA/notes.txt", reason: expect.stringContaining("not an image file") },
      { file: "train/PNEUMONIA/person2_virus_2.jpeg", reason: "empty file (0 bytes)" },
    ]);
    await expect(scanDataset(dir, { strict: true })).rejects.toThrow(/train\/PNEUMONIA\/notes.txt.*strict mode; 2 such file/);
  });
});

const SHARED = join(process.cwd(), "..", "shared", "data", "chest_xray");
describe.skipIf(!existsSync(SHARED))("scanDataset on ../shared/data (real Kaggle train split)", () => {
  it("finds 5,216 images in 2,846 patient groups (PROVENANCE.md)", async () => {
    const { records } = await scanDataset(SHARED);
    expect(records).toHaveLength(5216);
    expect(new Set(records.map((r) => r.patientId)).size).toBe(2846);
    const bySubtype = Object.fromEntries(["normal", "bacteria", "virus"].map((s) => [s, records.filter((r) => r.subtype === s).length]));
    expect(bySubtype).toEqual({ normal: 1341, bacteria: 2530, virus: 1345 });
  });
});

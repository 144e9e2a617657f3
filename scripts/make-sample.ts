/**
 * Build the committed sample `data/sample/chest_xray/{train,test}/{NORMAL,PNEUMONIA}` from the full training
 * split in `../shared/data/chest_xray` (or --from DIR): about 200 real X-rays, downscaled to 128 px, whole
 * patients only (several have more than one image, so grouping is exercised), train and test patient-disjoint.
 * Usage: npm run sample [-- --from DIR --size 128 --seed 7]
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import sharp from "sharp";
import { createRng, shuffled } from "../src/lib/data/random";
import { findProjectRoot } from "../src/lib/data/roots";
import { scanDataset } from "../src/lib/data/scan";
import type { ImageRecord, Label, Split, Subtype } from "../src/lib/data/types";
import { parseArgs } from "node:util";
import { runCli } from "./cliMain";

/** Images per split and subtype in the sample. */
const QUOTA: Record<Split, Partial<Record<Subtype, number>>> = {
  train: { normal: 60, bacteria: 60, virus: 40 },
  val: {},
  test: { normal: 15, bacteria: 15, virus: 10 },
};

// Entry point: pick whole patients per quota, write the downscaled copies and the file list.
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      from: { type: "string" },
      size: { type: "string", default: "128" },
      seed: { type: "string", default: "7" },
    },
  });
  const project = findProjectRoot();
  const from = values.from ?? join(project, "..", "shared", "data", "chest_xray");
  const size = Number(values.size);
  const outRoot = join(project, "data", "sample", "chest_xray");

  const { records } = await scanDataset(from, { splits: ["train"] });
  const rng = createRng(Number(values.seed));
  // Whole patients, multi-image patients first half the time, so the sample has groups of 1 to ~4 images.
  const byPatient = new Map<string, ImageRecord[]>();
  for (const r of records) byPatient.set(r.patientId, [...(byPatient.get(r.patientId) ?? []), r]);
  const groups = shuffled(
    [...byPatient.values()].filter((g) => g.length <= 4),
    rng,
  );
  const used = new Set<string>();
  const chosen: { record: ImageRecord; split: Split }[] = [];
  for (const split of ["train", "test"] as Split[]) {
    for (const [subtype, quota] of Object.entries(QUOTA[split]) as [Subtype, number][]) {
      let taken = 0;
      for (const g of groups) {
        if (taken >= quota) break;
        const pid = g[0].patientId;
        const mine = g.filter((r) => r.subtype === subtype);
        if (used.has(pid) || mine.length === 0 || mine.length !== g.length || taken + mine.length > quota) continue;
        used.add(pid);
        taken += mine.length;
        for (const record of mine) chosen.push({ record, split });
      }
    }
  }
  rmSync(outRoot, { recursive: true, force: true });
  for (const { record, split } of chosen) {
    const name = record.file.split("/").pop() as string;
    const out = join(outRoot, split, record.label as Label, name);
    mkdirSync(dirname(out), { recursive: true });
    await sharp(record.path).resize(size, size, { fit: "fill" }).grayscale().jpeg({ quality: 90 }).toFile(out);
  }
  const count = (s: Split, l: Label): number => chosen.filter((c) => c.split === s && c.record.label === l).length;
  const multi = new Set(chosen.map((c) => c.record.patientId)).size;
  writeFileSync(
    join(outRoot, "..", "sample-files.txt"),
    chosen.map((c) => `${c.split}/${c.record.label}/${c.record.file.split("/").pop()}`).join("\n") + "\n",
  );
  console.log(
    `sample: ${chosen.length} images, ${multi} patients, train ${count("train", "NORMAL")}/${count("train", "PNEUMONIA")}, ` +
      `test ${count("test", "NORMAL")}/${count("test", "PNEUMONIA")} (NORMAL/PNEUMONIA) → ${outRoot}`,
  );
}

runCli(main);

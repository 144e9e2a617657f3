import { createHash } from "node:crypto";
import { basename, join } from "node:path";
import { leakageReport, type LeakageReport } from "./leakage";
import { writeSplitManifest, type SplitManifest } from "./manifest";
import { findProjectRoot, resolveDataRoot, type DataRoot } from "./roots";
import { scanDataset, type ScanResult } from "./scan";
import { DEFAULT_SPLIT_SEED, splitPooled, splitTrainVal, type SplitOptions, type SplitRecord } from "./split";

/** The two re-splits: (a) train+val → 9:1 train/val, test kept; (b) everything pooled → 70/10/20. */
export type SplitStrategy = "train-val" | "pooled";

/** A re-split, or "auto": (a) when the data has a `test/` folder, so it stays the test split; (b) otherwise. */
export type SplitChoice = SplitStrategy | "auto";

export interface MakeSplitOptions extends SplitOptions {
  /** Default "train-val". */
  strategy?: SplitChoice;
  /** Data root; default resolved by `resolveDataRoot`. */
  dataDir?: string;
  /** Folder for the manifest; default `outputs/splits` in the project. */
  outDir?: string;
}

export interface PreparedSplit {
  dataRoot: DataRoot;
  scan: ScanResult;
  records: SplitRecord[];
  manifest: SplitManifest;
  leakage: LeakageReport;
  /** The re-split that ran and why (for "auto": whether the data has a test/ folder). */
  strategy: SplitStrategy;
  strategyReason: string;
}

/**
 * The re-split to run: an explicit strategy as given; "auto" keeps a Kaggle `test/` folder untouched as the test
 * split (train-val), so results stay comparable with figures reported on it, and pools only data without one.
 * @example
 * chooseSplitStrategy("auto", scan.records); // { strategy: "train-val", reason: "auto: the data has a test/ folder (624 images), kept as the test split" }
 */
export function chooseSplitStrategy(choice: SplitChoice, records: readonly { split: string }[]): { strategy: SplitStrategy; reason: string } {
  if (choice !== "auto") return { strategy: choice, reason: "asked for" };
  const inTest = records.filter((r) => r.split === "test").length; // scanned records: split = their folder
  return inTest > 0
    ? { strategy: "train-val", reason: `auto: the data has a test/ folder (${inTest} images), kept as the test split` }
    : { strategy: "pooled", reason: "auto: the data has no test/ folder, so train and val are pooled and 20 % held out as test" };
}

/**
 * Scan the data (with hashes), re-split it, write the CSV manifest and report leakage: the whole data step in one call.
 * The manifest is `outputs/splits/<source>-<root tag>-<strategy>-seed<seed>[-ungrouped].csv` (see `dataRootTag`), so
 * splits of different data folders never share a file.
 * @example
 * const { records, manifest, leakage } = await makeSplit({ strategy: "train-val", seed: 42 });
 */
export async function makeSplit(opts: MakeSplitOptions = {}): Promise<PreparedSplit> {
  const seed = opts.seed ?? DEFAULT_SPLIT_SEED;
  const groupByPatient = opts.groupByPatient ?? true;
  const dataRoot = resolveDataRoot({ dataDir: opts.dataDir });
  const scan = await scanDataset(dataRoot.root, { hash: true });
  const { strategy, reason } = chooseSplitStrategy(opts.strategy ?? "train-val", scan.records);
  const records =
    strategy === "pooled" ? splitPooled(scan.records, { seed, groupByPatient }) : splitTrainVal(scan.records, { seed, groupByPatient });
  const fractions = strategy === "pooled" ? { train: 0.7, val: 0.1, test: 0.2 } : { train: 0.9, val: 0.1 };
  const grouping = groupByPatient ? "" : "-ungrouped";
  const name = `${dataRoot.source}-${dataRootTag(dataRoot.root)}-${strategy}-seed${seed}${grouping}.csv`;
  const outDir = opts.outDir ?? join(findProjectRoot(), "outputs", "splits");
  const manifest = await writeSplitManifest(join(outDir, name), records, {
    strategy,
    seed,
    groupByPatient,
    fractions,
    dataRoot: dataRoot.root,
  });
  return { dataRoot, scan, records, manifest, leakage: leakageReport(records), strategy, strategyReason: reason };
}

/**
 * A short, file-name-safe identity of a data root: its folder name and the first 8 hex digits of the SHA-256 of its
 * absolute path, so two folders both called `chest_xray` still get different split files.
 * @example
 * dataRootTag("/data/chest_xray"); // "chest_xray-1f0c2a9e"
 */
export function dataRootTag(root: string): string {
  const name = basename(root).replace(/[^\w.-]+/g, "_") || "root";
  return `${name}-${createHash("sha256").update(root).digest("hex").slice(0, 8)}`;
}

import { leakageLines, summarizeLeakage } from "../data/leakage";
import { makeSplit, type PreparedSplit } from "../data/prepare";
import { requireBothClasses, type SplitRecord } from "../data/split";
import { sampleDataRoot } from "../data/roots";
import type { Split } from "../data/types";
import type { RunData } from "../runs/manifest";
import type { Preset } from "./presets";

/** A preset's data, split and ready: records per split plus what a run manifest records about them. */
export interface RunDataset {
  prepared: PreparedSplit;
  bySplit: Record<Split, SplitRecord[]>;
  runData: RunData;
}

/**
 * Scan and re-split the preset's data (grouped by patient), write the shared split manifest (outputs/splits), check
 * that every split holds both classes, and log the leakage report (patients and identical files in several splits),
 * which the run manifest also records (`runData.leakage`). A training run then keeps its own copy (see `keepRunSplit`).
 * @example
 * const { bySplit, runData } = await prepareRunData(resolvePreset("quick"));
 */
export async function prepareRunData(
  preset: Preset,
  opts: { dataDir?: string; log?: (line: string) => void } = {},
): Promise<RunDataset> {
  const dataDir = opts.dataDir ?? (preset.data === "sample" ? sampleDataRoot() : undefined);
  const prepared = await makeSplit({ strategy: preset.split.strategy, seed: preset.split.seed, dataDir });
  const log = opts.log ?? console.log;
  log(
    `[pneumo-lab] split: ${prepared.strategy} (${prepared.strategyReason}; seed ${preset.split.seed}, grouped by patient)`,
  );
  for (const line of leakageLines(prepared.leakage)) log(`[pneumo-lab] ${line}`);
  const bySplit: Record<Split, SplitRecord[]> = { train: [], val: [], test: [] };
  for (const record of prepared.records) bySplit[record.split].push(record);
  for (const split of ["train", "val"] as const)
    requireBothClasses(bySplit[split], "prepareRunData", `the ${split} split of ${prepared.dataRoot.root}`);
  const { meta, csvPath } = prepared.manifest;
  return {
    prepared,
    bySplit,
    runData: {
      manifest: csvPath,
      dataRoot: prepared.dataRoot.root,
      csvSha256: meta.csvSha256,
      strategy: meta.strategy,
      strategyChoice: preset.split.strategy,
      seed: meta.seed,
      groupByPatient: meta.groupByPatient,
      counts: meta.counts,
      leakage: summarizeLeakage(prepared.leakage),
    },
  };
}

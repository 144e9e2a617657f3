/**
 * Re-split a Kaggle-layout data folder and write the CSV split manifest.
 * Usage: npm run split -- [--strategy train-val|pooled] [--seed 42] [--ungrouped] [--data DIR] [--out DIR]
 */
import { parseArgs } from "node:util";
import { formatLeakage } from "../src/lib/data/leakage";
import { makeSplit, type SplitStrategy } from "../src/lib/data/prepare";
import { runCli } from "./cliMain";

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      strategy: { type: "string", default: "train-val" },
      seed: { type: "string", default: "42" },
      ungrouped: { type: "boolean", default: false },
      data: { type: "string" },
      out: { type: "string" },
    },
  });
  if (values.strategy !== "train-val" && values.strategy !== "pooled") {
    console.error(`split: --strategy must be train-val or pooled. Received: ${values.strategy}`);
    return 2;
  }
  const made = await makeSplit({
    strategy: values.strategy as SplitStrategy,
    seed: Number(values.seed),
    groupByPatient: !values.ungrouped,
    dataDir: values.data,
    outDir: values.out,
  });
  console.log(`data: ${made.dataRoot.root} (${made.dataRoot.source}), ${made.records.length} images`);
  for (const [split, c] of Object.entries(made.manifest.meta.counts)) {
    console.log(
      `  ${split.padEnd(5)} NORMAL ${String(c.NORMAL).padStart(5)}  PNEUMONIA ${String(c.PNEUMONIA).padStart(5)}  total ${c.NORMAL + c.PNEUMONIA}`,
    );
  }
  console.log(formatLeakage(made.leakage));
  console.log(`manifest: ${made.manifest.csvPath} (sha256 ${made.manifest.meta.csvSha256.slice(0, 12)}…)`);
  return 0;
}

runCli(main);

/**
 * The reference experiment in one resumable command:
 *   npm run reproduce -- [--data DIR] [--external DIR ...] [--size N] [--cnn-epochs N] [--out NAME]
 *                        [--resnet-size N] [--head-epochs N] [--finetune-epochs N] [--preset reference|quick]
 *                        [--head-views N] [--no-tta] [--no-ensemble] [--boot N] [--force] [--replace-report]
 *                        [--mobilenet auto|on|off] [--mobilenet-size N] [--mobilenet-epochs N]
 * Stages: split → cnn4 → resnet50 → mobilenetv2 (auto: when its ImageNet weights exist; on: required; off: none)
 * → internal evaluation → each --external folder → report. A rerun skips the
 * stages that finished with the same settings and data, and refuses one that finished with others.
 * The report: outputs/runs/<out>/report/index.html + report.md, copied to outputs/report.
 */
import { parseArgs } from "node:util";
import { reproduce } from "../src/lib/workflows/reproduce";
import type { MobileNetMode } from "../src/lib/workflows/reproduceMobileNet";
import { runCli } from "./cliMain";

// A positive integer option, checked.
function count(name: string, value: string | undefined, min = 0): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min)
    throw new Error(`reproduce: --${name} must be an integer ≥ ${min}. Received: ${value}`);
  return n;
}

async function main(argv: string[]): Promise<number> {
  const { values: o } = parseArgs({
    args: argv,
    options: {
      data: { type: "string" },
      external: { type: "string", multiple: true },
      size: { type: "string" },
      "cnn-epochs": { type: "string" },
      "resnet-size": { type: "string" },
      "head-epochs": { type: "string" },
      "finetune-epochs": { type: "string" },
      "head-views": { type: "string" },
      mobilenet: { type: "string", default: "auto" },
      "mobilenet-size": { type: "string" },
      "mobilenet-epochs": { type: "string" },
      out: { type: "string" },
      preset: { type: "string" },
      boot: { type: "string" },
      "no-tta": { type: "boolean", default: false },
      "no-ensemble": { type: "boolean", default: false },
      force: { type: "boolean", default: false },
      "replace-report": { type: "boolean", default: false },
    },
  });
  const result = await reproduce({
    dataDir: o.data,
    externals: o.external,
    preset: o.preset,
    name: o.out,
    size: count("size", o.size, 32),
    resnetSize: count("resnet-size", o["resnet-size"], 32),
    cnnEpochs: count("cnn-epochs", o["cnn-epochs"], 1),
    headEpochs: count("head-epochs", o["head-epochs"], 1),
    fineTuneEpochs: count("finetune-epochs", o["finetune-epochs"]),
    headViews: count("head-views", o["head-views"]),
    mobilenet: o.mobilenet as MobileNetMode, // checked by reproduce, before anything runs
    mobilenetSize: count("mobilenet-size", o["mobilenet-size"], 32),
    mobilenetEpochs: count("mobilenet-epochs", o["mobilenet-epochs"], 1),
    nBoot: count("boot", o.boot, 1),
    tta: !o["no-tta"],
    ensemble: !o["no-ensemble"],
    force: o.force,
    replaceReport: o["replace-report"],
  });
  for (const s of result.stages)
    console.log(`${s.stage}\t${s.skipped ? "skipped (done)" : `${s.seconds.toFixed(1)} s`}`);
  console.log(`report → ${result.reportDir}/index.html`);
  return 0;
}

runCli(() => main(process.argv.slice(2)));

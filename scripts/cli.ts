/**
 * pneumo-lab command line: train, evaluate, predict, serve.
 *   npm run train -- --model cnn|resnet50|mobilenetv2 [--preset quick|reference] [--data DIR] [--size N] [--epochs N]
 *                    [--out NAME] [--finetune N] [--resume | --force] [--engine auto|tfjs|onnxruntime]
 *                    [--strategy auto|pooled|train-val]
 *     --strategy auto (the presets' default): a Kaggle test/ folder stays the test split (train+val re-split 9:1 by
 *     patient); data without one is pooled 70/10/20. The choice is printed and recorded in the run manifest.
 *     --out NAME is a run name under outputs/runs (env PNEUMO_RUNS moves that folder); an existing run is refused
 *     unless --resume (continue it; settings and data must match) or --force (replace it, folder emptied first).
 *   npm run evaluate -- [--run DIR] [--split test|val] [--data DIR [--allow-single-class]]
 *   npm run predict -- <image...> [--run DIR] [--threshold X] [--gradcam DIR]
 *   npm run serve -- [--port N] [--host H] [--run DIR]
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startServer } from "../src/lib/app/server";
import { latestRun } from "../src/lib/runs/runDir";
import type { TrainOptions } from "../src/lib/train/types";
import type { SplitChoice } from "../src/lib/data/prepare";

const SPLIT_CHOICES: readonly SplitChoice[] = ["auto", "pooled", "train-val"];
import { evaluateRun, runModelSettings, type SetMetrics } from "../src/lib/workflows/evaluate";
import { evaluateOnFolder } from "../src/lib/workflows/external";
import { overlayNames } from "../src/lib/workflows/overlayNames";
import { formatSetMetrics } from "../src/lib/workflows/summary";
import { loadPredictor } from "../src/lib/workflows/predictor";
import { trainCnnRun } from "../src/lib/workflows/cnn";
import { trainResNetRun } from "../src/lib/workflows/resnet";
import { trainMobileNetRun } from "../src/lib/workflows/mobilenet";
import { runCli } from "./cliMain";

const USAGE = `usage: tsx scripts/cli.ts <train|evaluate|predict|serve> [options]   (see the README, "Command line")`;

// Parses the options shared by all commands.
function options(args: string[]) {
  return parseArgs({
    args,
    allowPositionals: true,
    options: {
      model: { type: "string", default: "cnn" },
      preset: { type: "string" },
      out: { type: "string" },
      epochs: { type: "string" },
      size: { type: "string" },
      split: { type: "string" },
      strategy: { type: "string" },
      finetune: { type: "string" },
      resume: { type: "boolean", default: false },
      force: { type: "boolean", default: false },
      data: { type: "string" },
      run: { type: "string" },
      threshold: { type: "string" },
      gradcam: { type: "string" },
      port: { type: "string", default: "8080" },
      host: { type: "string", default: "127.0.0.1" },
      boot: { type: "string", default: "1000" },
      engine: { type: "string", default: "auto" },
      "allow-single-class": { type: "boolean", default: false },
    },
  });
}

// A number option, checked.
function numberOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new Error(`--${name} must be a number. Received: ${value}`);
  return n;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const { values: o, positionals } = options(rest);
  if (command === "train") {
    if (!["auto", "tfjs", "onnxruntime"].includes(o.engine))
      throw new Error(`--engine must be auto, tfjs or onnxruntime. Received: ${o.engine}`);
    const engine = o.engine as TrainOptions["engine"];
    if (o.strategy !== undefined && !SPLIT_CHOICES.includes(o.strategy as SplitChoice)) {
      throw new Error(`--strategy must be ${SPLIT_CHOICES.join(", ")}. Received: ${o.strategy}`);
    }
    const common = {
      preset: o.preset,
      name: o.out,
      dataDir: o.data,
      resume: o.resume,
      force: o.force,
      engine,
      split: o.strategy as SplitChoice | undefined,
      epochs: numberOption("epochs", o.epochs),
      inputSize: numberOption("size", o.size),
      fineTuneEpochs: numberOption("finetune", o.finetune),
    };
    const model = o.model === "cnn4" ? "cnn" : o.model;
    if (!["cnn", "resnet50", "mobilenetv2"].includes(model))
      throw new Error(`--model must be cnn, resnet50 or mobilenetv2. Received: ${o.model}`);
    const trainers = { cnn: trainCnnRun, resnet50: trainResNetRun, mobilenetv2: trainMobileNetRun };
    const result = await trainers[model as keyof typeof trainers](common);
    console.log(`trained ${o.model} in ${result.seconds.toFixed(1)} s → ${result.runDir}`);
    const ev = await evaluateRun(result.runDir, { nBoot: numberOption("boot", o.boot), save: true });
    printEvaluation(ev);
    return 0;
  }
  if (command === "evaluate") {
    const runDir = o.run ?? latestRun();
    const nBoot = numberOption("boot", o.boot);
    if (o.split !== undefined && o.split !== "test" && o.split !== "val")
      throw new Error(`--split must be test or val. Received: ${o.split}`);
    if (o["allow-single-class"] && !o.data) {
      throw new Error(`--allow-single-class applies to --data DIR (a folder to score). Received: no --data`);
    }
    if (o.data) {
      const split = o.split as "test" | "val" | undefined;
      const ev = await evaluateOnFolder(runDir, o.data, { split, nBoot, allowSingleClass: o["allow-single-class"] });
      printSet((await runModelSettings(runDir)).model, `${ev.dataDir} ${ev.split}`, ev.metrics, ev.threshold);
      console.log(`scores → ${ev.csvPath}`);
    } else {
      printEvaluation(await evaluateRun(runDir, { nBoot, save: true }));
    }
    return 0;
  }
  if (command === "predict") {
    if (positionals.length === 0)
      throw new Error(`predict: give one or more image files, e.g. npm run predict -- xray.jpeg. Received: no files`);
    const predictor = await loadPredictor(o.run ?? latestRun());
    if (o.gradcam) await mkdir(o.gradcam, { recursive: true });
    let failed = 0;
    const overlays = overlayNames(positionals);
    for (const [i, file] of positionals.entries()) {
      try {
        const p = await predictor.predictFile(file, {
          gradcam: Boolean(o.gradcam),
          threshold: numberOption("threshold", o.threshold),
        });
        let line = `${file}\t${p.label}\tp(pneumonia)=${p.probability.toFixed(4)}\tthreshold=${p.threshold.toFixed(4)}`;
        if (o.gradcam && p.overlayPng) {
          const out = join(o.gradcam, overlays[i]!);
          await writeFile(out, p.overlayPng);
          line += `\tgradcam=${out}`;
        }
        console.log(line);
      } catch (error) {
        failed++;
        console.error(`${file}\tERROR\t${(error as Error).message}`);
      }
    }
    predictor.dispose();
    return failed > 0 ? 1 : 0;
  }
  if (command === "serve") {
    const predictor = await loadPredictor(o.run ?? latestRun());
    const server = await startServer({ predictor, port: numberOption("port", o.port), host: o.host });
    console.log(`pneumo-lab prediction page: ${server.url}  (research use only; Ctrl-C to stop)`);
    return await new Promise<number>(() => {});
  }
  console.error(USAGE);
  return 2;
}

// One summary block of an evaluation.
function printEvaluation(ev: Awaited<ReturnType<typeof evaluateRun>>): void {
  for (const [split, m] of Object.entries(ev.metrics)) if (m) printSet(ev.model, split, m, ev.threshold);
  console.log(`metrics → ${join(ev.runDir, "metrics.json")}`);
}

// One line of metrics for one prediction set.
function printSet(model: string, what: string, m: SetMetrics, threshold: number): void {
  console.log(formatSetMetrics(m, { model, what, threshold }));
}

runCli(() => main(process.argv.slice(2)));

/**
 * pneumo-lab command line: train, evaluate, predict, serve.
 *   npm run train -- --model cnn4|resnet50 [--preset quick|reference] [--name N] [--epochs E] [--resume] [--data DIR]
 *   npm run evaluate -- [--run DIR]
 *   npm run predict -- <image...> [--run DIR] [--threshold X] [--gradcam DIR]
 *   npm run serve -- [--port N] [--host H] [--run DIR]
 */
import { mkdir, writeFile } from "node:fs/promises";
import { basename, extname, join } from "node:path";
import { parseArgs } from "node:util";
import { startServer } from "../src/lib/app/server";
import { latestRun } from "../src/lib/runs/runDir";
import { evaluateRun } from "../src/lib/workflows/evaluate";
import { loadPredictor } from "../src/lib/workflows/predictor";
import { trainCnnRun } from "../src/lib/workflows/cnn";
import { trainResNetRun } from "../src/lib/workflows/resnet";

const USAGE = `usage: tsx scripts/cli.ts <train|evaluate|predict|serve> [options]   (see the README, "Command line")`;

// Parses the options shared by all commands.
function options(args: string[]) {
  return parseArgs({
    args,
    allowPositionals: true,
    options: {
      model: { type: "string", default: "cnn4" }, preset: { type: "string" }, name: { type: "string" }, epochs: { type: "string" },
      resume: { type: "boolean", default: false }, data: { type: "string" }, run: { type: "string" }, threshold: { type: "string" },
      gradcam: { type: "string" }, port: { type: "string", default: "8080" }, host: { type: "string", default: "127.0.0.1" },
      boot: { type: "string", default: "1000" },
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
    const common = { preset: o.preset, name: o.name, dataDir: o.data, resume: o.resume, epochs: numberOption("epochs", o.epochs) };
    if (o.model !== "cnn4" && o.model !== "resnet50") throw new Error(`--model must be cnn4 or resnet50. Received: ${o.model}`);
    const result = o.model === "cnn4" ? await trainCnnRun(common) : await trainResNetRun(common);
    console.log(`trained ${o.model} in ${result.seconds.toFixed(1)} s → ${result.runDir}`);
    const ev = await evaluateRun(result.runDir, { nBoot: numberOption("boot", o.boot) });
    printEvaluation(ev);
    return 0;
  }
  if (command === "evaluate") {
    printEvaluation(await evaluateRun(o.run ?? latestRun(), { nBoot: numberOption("boot", o.boot) }));
    return 0;
  }
  if (command === "predict") {
    if (positionals.length === 0) throw new Error(`predict: give one or more image files, e.g. npm run predict -- xray.jpeg. Received: no files`);
    const predictor = await loadPredictor(o.run ?? latestRun());
    if (o.gradcam) await mkdir(o.gradcam, { recursive: true });
    let failed = 0;
    for (const file of positionals) {
      try {
        const p = await predictor.predictFile(file, { gradcam: Boolean(o.gradcam), threshold: numberOption("threshold", o.threshold) });
        let line = `${file}\t${p.label}\tp(pneumonia)=${p.probability.toFixed(4)}\tthreshold=${p.threshold.toFixed(4)}`;
        if (o.gradcam && p.overlayPng) {
          const out = join(o.gradcam, `${basename(file, extname(file))}-gradcam.png`);
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
  for (const [split, m] of Object.entries(ev.metrics)) {
    if (!m) continue;
    const a = m.atThreshold, ci = m.ci.auc;
    console.log(`${ev.model} ${split} (n=${m.n}): AUC ${m.auc.toFixed(4)} [${ci.lower.toFixed(3)}, ${ci.upper.toFixed(3)}]  AP ${m.averagePrecision.toFixed(4)}  ` +
      `at threshold ${ev.threshold.toFixed(4)}: accuracy ${a.accuracy.toFixed(4)} sensitivity ${a.sensitivity.toFixed(4)} specificity ${a.specificity.toFixed(4)}`);
  }
  console.log(`metrics → ${join(ev.runDir, "metrics.json")}`);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(`error: ${error.message}`);
    process.exit(1);
  },
);

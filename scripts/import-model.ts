/**
 * Import a Keras model file into a run folder (no training), then evaluate it on the run's split.
 *   npm run import -- FILE --arch cnn4|resnet50|mobilenetv2 [--size N] [--head a|b|c] [--preprocessing rescale|reference|raw]
 *                     [--rename file_layer=our_layer,…] [--out NAME] [--force] [--preset quick|reference] [--data DIR]
 *                     [--no-evaluate]
 * FILE: Keras 2 `.h5` (model.save or save_weights) or Keras 3 `.keras`. The run works with evaluate, predict, serve
 * and the notebooks.
 */
import { parseArgs } from "node:util";
import type { HeadKind } from "../src/lib/models/heads";
import { evaluateRun } from "../src/lib/workflows/evaluate";
import { IMPORT_ARCHS, importKerasRun, type ImportArch } from "../src/lib/workflows/importKeras";
import { formatSetMetrics } from "../src/lib/workflows/summary";
import { PREPROCESSINGS, type Preprocessing } from "../src/lib/workflows/transforms";
import { runCli } from "./cliMain";

// "dense=head_dense1,dense_1=head_output" → { dense: "head_dense1", dense_1: "head_output" }
function parseRename(text: string | undefined): Record<string, string> | undefined {
  if (!text) return undefined;
  const pairs = text.split(",").map((p) => p.split("="));
  if (pairs.some((p) => p.length !== 2 || !p[0] || !p[1])) {
    throw new Error(`import-model: --rename takes file_layer=our_layer pairs separated by commas. Received: ${text}`);
  }
  return Object.fromEntries(pairs);
}

async function main(argv: string[]): Promise<number> {
  const { values: o, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      arch: { type: "string" },
      size: { type: "string" },
      head: { type: "string" },
      preprocessing: { type: "string" },
      rename: { type: "string" },
      out: { type: "string" },
      force: { type: "boolean", default: false },
      preset: { type: "string" },
      data: { type: "string" },
      "no-evaluate": { type: "boolean", default: false },
    },
  });
  if (positionals.length !== 1)
    throw new Error(`import-model: give one Keras file (.h5 or .keras). Received: ${positionals.length} files`);
  if (!o.arch || !(IMPORT_ARCHS as readonly string[]).includes(o.arch)) {
    throw new Error(
      `import-model: --arch must be ${IMPORT_ARCHS.join(", ")} (the architecture the file was saved from). Received: ${o.arch}`,
    );
  }
  if (o.preprocessing && !PREPROCESSINGS.includes(o.preprocessing as Preprocessing)) {
    throw new Error(`import-model: --preprocessing must be ${PREPROCESSINGS.join(", ")}. Received: ${o.preprocessing}`);
  }
  const size = o.size === undefined ? undefined : Number(o.size);
  if (size !== undefined && !Number.isInteger(size))
    throw new Error(`import-model: --size must be an integer. Received: ${o.size}`);
  const { runDir, report } = await importKerasRun({
    file: positionals[0]!,
    arch: o.arch as ImportArch,
    inputSize: size,
    head: o.head as HeadKind | undefined,
    preprocessing: o.preprocessing as Preprocessing | undefined,
    rename: parseRename(o.rename),
    name: o.out,
    force: o.force,
    preset: o.preset,
    dataDir: o.data,
  });
  console.log(`imported ${report.loaded.length} layers → ${runDir}`);
  if (o["no-evaluate"]) return 0;
  const ev = await evaluateRun(runDir, { save: true });
  for (const [split, m] of Object.entries(ev.metrics))
    if (m) console.log(formatSetMetrics(m, { model: ev.model, what: split, threshold: ev.threshold }));
  return 0;
}

runCli(() => main(process.argv.slice(2)));

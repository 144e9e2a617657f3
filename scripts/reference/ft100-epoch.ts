/**
 * `npx tsx scripts/reference/ft100-epoch.ts [--data DIR] [--top 100] [--epochs 1] [--out NAME]`
 *
 * The reference ResNet50 run (preset "reference": head a, 15 head epochs on cached features, batch 32, phase-2
 * augmentation and cyclical LR) with `--top` backbone layers trainable in phase 2 for `--epochs` epochs: the time of
 * a fine-tuning epoch with the top 100 layers trainable, the second timing. Wall time per phase is in the
 * run's history (`finetune/history.json`: seconds per epoch) and manifest.
 */
import { parseArgs } from "node:util";
import { resolvePreset } from "../../src/lib/workflows/presets";
import { trainResNetRun } from "../../src/lib/workflows/resnet";

const { values } = parseArgs({
  options: {
    data: { type: "string" },
    top: { type: "string", default: "100" },
    epochs: { type: "string", default: "1" },
    out: { type: "string" },
  },
});
const preset = resolvePreset("reference");
preset.resnet.unfreezeTop = Number(values.top);
preset.resnet.fineTuneEpochs = Number(values.epochs);
const started = performance.now();
const result = await trainResNetRun({
  preset,
  dataDir: values.data,
  name: values.out ?? `resnet50-reference-top${values.top}`,
});
console.log(`run ${result.runDir}: ${((performance.now() - started) / 60000).toFixed(1)} min`);

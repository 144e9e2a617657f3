import { join } from "node:path";
import { gradCam } from "../analysis/gradcam";
import { overlayHeatmap } from "../analysis/overlay";
import { initBackend } from "../backend";
import { decodeImage } from "../data/decode";
import { loadModelFromDir } from "../models/io";
import type { GradCamItem, PredictionItem } from "../plots/images";
import { createRng, shuffled } from "../data/random";
import { readRunManifest } from "../runs/manifest";
import { readRunSplit } from "../runs/split";
import { RUN_MODEL_DIR } from "./types";
import type { Evaluation } from "./evaluate";
import { evaluationSet } from "./report";
import { modelTransform, type Preprocessing } from "./transforms";

/** Kinds of outcome to explain. */
export type OutcomeKind = "TP" | "FP" | "FN" | "TN";

// Indices of a prediction set by outcome at a threshold, most confident first.
function byOutcome(yTrue: number[], yScore: number[], threshold: number, kind: OutcomeKind): number[] {
  const want = { TP: [1, 1], FP: [0, 1], FN: [1, 0], TN: [0, 0] }[kind];
  const idx = yTrue
    .map((_, i) => i)
    .filter((i) => yTrue[i] === want[0] && (yScore[i]! >= threshold ? 1 : 0) === want[1]);
  const confidence = (i: number) => Math.abs(yScore[i]! - threshold);
  return idx.sort((a, b) => confidence(b) - confidence(a));
}

// Image paths of a run's scored files, from its own split manifest (hash-checked).
async function runImagePaths(runDir: string): Promise<Map<string, string>> {
  const split = await readRunSplit(runDir, (await readRunManifest(runDir)).data);
  return new Map(split.records.map((r) => [r.file, r.path]));
}

/**
 * Grad-CAM overlays for a run's true positives, false positives and false negatives (the most confident of each),
 * ready for `gradCamGridFigure`. PNGs are also written to `<runDir>/gradcam/` when `write` is set.
 * @example
 * const items = await gradcamExamples(ev, { perKind: 2 }); show(await gradCamGridFigure(items));
 */
export async function gradcamExamples(
  ev: Evaluation,
  opts: { kinds?: OutcomeKind[]; perKind?: number; split?: "val" | "test"; write?: boolean } = {},
): Promise<GradCamItem[]> {
  const { set } = evaluationSet(ev, opts.split);
  const pathOf = await runImagePaths(ev.runDir);
  const settings = (await readRunManifest(ev.runDir)).settings as { inputSize: number; preprocessing: Preprocessing };
  await initBackend({ quiet: true });
  const model = await loadModelFromDir(join(ev.runDir, RUN_MODEL_DIR));
  const transform = modelTransform(settings.preprocessing);
  const items: GradCamItem[] = [];
  try {
    for (const kind of opts.kinds ?? ["TP", "FP", "FN"]) {
      for (const i of byOutcome(set.yTrue, set.yScore, ev.threshold, kind).slice(0, opts.perKind ?? 2)) {
        const path = pathOf.get(set.files[i]!)!;
        const image = await decodeImage(path, { width: settings.inputSize, height: settings.inputSize, channels: 1 });
        const cam = gradCam(model, transform(image));
        const display = await decodeImage(path, { width: 224, height: 224, channels: 1 });
        const outPath = opts.write
          ? join(ev.runDir, "gradcam", `${kind}-${set.files[i]!.replace(/[\\/]/g, "_")}.png`)
          : undefined;
        const overlay = await overlayHeatmap(display, cam, { range: [0, 255], outPath });
        items.push({ image: display, overlay, title: `${ev.model} ${kind} p=${set.yScore[i]!.toFixed(3)}` });
      }
    }
  } finally {
    model.dispose();
  }
  return items;
}

/**
 * A seeded random sample of a run's scored images (half each class when possible) for `predictionGridFigure`.
 * @example
 * show(await predictionGridFigure(await predictionExamples(ev, { n: 8 }), { threshold: ev.threshold }));
 */
export async function predictionExamples(
  ev: Evaluation,
  opts: { n?: number; seed?: number; split?: "val" | "test" } = {},
): Promise<PredictionItem[]> {
  const { set } = evaluationSet(ev, opts.split);
  const pathOf = await runImagePaths(ev.runDir);
  const rng = createRng(opts.seed ?? 7);
  const n = opts.n ?? 8;
  const pick = (label: number, k: number) =>
    shuffled(
      set.yTrue.map((_, i) => i).filter((i) => set.yTrue[i] === label),
      rng,
    ).slice(0, k);
  const chosen = [...pick(0, Math.floor(n / 2)), ...pick(1, n - Math.floor(n / 2))];
  return chosen.map((i) => ({
    image: pathOf.get(set.files[i]!)!,
    label: set.yTrue[i]!,
    probability: set.yScore[i]!,
    note: set.files[i]!.split("/").pop(),
  }));
}

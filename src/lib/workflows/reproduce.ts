/**
 * `npm run reproduce`: the whole reference experiment in one resumable call. Stages (each recorded in
 * `<run>/stages/`, skipped when done and valid, refused when it finished on other settings or data):
 * split → cnn4 → resnet50 (head, then fine-tuning) → mobilenetv2 (when its ImageNet weights exist) → internal
 * evaluation → each external folder → report.
 */
import { existsSync, readdirSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import { findProjectRoot } from "../data/roots";
import { writeRunManifest, type RunData } from "../runs/manifest";
import { emptyRunFolder, runDirPath } from "../runs/runDir";
import { formatSeconds, resolveProgress, type ProgressSink } from "../train/progress";
import { writeFileAtomic } from "../train/tensorFiles";
import { trainCnnRun } from "./cnn";
import { prepareRunData } from "./data";
import { resolvePreset, type Preset } from "./presets";
import { externalOverlap, folderDataHash, writeReproduceReport } from "./reproduceOutputs";
import { scoreExternal, scoreInternal, type ReproduceModel } from "./reproduceEval";
import { mobileNetPlan, resolveMobileNetStage, type MobileNetMode, type MobileNetStage } from "./reproduceMobileNet";
import { modelFiles, StageStore, type StageKey, type StagePlan, type StageRecord } from "./reproduceStages";
import { trainResNetRun } from "./resnet";

/** Options of `reproduce` (the CLI flags of `npm run reproduce`). */
export interface ReproduceOptions {
  /** Data root (Kaggle layout); default the preset's. */
  dataDir?: string;
  /** Kaggle-layout folders whose test/ images both models are scored on, thresholds fixed on validation. */
  externals?: string[];
  /** Preset to start from; default "reference". */
  preset?: Preset | string;
  /** Input size of both models (ResNet50 needs ≥ 32); default the preset's. */
  size?: number;
  /** ResNet50 input size when it differs from `size`. */
  resnetSize?: number;
  /** MobileNetV2 stage: "auto" (default: when its ImageNet weights exist), "on" (required), "off". */
  mobilenet?: MobileNetMode;
  /** MobileNetV2 input size when it differs from `size` (default `size`, else the preset's). */
  mobilenetSize?: number;
  /** MobileNetV2 epochs; default the preset's. */
  mobilenetEpochs?: number;
  cnnEpochs?: number;
  headEpochs?: number;
  fineTuneEpochs?: number;
  /** Augmented views per training image added to the ResNet50 head's cached features; default the preset's (0). */
  headViews?: number;
  /** Test-time augmentation rows (mean of the plain and the left–right flipped score). Default true. */
  tta?: boolean;
  /**
   * CNN + ResNet50 ensemble row (mean of temperature-calibrated probabilities; MobileNetV2 is not a member).
   * Default true.
   */
  ensemble?: boolean;
  /** Bootstrap resamples of the 95 % intervals; default the preset's. */
  nBoot?: number;
  /** Run folder name under the runs root; default "reproduce". */
  name?: string;
  runsRoot?: string;
  /** Redo every stage: the run folder is emptied first. */
  force?: boolean;
  /** Where the report is also copied; default `<project>/outputs/report`; false: no copy. */
  reportCopy?: string | false;
  /** Replace a copied report that belongs to another run (otherwise it is kept and a line says so). */
  replaceReport?: boolean;
  progress?: boolean | ProgressSink;
  log?: (line: string) => void;
  /** Called after each stage that ran (tests stop a run between stages with it). */
  afterStage?: (stage: string) => void | Promise<void>;
}

/** What `reproduce` made. */
export interface ReproduceResult {
  runDir: string;
  reportDir: string;
  /** Seconds per stage, 0 for a skipped one, with `skipped`. */
  stages: { stage: string; seconds: number; skipped: boolean }[];
}

/**
 * Run (or resume) the reference experiment and write its report.
 * @example
 * const { reportDir } = await reproduce({ dataDir: "../shared/data/chest_xray", size: 32, cnnEpochs: 1 });
 */
export async function reproduce(opts: ReproduceOptions = {}): Promise<ReproduceResult> {
  const log = opts.log ?? console.log;
  const sink = resolveProgress(opts.progress);
  const preset = reproducePreset(opts);
  const runDir = runDirPath({ name: opts.name ?? "reproduce", root: opts.runsRoot });
  refuseForeignFolder(runDir);
  const mobilenet = resolveMobileNetStage(preset, {
    mode: opts.mobilenet,
    inputSize: opts.mobilenetSize ?? opts.size,
    epochs: opts.mobilenetEpochs,
  });
  if (!mobilenet.include) log(`[reproduce] ${mobilenet.skipped}`);
  if (opts.force) await emptyRunFolder(runDir);
  await mkdir(runDir, { recursive: true });
  const store = new StageStore(runDir);
  const plans = stagePlans(runDir, preset, store, mobilenet, opts);
  for (const p of plans)
    await store.refuseChanged(p.stage, { settings: p.settings, inputs: {} }, { caller: "reproduce", only: "settings" });
  const stages: ReproduceResult["stages"] = [];
  for (const [i, plan] of plans.entries()) {
    const started = Date.now();
    const key: StageKey = { settings: plan.settings, inputs: await plan.inputs(), upstream: await plan.upstream?.() };
    const label = `[reproduce] stage ${i + 1}/${plans.length} ${plan.stage}`;
    if (await store.isDone(plan.stage, key)) {
      sink.line(`${label}: already done with these settings and data, skipped`);
      stages.push({ stage: plan.stage, seconds: 0, skipped: true });
      continue;
    }
    await store.refuseChanged(plan.stage, key, { caller: "reproduce" });
    sink.line(`${label}: running (${formatSeconds(elapsed(stages))} so far)`);
    const done = await plan.run();
    const seconds = (Date.now() - started) / 1000;
    const record: StageRecord = {
      stage: plan.stage,
      key,
      startedAt: new Date(started).toISOString(),
      seconds,
      files: await store.hashes(done.files),
      outputs: done.outputs ?? {},
    };
    await store.write(record);
    sink.line(`${label}: done in ${formatSeconds(seconds)}`);
    stages.push({ stage: plan.stage, seconds, skipped: false });
    await opts.afterStage?.(plan.stage);
  }
  sink.end?.();
  log(`[reproduce] report → ${join(runDir, "report", "index.html")}`);
  return { runDir, reportDir: join(runDir, "report"), stages };
}

const elapsed = (stages: ReproduceResult["stages"]) => stages.reduce((s, x) => s + x.seconds, 0);

// The preset with the command line's sizes and epochs.
function reproducePreset(opts: ReproduceOptions): Preset {
  const preset =
    typeof opts.preset === "object" ? structuredClone(opts.preset) : resolvePreset(opts.preset ?? "reference");
  const size = opts.size;
  preset.cnn = { ...preset.cnn, inputSize: size ?? preset.cnn.inputSize, epochs: opts.cnnEpochs ?? preset.cnn.epochs };
  preset.resnet = {
    ...preset.resnet,
    inputSize: opts.resnetSize ?? size ?? preset.resnet.inputSize,
    headEpochs: opts.headEpochs ?? preset.resnet.headEpochs,
    fineTuneEpochs: opts.fineTuneEpochs ?? preset.resnet.fineTuneEpochs,
    headAugmentViews: opts.headViews ?? preset.resnet.headAugmentViews,
  };
  if (opts.nBoot !== undefined) preset.bootstrap = opts.nBoot;
  return preset;
}

// A folder that holds files but no stage records is not a reproduce run: never write into it.
function refuseForeignFolder(runDir: string): void {
  if (!existsSync(runDir)) return;
  const files = readdirSync(runDir);
  if (files.length === 0 || files.includes("stages")) return;
  throw new Error(
    `reproduce: ${runDir} holds files (${files.slice(0, 4).join(", ")}) but no stages/ folder: it is not a reproduce run. Pass another --out NAME. Received: ${runDir}`,
  );
}

// Every stage of the run, in order.
function stagePlans(
  runDir: string,
  preset: Preset,
  store: StageStore,
  mobilenet: MobileNetStage,
  opts: ReproduceOptions,
): StagePlan[] {
  const log = opts.log ?? console.log;
  const dataDir = opts.dataDir ? resolve(opts.dataDir) : undefined;
  const scoring = { tta: opts.tta ?? true, ensemble: opts.ensemble ?? true, nBoot: preset.bootstrap };
  const names: ReproduceModel["name"][] = ["cnn4", "resnet50", ...(mobilenet.include ? ["mobilenetv2" as const] : [])];
  const models: ReproduceModel[] = names.map((name) => ({ name, runDir: join(runDir, name) }));
  const output = async (stage: string, key: string) => String((await store.read(stage))?.outputs[key]);
  const modelHash = async (name: string) => JSON.stringify((await store.read(name))?.files);
  const train = { preset, runsRoot: runDir, dataDir, progress: opts.progress, log };
  const resultsFile = (tag: string) => join("results", `${tag}.json`);
  const externals = (opts.externals ?? []).map((dir) => ({ dir: resolve(dir), tag: basename(resolve(dir)) }));
  // The stages before the report, whose records it reads.
  const earlier = ["split", ...names, "internal", ...externals.map((e) => `external-${e.tag}`)];
  // The split is made once per call (the trainings make the same one again from the same data and seed).
  let made: ReturnType<typeof prepareRunData> | undefined;
  const split = () => (made ??= prepareRunData(preset, { dataDir, log }));
  const plans: StagePlan[] = [
    {
      stage: "split",
      settings: { dataDir, preset: preset.name, split: preset.split },
      inputs: async () => ({ split: (await split()).runData.csvSha256 }),
      run: async () => {
        const { runData } = await split();
        return { files: [], outputs: { csvSha256: runData.csvSha256, runData } };
      },
    },
    {
      stage: "cnn4",
      settings: { cnn: preset.cnn },
      inputs: async () => ({ split: await output("split", "csvSha256") }),
      run: async () => {
        const resume = existsSync(join(runDir, "cnn4", "manifest.json"));
        const r = await trainCnnRun({ ...train, name: "cnn4", resume });
        return { files: modelFiles(runDir, "cnn4"), outputs: { seconds: r.seconds, engine: r.history.engine } };
      },
    },
    {
      stage: "resnet50",
      settings: { resnet: preset.resnet },
      inputs: async () => ({ split: await output("split", "csvSha256") }),
      run: async () => {
        const resume = existsSync(join(runDir, "resnet50", "manifest.json"));
        const r = await trainResNetRun({ ...train, name: "resnet50", resume });
        return { files: modelFiles(runDir, "resnet50"), outputs: { seconds: r.seconds } };
      },
    },
    ...(mobilenet.include ? [mobileNetPlan(runDir, mobilenet, train, output)] : []),
    {
      stage: "internal",
      settings: scoring,
      inputs: async () => ({ split: await output("split", "csvSha256") }),
      // the models scored: adding or retraining one reruns the scoring
      upstream: async () => Object.fromEntries(await Promise.all(names.map(async (n) => [n, await modelHash(n)]))),
      run: async () => {
        const rows = await scoreInternal(models, { ...scoring, log });
        await writeResults(runDir, resultsFile("internal"), rows);
        return { files: [resultsFile("internal")] };
      },
    },
    ...externals.map(({ dir, tag }): StagePlan => ({
      stage: `external-${tag}`,
      settings: { ...scoring, dataDir: dir },
      inputs: async () => ({ data: await folderDataHash(dir) }),
      upstream: async () => ({ internal: JSON.stringify((await store.read("internal"))?.files) }),
      run: async () => {
        const rows = await scoreExternal(models, dir, tag, { ...scoring, log });
        await writeResults(runDir, resultsFile(`external-${tag}`), rows);
        const overlap = await externalOverlap(dir, models[0]!.runDir);
        if (Object.values(overlap).some((n) => n > 0))
          log(
            `[reproduce] ${dir}: test/ images also in this run's split (same bytes or name): ${JSON.stringify(overlap)}; not an independent test set`,
          );
        return { files: [resultsFile(`external-${tag}`)], outputs: { overlap } };
      },
    })),
    {
      stage: "report",
      settings: { reportVersion: 1 },
      inputs: async () => ({}),
      upstream: async () => ({
        ...Object.fromEntries(
          await Promise.all(earlier.map(async (n) => [n, JSON.stringify((await store.read(n))?.key)])),
        ),
        ...(mobilenet.include ? {} : { mobilenetv2: mobilenet.skipped }),
      }),
      run: async () => {
        const files = await writeReproduceReport({
          runDir,
          store,
          models: names,
          notes: mobilenet.include ? [] : [mobilenet.skipped],
          externals: externals.map((e) => e.tag),
          copyTo: reportCopyDir(opts),
          replace: opts.replaceReport,
          log,
        });
        const records = await Promise.all(earlier.map((n) => store.read(n)));
        await writeRunManifest(runDir, {
          kind: "reproduce",
          model: names.join("+"),
          preset: preset.name,
          settings: { preset, scoring, dataDir, externals },
          data: records[0]?.outputs.runData as RunData | undefined,
          stages: Object.fromEntries(
            records.map((r, i) => [earlier[i], { seconds: r?.seconds, inputs: r?.key.inputs }]),
          ),
        });
        return { files };
      },
    },
  ];
  return plans;
}

// The copy of the report: the option, else outputs/report of the project.
function reportCopyDir(opts: ReproduceOptions): string | undefined {
  if (opts.reportCopy === false) return undefined;
  return opts.reportCopy ?? join(findProjectRoot(), "outputs", "report");
}

// The rows of one scored set, as the report stage reads them.
async function writeResults(runDir: string, file: string, rows: unknown[]): Promise<void> {
  await mkdir(join(runDir, "results"), { recursive: true });
  await writeFileAtomic(join(runDir, file), JSON.stringify(rows) + "\n");
}

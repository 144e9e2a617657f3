/** What the reproduce stages write besides models: data hashes of external folders, and the report with its copy. */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { copyFile, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { hashRecords, scanDataset } from "../data/scan";
import { plotlyBundlePath } from "../plots/bundle";
import { readRunManifest } from "../runs/manifest";
import { readRunSplit } from "../runs/split";
import { formatSeconds } from "../train/progress";
import { REPORT_PLOTLY_FILE, reportHtml, reportMarkdown, type ReportInput } from "../report/render";
import type { ModelResult } from "../report/results";
import type { StageStore } from "./reproduceStages";

/**
 * SHA-256 over the sorted `file,sha256` lines of every image under a Kaggle-layout folder: its data hash.
 * @example
 * await folderDataHash("/data/chest_xray_test"); // 64 hex digits
 */
export async function folderDataHash(dir: string): Promise<string> {
  const { records } = await scanDataset(dir, { allowSingleClass: true });
  await hashRecords(records);
  const lines = records.map((r) => `${r.file},${r.sha256}`).sort();
  return createHash("sha256").update(lines.join("\n")).digest("hex");
}

/**
 * How many images of an external folder's test/ are also in the run's own split (same bytes, or same label and file
 * name: a resized copy keeps its Kaggle name), per split:
 * an "external" folder that shares files with training is not independent, and the report says so.
 * @example
 * await externalOverlap("/data/other", runDir); // { train: 12, val: 0, test: 3 }
 */
export async function externalOverlap(dir: string, runDir: string): Promise<Record<string, number>> {
  const { records } = await scanDataset(dir, { allowSingleClass: true });
  const test = records.filter((r) => r.split === "test");
  await hashRecords(test);
  const ours = await readRunSplit(runDir, (await readRunManifest(runDir)).data);
  // By bytes, and by label and file name (the Kaggle names are unique per image; a resized copy keeps its name).
  const nameOf = (r: { label: string; file: string }) => `${r.label}/${r.file.split("/").pop()}`;
  const splitOf = new Map<string, string>();
  for (const r of ours.records) {
    splitOf.set(nameOf(r), r.split);
    if (r.sha256) splitOf.set(r.sha256, r.split);
  }
  const out: Record<string, number> = { train: 0, val: 0, test: 0 };
  for (const r of test) {
    const where = splitOf.get(r.sha256!) ?? splitOf.get(nameOf(r));
    if (where) out[where] = (out[where] ?? 0) + 1;
  }
  return out;
}

/** Options of `writeReproduceReport`. */
export interface ReproduceReportOptions {
  runDir: string;
  store: StageStore;
  /** External folder tags, in stage order. */
  externals: string[];
  /** The model stages of the run, in stage order; default cnn4 and resnet50. */
  models?: string[];
  /** Lines shown under the title (a model left out, and why). */
  notes?: string[];
  /** Folder that also gets a copy (outputs/report); undefined: none. */
  copyTo?: string;
  /** Replace a copy that belongs to another run. */
  replace?: boolean;
  log: (line: string) => void;
}

/** The marker in a report copy that names the run it came from. */
const SOURCE_FILE = "source.json";
const REPORT_FILES = ["index.html", "report.md", REPORT_PLOTLY_FILE] as const;

/**
 * Render the report of a reproduce run into `<run>/report/` and copy it to `copyTo` unless that folder holds the
 * report of another run (kept, and a line says so, unless `replace`). Returns the files written, relative to the run.
 * @example
 * const files = await writeReproduceReport({ runDir, store, externals: [], copyTo: "outputs/report", log });
 */
export async function writeReproduceReport(opts: ReproduceReportOptions): Promise<string[]> {
  const input = await reportInput(opts);
  const dir = join(opts.runDir, "report");
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "index.html"), reportHtml(input));
  await writeFile(join(dir, "report.md"), reportMarkdown(input));
  await copyFile(plotlyBundlePath(), join(dir, REPORT_PLOTLY_FILE));
  if (opts.copyTo) await copyReport(dir, opts);
  return REPORT_FILES.map((f) => join("report", f));
}

// Copy the report unless the destination belongs to another run.
async function copyReport(dir: string, opts: ReproduceReportOptions): Promise<void> {
  const to = opts.copyTo!;
  const marker = join(to, SOURCE_FILE);
  const owner = existsSync(marker)
    ? (JSON.parse(await readFile(marker, "utf8")) as { runDir?: string }).runDir
    : undefined;
  const foreign = existsSync(join(to, "index.html")) && owner !== opts.runDir;
  if (foreign && !opts.replace) {
    opts.log(
      `[reproduce] ${to} holds the report of ${owner ?? "another run"}: kept; this run's report is in ${dir} (--replace-report to copy it there)`,
    );
    return;
  }
  await rm(to, { recursive: true, force: true });
  await mkdir(to, { recursive: true });
  for (const f of REPORT_FILES) await copyFile(join(dir, f), join(to, f));
  await writeFile(marker, JSON.stringify({ runDir: opts.runDir, copiedAt: new Date().toISOString() }, null, 2) + "\n");
  opts.log(`[reproduce] report copied to ${to}`);
}

// The report's input from the stage records, the results files and the two runs' manifests.
async function reportInput(opts: ReproduceReportOptions): Promise<ReportInput> {
  const { runDir, store } = opts;
  const read = async (file: string) => JSON.parse(await readFile(join(runDir, file), "utf8")) as ModelResult[];
  const sets = [{ set: "internal test", rows: await read("results/internal.json") }];
  for (const tag of opts.externals) {
    const overlap = (await store.read(`external-${tag}`))?.outputs.overlap as Record<string, number> | undefined;
    const shared = overlap ? Object.values(overlap).reduce((a, b) => a + b, 0) : 0;
    const note =
      shared > 0 ? ` (NOT independent: ${shared} images also in this run's split ${JSON.stringify(overlap)})` : "";
    sets.push({ set: `external ${tag}${note}`, rows: await read(`results/external-${tag}.json`) });
  }
  const split = (await store.read("split"))?.outputs.runData as Record<string, unknown> | undefined;
  const run: [string, string][] = [
    ["run folder", runDir],
    ["data root", String(split?.dataRoot)],
    [
      "split",
      `${split?.strategy} (asked: ${split?.strategyChoice}), seed ${split?.seed}, grouped by patient: ${split?.groupByPatient}`,
    ],
    ["split counts", JSON.stringify(split?.counts)],
    ["split manifest SHA-256", String(split?.csvSha256)],
  ];
  for (const tag of opts.externals) {
    const rec = await store.read(`external-${tag}`);
    run.push([`external ${tag}`, `${rec?.key.settings.dataDir} (data SHA-256 ${rec?.key.inputs.data})`]);
  }
  const models = opts.models ?? ["cnn4", "resnet50"];
  for (const model of models) {
    const m = await readRunManifest(join(runDir, model));
    const engine =
      model === "resnet50"
        ? `features: ${m.settings.featureEngine}`
        : `training steps: ${JSON.stringify(m.trainEngine ?? "tfjs")}`;
    run.push([
      `${model} backend`,
      `${m.backend?.choice} / ${m.backend?.tfBackend}; ${engine}; tfjs ${m.versions["@tensorflow/tfjs"]}`,
    ]);
    run.push([`${model} settings`, JSON.stringify(m.settings)]);
  }
  const internal = await store.read("internal");
  run.push(["scoring options", JSON.stringify(internal?.key.settings)]);
  for (const note of opts.notes ?? []) run.push(["left out", note]);
  for (const stage of ["split", ...models, "internal", ...opts.externals.map((t) => `external-${t}`)]) {
    const rec = await store.read(stage);
    run.push([
      `wall time: ${stage}`,
      rec ? `${formatSeconds(rec.seconds)} (${rec.seconds.toFixed(1)} s, started ${rec.startedAt})` : "not run",
    ]);
  }
  run.push(["report written", `${new Date().toISOString()} from ${relative(process.cwd(), runDir) || "."}`]);
  return { title: "pneumo-lab: the reference experiment, reproduced", notes: opts.notes, sets, run };
}

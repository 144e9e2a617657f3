import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { parseCsv, toCsv } from "./csv";
import type { SplitRecord } from "./split";
import { LABELS, SPLITS, type Label, type Split, type Subtype } from "./types";

/** Columns of a split manifest CSV, in order. */
export const MANIFEST_COLUMNS = ["file", "split", "source_split", "label", "patient_id", "subtype", "sha256"] as const;

/** What made a split: stored as JSON beside the CSV (`<name>.json`). */
export interface SplitManifestMeta {
  strategy: string;
  seed: number;
  groupByPatient: boolean;
  fractions: Partial<Record<Split, number>>;
  dataRoot: string;
  createdAt: string;
  counts: Record<string, Record<string, number>>;
  /** SHA-256 of the CSV text: the data manifest hash that runs record. */
  csvSha256: string;
}

export interface SplitManifest {
  records: SplitRecord[];
  meta: SplitManifestMeta;
  csvPath: string;
}

/** Path of the JSON sidecar of a manifest CSV. */
export function manifestMetaPath(csvPath: string): string {
  return csvPath.replace(/\.csv$/i, "") + ".json";
}

/**
 * Write a split manifest: one CSV row per image (paths relative to the data root) plus a JSON sidecar.
 * @example
 * await writeSplitManifest("outputs/splits/train-val-seed42.csv", records, { strategy: "train-val", seed: 42, … });
 */
export async function writeSplitManifest(
  csvPath: string,
  records: readonly SplitRecord[],
  meta: Omit<SplitManifestMeta, "csvSha256" | "createdAt" | "counts">,
): Promise<SplitManifest> {
  const rows = [
    [...MANIFEST_COLUMNS],
    ...records.map((r) => [r.file, r.split, r.sourceSplit, r.label, r.patientId, r.subtype, r.sha256 ?? ""]),
  ];
  const text = toCsv(rows);
  const counts: SplitManifestMeta["counts"] = {};
  for (const split of SPLITS) {
    const mine = records.filter((r) => r.split === split);
    if (mine.length > 0) counts[split] = Object.fromEntries(LABELS.map((l) => [l, mine.filter((r) => r.label === l).length]));
  }
  const full: SplitManifestMeta = { ...meta, createdAt: new Date().toISOString(), counts, csvSha256: sha256Text(text) };
  await mkdir(dirname(csvPath), { recursive: true });
  await writeFile(csvPath, text);
  await writeFile(manifestMetaPath(csvPath), JSON.stringify(full, null, 2) + "\n");
  return { records: records.slice(), meta: full, csvPath };
}

/** The hash a split manifest must have, and where that hash was recorded (named in the error). */
export interface ExpectedSha256 {
  sha256: string;
  /** What recorded it, e.g. "outputs/runs/A/manifest.json". */
  recordedIn: string;
}

/**
 * Check that a split manifest's CSV text has the SHA-256 a run recorded; a mismatch names the file and both hashes,
 * since a run scored on a changed split would report numbers of other images.
 * @example
 * checkManifestSha256("outputs/runs/A/split.csv", text, {
 *   sha256: "a4494…", recordedIn: "outputs/runs/A/manifest.json",
 * });
 */
export function checkManifestSha256(csvPath: string, text: string, expected: ExpectedSha256): void {
  const actual = sha256Text(text);
  if (actual === expected.sha256) return;
  throw new Error(
    `checkManifestSha256: the split manifest ${csvPath} has SHA-256 ${actual}, ` +
      `but ${expected.recordedIn} records ${expected.sha256}; the file changed after the run was made, ` +
      `so its results would come from other data. Restore the file or train the run again. ` +
      `Received: ${actual}, expected ${expected.sha256}`,
  );
}

/**
 * Read a split manifest back. Paths resolve against `dataRoot` (default: the root recorded in the sidecar);
 * every listed file must exist there. With `expect`, the CSV must have that SHA-256 (see `checkManifestSha256`).
 * @example
 * const { records, meta } = await readSplitManifest("outputs/splits/train-val-seed42.csv");
 */
export async function readSplitManifest(
  csvPath: string,
  opts: { dataRoot?: string; expect?: ExpectedSha256 } = {},
): Promise<SplitManifest> {
  if (!existsSync(csvPath)) {
    throw new Error(`readSplitManifest: ${csvPath} does not exist. Write one with \`npm run split\` or makeSplit(). Received: ${csvPath}`);
  }
  const text = await readFile(csvPath, "utf8");
  if (opts.expect) checkManifestSha256(csvPath, text, opts.expect);
  const metaPath = manifestMetaPath(csvPath);
  const stored = existsSync(metaPath) ? (JSON.parse(await readFile(metaPath, "utf8")) as SplitManifestMeta) : undefined;
  const dataRoot = opts.dataRoot ?? stored?.dataRoot;
  if (!dataRoot) {
    throw new Error(`readSplitManifest: ${metaPath} is missing, so the data root is unknown. Pass { dataRoot }. Received: ${csvPath}`);
  }
  const [header, ...rows] = parseCsv(text);
  if (header?.join(",") !== MANIFEST_COLUMNS.join(",")) {
    throw new Error(`readSplitManifest: ${csvPath} does not start with the header ${MANIFEST_COLUMNS.join(",")}. Received: ${header?.join(",")}`);
  }
  const records = rows.map((row, i) => parseRow(row, i + 2, csvPath, dataRoot));
  const missing = records.filter((r) => !existsSync(r.path));
  if (missing.length > 0) {
    throw new Error(
      `readSplitManifest: ${missing.length} file(s) listed in ${csvPath} are missing under ${dataRoot} (first: ${missing[0].path}). ` +
        `Pass the data root the manifest was made from ({ dataRoot } or PNEUMO_DATA), or write a new manifest. Received: ${dataRoot}`,
    );
  }
  const csvSha256 = sha256Text(text);
  const meta: SplitManifestMeta = stored
    ? { ...stored, dataRoot, csvSha256 }
    : { strategy: "unknown", seed: NaN, groupByPatient: true, fractions: {}, dataRoot, createdAt: "", counts: {}, csvSha256 };
  return { records, meta, csvPath };
}

// One CSV row to a record, with a message naming the line when a value is off.
function parseRow(row: string[], line: number, csvPath: string, dataRoot: string): SplitRecord {
  const [file, split, sourceSplit, label, patientId, subtype, sha256] = row;
  const bad =
    row.length !== MANIFEST_COLUMNS.length ? `${row.length} fields instead of ${MANIFEST_COLUMNS.length}`
    : !SPLITS.includes(split as Split) || !SPLITS.includes(sourceSplit as Split) ? `split '${split}'/'${sourceSplit}'`
    : !LABELS.includes(label as Label) ? `label '${label}'`
    : undefined;
  if (bad) throw new Error(`readSplitManifest: ${csvPath} line ${line} is malformed (${bad}). Fix or rewrite the manifest. Received: ${row.join(",")}`);
  return {
    path: join(dataRoot, file),
    file,
    split: split as Split,
    sourceSplit: sourceSplit as Split,
    label: label as Label,
    patientId,
    subtype: subtype as Subtype,
    ...(sha256 ? { sha256 } : {}),
  };
}

// Hex SHA-256 of a string.
function sha256Text(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

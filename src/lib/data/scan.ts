import { createHash } from "node:crypto";
import { existsSync, readdirSync, readlinkSync, statSync, type Stats } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parsePatientId } from "./patient";
import { LABELS, SPLITS, type ImageRecord, type Label, type Split } from "./types";

/** File endings that are read as images. */
export const IMAGE_EXTENSIONS = [".jpeg", ".jpg", ".png"];

/** A data folder that does not have the Kaggle layout, or a file that cannot be used. */
export class DataLayoutError extends Error {
  constructor(message: string, readonly path: string) {
    super(message);
    this.name = "DataLayoutError";
  }
}

export interface ScanOptions {
  /** Splits to read when present (default all of train, val, test). */
  splits?: readonly Split[];
  /** Compute the SHA-256 of every file (needed for the duplicate part of the leakage report). Default false. */
  hash?: boolean;
  /** Make warnings (non-image or empty files) fatal. Default false. */
  strict?: boolean;
  /** Accept a split that holds only one class (e.g. a folder of pneumonia cases to score). Default false. */
  allowSingleClass?: boolean;
}

export interface ScanResult {
  root: string;
  records: ImageRecord[];
  /** Files that were skipped, each with the reason. */
  warnings: { file: string; reason: string }[];
}

/**
 * Scan a Kaggle-layout folder `{train,val,test}/{NORMAL,PNEUMONIA}/*` into typed records, sorted by path.
 * @example
 * const { records } = await scanDataset("data/sample/chest_xray", { hash: true });
 * records[0]; // {path, file: "train/NORMAL/IM-0115-0001.jpeg", split: "train", label: "NORMAL", patientId: "IM-0115", subtype: "normal", sha256}
 */
export async function scanDataset(root: string, opts: ScanOptions = {}): Promise<ScanResult> {
  const wanted = opts.splits ?? SPLITS;
  if (!existsSync(root) || !statSync(root).isDirectory()) {
    throw new DataLayoutError(
      `scanDataset: data folder ${root} does not exist. Put the Kaggle download there (train/NORMAL, train/PNEUMONIA, …) ` +
        `or pass another folder / set PNEUMO_DATA. Received: ${root}`,
      root,
    );
  }
  const present = wanted.filter((s) => existsSync(join(root, s)));
  if (present.length === 0) throw layoutError(root, wanted);
  const records: ImageRecord[] = [];
  const warnings: ScanResult["warnings"] = [];
  for (const split of present) {
    records.push(...scanSplit(root, split, warnings, opts.allowSingleClass ?? false));
  }
  if (opts.strict && warnings.length > 0) {
    const w = warnings[0];
    throw new DataLayoutError(
      `scanDataset: ${w.file}: ${w.reason} (strict mode; ${warnings.length} such file(s)). Remove or replace it. Received: ${w.file}`,
      w.file,
    );
  }
  for (const w of warnings) console.warn(`scanDataset: skipped ${w.file}: ${w.reason}`);
  if (opts.hash) await hashRecords(records);
  return { root, records, warnings };
}

// Records of one split folder; non-image and empty files go to `warnings`.
function scanSplit(root: string, split: Split, warnings: ScanResult["warnings"], allowSingleClass: boolean): ImageRecord[] {
  const splitDir = join(root, split);
  const out: ImageRecord[] = [];
  const counts: Record<Label, number> = { NORMAL: 0, PNEUMONIA: 0 };
  for (const label of LABELS) {
    const dir = join(splitDir, label);
    if (!existsSync(dir)) {
      const found = readdirSync(splitDir).join(", ") || "nothing";
      throw new DataLayoutError(
        `scanDataset: ${dir} is missing. Each split folder needs NORMAL/ and PNEUMONIA/ subfolders (found: ${found}). Received: ${splitDir}`,
        dir,
      );
    }
    for (const name of readdirSync(dir).sort()) {
      if (name.startsWith(".")) continue;
      const path = join(dir, name);
      const file = `${split}/${label}/${name}`;
      const stat = statEntry(path);
      if ("reason" in stat) {
        warnings.push({ file, reason: stat.reason });
      } else if (stat.isDirectory()) {
        warnings.push({ file, reason: "a folder inside a class folder (images must sit directly in NORMAL/ or PNEUMONIA/)" });
      } else if (!IMAGE_EXTENSIONS.some((ext) => name.toLowerCase().endsWith(ext))) {
        warnings.push({ file, reason: `not an image file (expected ${IMAGE_EXTENSIONS.join(", ")})` });
      } else if (stat.size === 0) {
        warnings.push({ file, reason: "empty file (0 bytes)" });
      } else {
        out.push({ path, file, split, label, ...pickPatient(name, label) });
        counts[label]++;
      }
    }
  }
  const missing = LABELS.filter((l) => counts[l] === 0);
  if (missing.length === 2) {
    throw new DataLayoutError(`scanDataset: ${splitDir} holds no images. Add images or remove the empty folder. Received: ${splitDir}`, splitDir);
  }
  if (missing.length === 1 && !allowSingleClass) {
    throw new DataLayoutError(
      `scanDataset: split '${split}' has only ${LABELS.find((l) => l !== missing[0])} images: ${join(splitDir, missing[0])} is empty. ` +
        `A classifier needs both classes; add images there, or, to only score them, pass allowSingleClass: true ` +
        `(command line: npm run evaluate -- --data DIR --allow-single-class). Received: ${splitDir}`,
      join(splitDir, missing[0]),
    );
  }
  return out;
}

// The entry's stat (following symlinks), or why it cannot be used: a link that loops or points nowhere, say.
function statEntry(path: string): Stats | { reason: string } {
  try {
    return statSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const fix = "replace it with the image itself or remove it";
    const target = linkTarget(path);
    if (code === "ELOOP") return { reason: `a symbolic link that loops (ELOOP, -> ${target}); ${fix}` };
    if (code === "ENOENT") return { reason: `a dangling symbolic link (its target ${target} does not exist); ${fix}` };
    return { reason: `cannot be read (${code ?? String(error)}); check its permissions, ${fix}` };
  }
}

// Where a symlink points, for a message.
function linkTarget(path: string): string {
  try {
    return readlinkSync(path);
  } catch {
    return "?";
  }
}

// Patient id and subtype from the name, without the rule tag.
function pickPatient(name: string, label: Label): Pick<ImageRecord, "patientId" | "subtype"> {
  const { patientId, subtype } = parsePatientId(name, label);
  return { patientId, subtype };
}

// The error for a folder without split folders, with a hint when the layout is one level down.
function layoutError(root: string, wanted: readonly Split[]): DataLayoutError {
  const entries = readdirSync(root);
  const nested = entries.find((e) => existsSync(join(root, e, "train")) || existsSync(join(root, e, "test")));
  const hint = nested ? ` It looks like the data is one level down: use ${join(root, nested)}.` : "";
  const flat = entries.some((e) => LABELS.includes(e as Label))
    ? " It holds NORMAL/PNEUMONIA directly: put them inside a train/ (or test/) folder."
    : "";
  return new DataLayoutError(
    `scanDataset: ${root} has none of the split folders ${wanted.join("/")} (found: ${entries.join(", ") || "nothing"}).` +
      `${hint}${flat} Expected the Kaggle layout {train,val,test}/{NORMAL,PNEUMONIA}/*.jpeg. Received: ${root}`,
    root,
  );
}

/** Hex SHA-256 of a file's bytes. */
export async function sha256File(path: string): Promise<string> {
  return createHash("sha256").update(await readFile(path)).digest("hex");
}

/** Fill in `sha256` on every record, a few files at a time. */
export async function hashRecords(records: ImageRecord[], concurrency = 8): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < records.length) {
      const r = records[next++];
      r.sha256 ??= await sha256File(r.path);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/**
 * The stage records of a reproduce run: `<run>/stages/<stage>.json` is written when a stage finishes, with the
 * settings and input hashes it ran on (its key), its wall time and what it produced (file hashes). A later run skips
 * a stage whose record matches and whose outputs are intact, and refuses one that finished on other settings or
 * data, naming each difference, before anything is changed.
 */
import { existsSync, readdirSync } from "node:fs";
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { sha256Hex, writeFileAtomic } from "../train/tensorFiles";
import { RUN_MODEL_DIR } from "./types";

/**
 * What a stage depends on: the settings it was asked for, the hashes of its data (a change of either is refused),
 * and what earlier stages of the run produced (a change there, e.g. a model retrained after its files were
 * damaged, reruns the stage).
 */
export interface StageKey {
  settings: Record<string, unknown>;
  inputs: Record<string, string>;
  upstream?: Record<string, string>;
}

/** A finished stage. */
export interface StageRecord {
  stage: string;
  key: StageKey;
  startedAt: string;
  seconds: number;
  /** Files it wrote (relative to the run folder) and their SHA-256, checked before a skip. */
  files: Record<string, string>;
  /** Anything else downstream stages need (hashes, paths, counts). */
  outputs: Record<string, unknown>;
}

/** A stage of `reproduce`: its name, its settings (checked before anything runs), then its inputs and body. */
export interface StagePlan {
  stage: string;
  settings: Record<string, unknown>;
  inputs: () => Promise<Record<string, string>>;
  /** What earlier stages produced (a change reruns this stage). */
  upstream?: () => Promise<Record<string, string>>;
  run: () => Promise<{ files: string[]; outputs?: Record<string, unknown> }>;
}

/** The files of a run's saved model, relative to the reproduce folder (a model stage's record). */
export function modelFiles(runDir: string, name: string): string[] {
  return readdirSync(join(runDir, name, RUN_MODEL_DIR))
    .sort()
    .map((f) => join(name, RUN_MODEL_DIR, f));
}

/** Folder of the stage records inside a reproduce run. */
export const STAGES_DIR = "stages";

// "64", "{"a":1}", "unset"
function shown(value: unknown): string {
  return value === undefined ? "unset" : typeof value === "object" ? JSON.stringify(value) : String(value);
}

// Nested settings as dotted names ("cnn.epochs"), so a difference names the one value that changed.
function flatten(value: Record<string, unknown>, prefix = ""): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (v !== null && typeof v === "object" && !Array.isArray(v))
      Object.assign(out, flatten(v as Record<string, unknown>, `${prefix}${k}.`));
    else out[`${prefix}${k}`] = v;
  }
  return out;
}

/**
 * The differences between a finished stage's key and the one asked for now, as sentences; empty when equal.
 * `only: "settings"` compares the settings alone (checked for every stage before the run starts).
 * @example
 * keyDifferences(record.key, { settings: { cnnEpochs: 2 }, inputs: {} }, { only: "settings" });
 * // ["it ran with cnnEpochs 1, you asked for 2"] (nested settings by dotted name: "cnn.epochs")
 */
export function keyDifferences(before: StageKey, now: StageKey, opts: { only?: "settings" } = {}): string[] {
  const out: string[] = [];
  const parts = opts.only === "settings" ? (["settings"] as const) : (["settings", "inputs"] as const);
  for (const part of parts) {
    const a = flatten(before[part]),
      b = flatten(now[part]);
    for (const name of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const was = a[name],
        is = b[name];
      if (JSON.stringify(was) === JSON.stringify(is)) continue;
      out.push(
        part === "settings"
          ? `it ran with ${name} ${shown(was)}, you asked for ${shown(is)}`
          : `its input ${name} had hash ${shown(was)}, now ${shown(is)}`,
      );
    }
  }
  return out;
}

/** The SHA-256 of a file, hex. */
export async function fileSha256(path: string): Promise<string> {
  return sha256Hex(new Uint8Array(await readFile(path)));
}

/** Reads, checks and writes the stage records of one reproduce run folder. */
export class StageStore {
  constructor(readonly runDir: string) {}

  /** The record of a finished stage, or undefined. */
  async read(stage: string): Promise<StageRecord | undefined> {
    const path = this.path(stage);
    if (!existsSync(path)) return undefined;
    try {
      return JSON.parse(await readFile(path, "utf8")) as StageRecord;
    } catch (error) {
      throw new Error(
        `StageStore: ${path} is not valid JSON (${(error as Error).message}); delete it to run the stage again. Received: ${path}`,
      );
    }
  }

  /**
   * Throw unless the stage is new or finished with this key (`only: "settings"`: compare settings alone).
   * @example
   * await store.refuseChanged("cnn", key, { caller: "reproduce" });
   */
  async refuseChanged(stage: string, key: StageKey, opts: { caller: string; only?: "settings" }): Promise<void> {
    const record = await this.read(stage);
    if (!record) return;
    const diffs = keyDifferences(record.key, key, { only: opts.only });
    if (diffs.length === 0) return;
    throw new Error(
      `${opts.caller}: stage ${stage} of ${this.runDir} already finished, but ${diffs.join("; ")}. Nothing was changed. ` +
        `Rerun with that stage's settings and data, or start another run (--out NAME), or --force to redo every stage. ` +
        `Received: ${diffs.length} difference(s)`,
    );
  }

  /** True when the stage finished with this key and every file it wrote still has its recorded SHA-256. */
  async isDone(stage: string, key: StageKey): Promise<boolean> {
    const record = await this.read(stage);
    if (!record || keyDifferences(record.key, key).length > 0) return false;
    if (JSON.stringify(record.key.upstream ?? {}) !== JSON.stringify(key.upstream ?? {})) return false;
    for (const [file, sha] of Object.entries(record.files)) {
      const path = join(this.runDir, file);
      if (!existsSync(path) || (await fileSha256(path)) !== sha) return false;
    }
    return true;
  }

  /** Record a finished stage (atomically: a kill leaves either no record or a whole one). */
  async write(record: StageRecord): Promise<void> {
    await mkdir(join(this.runDir, STAGES_DIR), { recursive: true });
    await writeFileAtomic(this.path(record.stage), JSON.stringify(record, null, 2) + "\n");
  }

  /** The SHA-256 of files in the run folder, for a record's `files`. */
  async hashes(files: readonly string[]): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const file of files) out[file] = await fileSha256(join(this.runDir, file));
    return out;
  }

  private path(stage: string): string {
    return join(this.runDir, STAGES_DIR, `${stage}.json`);
  }
}

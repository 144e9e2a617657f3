/**
 * End-of-epoch checkpoints under `runDir/checkpoint/`: model weights, Adam state (slots and β-powers), History,
 * epoch, callback state and the batch counter, all as they are at the end of the epoch (before any `onTrainEnd`
 * puts back best weights), so a resumed or extended run continues bit for bit. Files of epoch e are written
 * first; `latest.json` (atomic rename) then commits them, and older files are removed. A kill at any moment
 * leaves the last committed epoch readable; the temp files it leaves are removed on the next start.
 */
import * as tf from "@tensorflow/tfjs";
import { mkdir, readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { BEST_MODEL_DIR } from "./modelCheckpoint";
import { readAdamBetaPowers, restoreAdamBetaPowers } from "./onnx/adamHost";
import { readTensorPack, writeFileAtomic, writeTensorPack, type PackIndex } from "./tensorFiles";
import type { Callback, History } from "./types";

export const CHECKPOINT_DIR = "checkpoint";
export const CHECKPOINT_FILE = "latest.json";
/** 2: end-of-epoch weights and Adam β-powers. 1 (older): a finished run's weights may be its restored best ones. */
export const CHECKPOINT_VERSION = 2;

/** A file of tensors and its index. */
export interface PackRef {
  file: string;
  index: PackIndex;
}

/** What `latest.json` holds. Shuffle and augmentation seeds derive from `seed + epoch`, so this is the RNG position. */
export interface CheckpointState {
  /** `CHECKPOINT_VERSION` when written now; 1 is still read (see `restoreCheckpoint`'s notes). */
  version: 1 | 2;
  /** Last completed epoch, 0-based. */
  epoch: number;
  epochs: number;
  /** Batches trained so far (CLR clock). */
  iteration: number;
  learningRate: number;
  seed: number;
  /** True once training ended (all epochs, or stopped by a callback): a resume has nothing left to do. */
  finished: boolean;
  history: History;
  callbacks: Record<string, unknown>;
  weights: PackRef;
  optimizer?: PackRef;
  /** Adam's accumulated β-powers (version 2): `setWeights` alone would rebuild them, off in the last bits. */
  adamBetaPowers?: [number, number];
  callbackTensors: Record<string, PackRef>;
  savedAt: string;
}

/** What `writeCheckpoint` needs besides the files it makes. */
export type CheckpointInput = Omit<
  CheckpointState,
  "version" | "weights" | "optimizer" | "adamBetaPowers" | "callbackTensors" | "callbacks" | "savedAt"
>;

/**
 * Write the checkpoint of a completed epoch to `runDir/checkpoint/`, atomically (see the module note).
 * @example
 * await writeCheckpoint(runDir, model, optimizer, callbacks, { epoch, epochs, iteration, learningRate, seed, finished: false, history });
 */
export async function writeCheckpoint(
  runDir: string,
  model: tf.LayersModel,
  optimizer: tf.Optimizer | undefined,
  callbacks: Callback[],
  input: CheckpointInput,
): Promise<CheckpointState> {
  const dir = join(runDir, CHECKPOINT_DIR);
  await mkdir(dir, { recursive: true });
  const tag = `epoch-${String(input.epoch).padStart(4, "0")}`;
  const pack = async (suffix: string, tensors: { name: string; tensor: tf.Tensor }[]): Promise<PackRef> => {
    const file = `${tag}.${suffix}.bin`;
    return { file, index: await writeTensorPack(join(dir, file), tensors) };
  };
  const weights = await pack(
    "weights",
    model.weights.map((w) => ({ name: w.originalName, tensor: w.read() })),
  );
  let optimizerRef: PackRef | undefined;
  if (optimizer) {
    const slots = await optimizer.getWeights();
    optimizerRef = await pack("optimizer", slots);
    tf.dispose(slots.filter((s) => s.name === "iter").map((s) => s.tensor));
  }
  const callbackTensors: Record<string, PackRef> = {};
  const callbackStates: Record<string, unknown> = {};
  for (const cb of callbacks) {
    if (cb.getState) callbackStates[cb.name] = cb.getState();
    const tensors = cb.getTensors?.();
    if (tensors)
      callbackTensors[cb.name] = await pack(
        `cb-${safeName(cb.name)}`,
        tensors.map((tensor, i) => ({ name: String(i), tensor })),
      );
  }
  const state: CheckpointState = {
    version: CHECKPOINT_VERSION,
    ...input,
    callbacks: callbackStates,
    weights,
    optimizer: optimizerRef,
    adamBetaPowers: optimizer && readAdamBetaPowers(optimizer),
    callbackTensors,
    savedAt: new Date().toISOString(),
  };
  await writeFileAtomic(join(dir, CHECKPOINT_FILE), JSON.stringify(state));
  await removeStale(dir, state);
  return state;
}

/**
 * The committed checkpoint of `runDir`, or undefined if there is none (no `latest.json`). An empty, truncated or
 * foreign `latest.json` throws, naming the file and what to do.
 * @example
 * const state = await readCheckpoint(runDir); // state?.epoch: last completed epoch
 */
export async function readCheckpoint(runDir: string): Promise<CheckpointState | undefined> {
  const dir = join(runDir, CHECKPOINT_DIR);
  const file = join(dir, CHECKPOINT_FILE);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if (errorCode(error) === "ENOENT") return undefined;
    throw new Error(`readCheckpoint: cannot read ${file}; ${startOver(dir)} Received: ${(error as Error).message}`);
  }
  let state: CheckpointState;
  try {
    state = JSON.parse(text) as CheckpointState;
  } catch (error) {
    const what = text.trim() ? "truncated or corrupt (not valid JSON)" : "empty";
    throw new Error(
      `readCheckpoint: ${file} is ${what}, e.g. after a kill during a copy or a full disk; ` +
        `${startOver(dir)} Received: ${text.length} bytes, ${(error as Error).message}`,
    );
  }
  if (![1, 2].includes(state?.version) || !Number.isInteger(state.epoch) || typeof state.weights?.file !== "string") {
    throw new Error(
      `readCheckpoint: ${file} is not a checkpoint of version 1 or 2; ${startOver(dir)} ` +
        `Received: ${text.slice(0, 80)}`,
    );
  }
  return state;
}

// What to do about a checkpoint that cannot be read.
function startOver(dir: string): string {
  return `restore the file from a backup, or delete the folder ${dir} to train this run from the start.`;
}

// The `code` of a Node.js system error (ENOENT, …), if it has one.
function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

/**
 * Load a checkpoint's weights into `model`, its Adam state into `optimizer`, and callback state into the
 * callbacks (matched by name). The model must have the same weights (shapes, order) as when it was saved.
 * Returns notes for the log: what an older (version 1) checkpoint cannot restore exactly.
 * @example
 * const state = await readCheckpoint(runDir);
 * const notes = state ? await restoreCheckpoint(runDir, state, model, optimizer, callbacks) : [];
 */
export async function restoreCheckpoint(
  runDir: string,
  state: CheckpointState,
  model: tf.LayersModel,
  optimizer: tf.Optimizer | undefined,
  callbacks: Callback[],
): Promise<string[]> {
  const dir = join(runDir, CHECKPOINT_DIR);
  const notes: string[] = [];
  const weights = await readPack(dir, state.weights);
  const mismatch = model.weights.findIndex(
    (w, i) => !weights[i] || w.shape.join("x") !== weights[i].tensor.shape.join("x"),
  );
  if (mismatch >= 0 || weights.length !== model.weights.length) {
    tf.dispose(weights.map((w) => w.tensor));
    throw new Error(
      `restoreCheckpoint: the model does not match the checkpoint in ${dir}; build the same architecture, or start without resume. ` +
        `Received: ${model.weights.length} weights vs ${weights.length} saved (first mismatch at ${mismatch})`,
    );
  }
  model.setWeights(weights.map((w) => w.tensor));
  tf.dispose(weights.map((w) => w.tensor));
  if (optimizer && state.optimizer) {
    const slots = await readPack(dir, state.optimizer);
    await optimizer.setWeights(slots);
    tf.dispose(slots.map((s) => s.tensor));
    // setWeights rebuilt the β-powers with pow; put back the accumulated ones
    if (state.adamBetaPowers) restoreAdamBetaPowers(optimizer, state.adamBetaPowers);
    else if (readAdamBetaPowers(optimizer)) notes.push(betaPowersNote(dir));
  }
  for (const cb of callbacks) {
    if (cb.setState && cb.name in state.callbacks) cb.setState(state.callbacks[cb.name]);
    const ref = state.callbackTensors[cb.name];
    if (cb.setTensors && ref) cb.setTensors((await readPack(dir, ref)).map((t) => t.tensor));
  }
  await removeStale(dir, state);
  return notes;
}

// The note for a checkpoint written before the β-powers were saved.
function betaPowersNote(dir: string): string {
  return (
    `restoreCheckpoint: ${dir} was written by an older version without Adam's β-powers; they are rebuilt, so ` +
    `the resumed run can differ from an uninterrupted one in the last bits (the next checkpoint saves them)`
  );
}

// A pack the checkpoint names; a missing file is an error naming it and what to do.
async function readPack(dir: string, ref: PackRef): Promise<{ name: string; tensor: tf.Tensor }[]> {
  const path = join(dir, ref.file);
  try {
    return await readTensorPack(path, ref.index);
  } catch (error) {
    if (errorCode(error) !== "ENOENT") throw error;
    throw new Error(
      `restoreCheckpoint: ${path} is missing, though ${join(dir, CHECKPOINT_FILE)} names it; ` +
        `${startOver(dir)} Received: ENOENT`,
    );
  }
}

// Deletes files of the checkpoint folder that the committed state does not name (older epochs, temp files).
async function removeStale(dir: string, state: CheckpointState): Promise<void> {
  const keep = new Set([
    CHECKPOINT_FILE,
    state.weights.file,
    ...(state.optimizer ? [state.optimizer.file] : []),
    ...Object.values(state.callbackTensors).map((r) => r.file),
  ]);
  for (const name of await readdir(dir)) {
    if (!keep.has(name) && !name.startsWith(`${CHECKPOINT_FILE}.tmp`)) await rm(join(dir, name), { force: true });
  }
}

/**
 * Remove the temp files (`<name>.tmp-<pid>-<time>`) that a killed write left in `runDir`, its `checkpoint/` and
 * `best-model/` folders: those of processes no longer running. Returns their paths relative to `runDir`.
 * @example
 * const removed = await removeInterruptedWrites(runDir); // ["checkpoint/latest.json.tmp-4242-1764579000000"]
 */
export async function removeInterruptedWrites(runDir: string): Promise<string[]> {
  const removed: string[] = [];
  for (const sub of ["", CHECKPOINT_DIR, BEST_MODEL_DIR]) {
    const names = (await readdir(join(runDir, sub)).catch(() => [] as string[])).sort();
    for (const name of names) {
      const writer = /\.tmp-(\d+)-\d+$/.exec(name);
      if (!writer || processRunning(Number(writer[1]))) continue;
      await rm(join(runDir, sub, name), { force: true });
      removed.push(sub ? `${sub}/${name}` : name);
    }
  }
  return removed;
}

// Whether a process with this id runs (EPERM: it does, under another user); this process counts as running.
function processRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errorCode(error) === "EPERM";
  }
}

// A callback name made safe for a file name.
function safeName(name: string): string {
  return name.replace(/[^\w.-]/g, "_");
}

/**
 * End-of-epoch checkpoints under `runDir/checkpoint/`: model weights, Adam state, History, epoch, callback
 * state and the batch counter. Files of epoch e are written first; `latest.json` (atomic rename) then commits
 * them, and older files are removed. A kill at any moment leaves the last committed epoch readable.
 */
import * as tf from "@tensorflow/tfjs";
import { mkdir, readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { readTensorPack, writeFileAtomic, writeTensorPack, type PackIndex } from "./tensorFiles";
import type { Callback, History } from "./types";

export const CHECKPOINT_DIR = "checkpoint";
export const CHECKPOINT_FILE = "latest.json";

/** A file of tensors and its index. */
export interface PackRef {
  file: string;
  index: PackIndex;
}

/** What `latest.json` holds. Shuffle and augmentation seeds derive from `seed + epoch`, so this is the RNG position. */
export interface CheckpointState {
  version: 1;
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
  callbackTensors: Record<string, PackRef>;
  savedAt: string;
}

/** What `writeCheckpoint` needs besides the files it makes. */
export type CheckpointInput = Omit<CheckpointState, "version" | "weights" | "optimizer" | "callbackTensors" | "callbacks" | "savedAt">;

/**
 * Write the checkpoint of a completed epoch to `runDir/checkpoint/`, atomically (see the module note).
 * @example
 * await writeCheckpoint(runDir, model, optimizer, callbacks, { epoch, epochs, iteration, learningRate, seed, finished: false, history });
 */
export async function writeCheckpoint(runDir: string, model: tf.LayersModel, optimizer: tf.Optimizer | undefined, callbacks: Callback[], input: CheckpointInput): Promise<CheckpointState> {
  const dir = join(runDir, CHECKPOINT_DIR);
  await mkdir(dir, { recursive: true });
  const tag = `epoch-${String(input.epoch).padStart(4, "0")}`;
  const pack = async (suffix: string, tensors: { name: string; tensor: tf.Tensor }[]): Promise<PackRef> => {
    const file = `${tag}.${suffix}.bin`;
    return { file, index: await writeTensorPack(join(dir, file), tensors) };
  };
  const weights = await pack("weights", model.weights.map((w) => ({ name: w.originalName, tensor: w.read() })));
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
    if (tensors) callbackTensors[cb.name] = await pack(`cb-${safeName(cb.name)}`, tensors.map((tensor, i) => ({ name: String(i), tensor })));
  }
  const state: CheckpointState = { version: 1, ...input, callbacks: callbackStates, weights, optimizer: optimizerRef, callbackTensors, savedAt: new Date().toISOString() };
  await writeFileAtomic(join(dir, CHECKPOINT_FILE), JSON.stringify(state));
  await removeStale(dir, state);
  return state;
}

/**
 * The committed checkpoint of `runDir`, or undefined if there is none.
 * @example
 * const state = await readCheckpoint(runDir); // state?.epoch: last completed epoch
 */
export async function readCheckpoint(runDir: string): Promise<CheckpointState | undefined> {
  let text: string;
  try {
    text = await readFile(join(runDir, CHECKPOINT_DIR, CHECKPOINT_FILE), "utf8");
  } catch {
    return undefined;
  }
  const state = JSON.parse(text) as CheckpointState;
  if (state?.version !== 1 || !Number.isInteger(state.epoch) || !state.weights) {
    throw new Error(`readCheckpoint: ${join(runDir, CHECKPOINT_DIR, CHECKPOINT_FILE)} is not a version-1 checkpoint; delete the folder to start over. Received: ${text.slice(0, 80)}`);
  }
  return state;
}

/**
 * Load a checkpoint's weights into `model`, its Adam state into `optimizer`, and callback state into the
 * callbacks (matched by name). The model must have the same weights (shapes, order) as when it was saved.
 * @example
 * const state = await readCheckpoint(runDir);
 * if (state) await restoreCheckpoint(runDir, state, model, optimizer, callbacks);
 */
export async function restoreCheckpoint(runDir: string, state: CheckpointState, model: tf.LayersModel, optimizer: tf.Optimizer | undefined, callbacks: Callback[]): Promise<void> {
  const dir = join(runDir, CHECKPOINT_DIR);
  const weights = await readTensorPack(join(dir, state.weights.file), state.weights.index);
  const mismatch = model.weights.findIndex((w, i) => !weights[i] || w.shape.join("x") !== weights[i].tensor.shape.join("x"));
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
    const slots = await readTensorPack(join(dir, state.optimizer.file), state.optimizer.index);
    await optimizer.setWeights(slots);
    tf.dispose(slots.map((s) => s.tensor));
  }
  for (const cb of callbacks) {
    if (cb.setState && cb.name in state.callbacks) cb.setState(state.callbacks[cb.name]);
    const ref = state.callbackTensors[cb.name];
    if (cb.setTensors && ref) cb.setTensors((await readTensorPack(join(dir, ref.file), ref.index)).map((t) => t.tensor));
  }
}

// Deletes files of the checkpoint folder that the committed state does not name (older epochs, temp files).
async function removeStale(dir: string, state: CheckpointState): Promise<void> {
  const keep = new Set([CHECKPOINT_FILE, state.weights.file, ...(state.optimizer ? [state.optimizer.file] : []), ...Object.values(state.callbackTensors).map((r) => r.file)]);
  for (const name of await readdir(dir)) {
    if (!keep.has(name) && !name.startsWith(`${CHECKPOINT_FILE}.tmp`)) await rm(join(dir, name), { force: true });
  }
}

// A callback name made safe for a file name.
function safeName(name: string): string {
  return name.replace(/[^\w.-]/g, "_");
}

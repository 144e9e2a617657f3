/** The Keras-like History of a run: per-epoch logs, appended in order and written to `runDir/history.json`. */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "./tensorFiles";
import type { EpochLogs, History } from "./types";

export const HISTORY_FILE = "history.json";

/**
 * An empty History.
 * @example
 * emptyHistory(); // { epoch: [], history: {} }
 */
export function emptyHistory(): History {
  return { epoch: [], history: {} };
}

/**
 * Append the logs of `epoch`; a key first seen now is back-filled with NaN for earlier epochs, so every
 * series stays aligned with `history.epoch`. Throws if `epoch` is already present (each epoch exactly once).
 * @example
 * appendEpoch(h, 0, { loss: 0.7, val_auc: 0.81 }); // h.history.loss → [0.7]
 */
export function appendEpoch(history: History, epoch: number, logs: EpochLogs): History {
  if (history.epoch.includes(epoch)) {
    throw new Error(
      `appendEpoch: epoch ${epoch} is already in the history; resume from the checkpoint instead of re-running it. Received: ${epoch}`,
    );
  }
  const before = history.epoch.length;
  history.epoch.push(epoch);
  for (const key of new Set([...Object.keys(history.history), ...Object.keys(logs)])) {
    const series = (history.history[key] ??= new Array<number>(before).fill(NaN));
    series.push(key in logs ? logs[key] : NaN);
  }
  return history;
}

/**
 * Write `runDir/history.json` atomically (NaN and ±Infinity become null in JSON).
 * @example
 * await writeHistory(runDir, history);
 */
export async function writeHistory(runDir: string, history: History): Promise<void> {
  await writeFileAtomic(join(runDir, HISTORY_FILE), JSON.stringify(history, null, 1));
}

/**
 * Read `runDir/history.json`, turning null back into NaN.
 * @example
 * const h = await readHistory(runDir); h.history.val_auc; // [0.81, 0.86, …]
 */
export async function readHistory(runDir: string): Promise<History> {
  return reviveHistory(JSON.parse(await readFile(join(runDir, HISTORY_FILE), "utf8")));
}

/**
 * A History parsed from JSON, with null values (NaN when written) back as NaN.
 * @example
 * reviveHistory({ epoch: [0], history: { val_precision: [null] } }); // val_precision → [NaN]
 */
export function reviveHistory(parsed: History): History {
  const history: Record<string, number[]> = {};
  for (const [key, values] of Object.entries(parsed.history ?? {}))
    history[key] = values.map((v) => (v === null ? NaN : v));
  return { ...parsed, epoch: parsed.epoch.slice(), history };
}

import * as tf from "@tensorflow/tfjs";
import { describe, expect, it } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { dirname, join, resolve } from "node:path";
import { readFileSync } from "node:fs";
import { earlyStopping, reduceLrOnPlateau } from "../../src/lib/train/callbacks";
import { readCheckpoint } from "../../src/lib/train/checkpoint";
import { modelCheckpoint } from "../../src/lib/train/modelCheckpoint";
import { readHistory } from "../../src/lib/train/history";
import { train } from "../../src/lib/train/train";
import { tempDir } from "../data/helpers";
import { killAndResume, maxWeightDiff, resumeSummary, weightArrays } from "./fixtures/interrupt";
import { separableData, tinyDenseModel } from "./fixtures/tiny";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const CHILD = "test/train/fixtures/resumeChild.ts";
const EPOCHS = 5;

// Starts the child trainer (one node process with the tsx loader, so SIGKILL reaches the trainer itself).
function startChild(
  runDir: string,
  resume: boolean,
): { child: ChildProcess; out: () => string; exited: Promise<number | null> } {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", CHILD, runDir, String(EPOCHS), ...(resume ? ["--resume"] : [])],
    { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
  );
  let text = "";
  child.stdout!.on("data", (chunk) => (text += chunk));
  child.stderr!.on("data", (chunk) => (text += chunk));
  const exited = new Promise<number | null>((done) => child.on("exit", (code) => done(code)));
  return { child, out: () => text, exited };
}

// Polls `check` every 25 ms until it returns a value, or fails after `ms`.
async function waitFor<T>(check: () => Promise<T | undefined> | T | undefined, ms: number, what: string): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const epochsBegun = (text: string): number[] => [...text.matchAll(/EPOCH_BEGIN (\d+)/g)].map((m) => Number(m[1]));

describe("train resume", () => {
  it("continues after a SIGKILL mid-epoch from the next epoch, each epoch in the history exactly once", async () => {
    const runDir = tempDir("train-resume-");
    const first = startChild(runDir, false);
    const committed = await waitFor(
      async () => {
        const state = await readCheckpoint(runDir).catch(() => undefined);
        return state && state.epoch >= 1 ? state.epoch : undefined;
      },
      45_000,
      "a checkpoint of epoch ≥ 1",
    );
    // Kill inside the following epoch: it has begun, and an epoch lasts ≥ 12 batches × 25 ms.
    await waitFor(
      () => (epochsBegun(first.out()).includes(committed + 1) ? true : undefined),
      10_000,
      `epoch ${committed + 1} to begin`,
    );
    await new Promise((r) => setTimeout(r, 100));
    first.child.kill("SIGKILL");
    await first.exited;
    expect(first.out()).not.toContain("DONE");
    const killed = (await readCheckpoint(runDir))!;
    expect(killed.epoch).toBe(committed);
    expect(killed.finished).toBe(false);
    expect(killed.history.epoch).toEqual(Array.from({ length: committed + 1 }, (_, i) => i));

    const second = startChild(runDir, true);
    expect(await second.exited).toBe(0);
    expect(second.out()).toContain("DONE");
    expect(epochsBegun(second.out())[0]).toBe(committed + 1);

    const history = await readHistory(runDir);
    expect(history.epoch).toEqual([0, 1, 2, 3, 4]);
    for (const [key, values] of Object.entries(killed.history.history)) {
      expect(history.history[key].slice(0, committed + 1), key).toEqual(values.map((v) => (v === null ? NaN : v)));
    }
    const final = (await readCheckpoint(runDir))!;
    expect(final).toMatchObject({ epoch: EPOCHS - 1, finished: true, iteration: EPOCHS * 12 });
  }, 60_000);

  it("resumed training matches uninterrupted training exactly (weights, Adam state, shuffle seeds restored)", async () => {
    await tf.setBackend("cpu");
    const data = { train: separableData(24, 3), val: separableData(8, 3, 5) };
    const opts = { batchSize: 4, learningRate: 0.02, progress: false as const };
    const straight = await train(tinyDenseModel(3), data, { ...opts, epochs: 4, runDir: tempDir("train-straight-") });
    const runDir = tempDir("train-split-");
    await train(tinyDenseModel(3), data, { ...opts, epochs: 2, runDir });
    const resumed = await train(tinyDenseModel(3), data, { ...opts, epochs: 4, runDir, resume: true });
    expect(resumed.epoch).toEqual([0, 1, 2, 3]);
    expect(resumed.history.loss).toEqual(straight.history.loss);
    expect(resumed.history.val_loss).toEqual(straight.history.val_loss);
  });

  it("a run killed after 20 Adam steps and resumed equals the straight one bit for bit (TF.js engine)", async () => {
    await tf.setBackend("cpu");
    // 10 batches an epoch: the kill lands after 20 steps, where pow(β₂, 21) and 21 multiplications differ in float32
    const data = { train: separableData(40, 3), val: separableData(8, 3, 5) };
    const opts = { epochs: 3, batchSize: 4, learningRate: 0.02, progress: false as const, engine: "tfjs" as const };
    const straight = tinyDenseModel(3);
    const h1 = await train(straight, data, opts);
    const runDir = tempDir("train-exact-");
    const build = () => tinyDenseModel(3);
    const { model, history: h2 } = await killAndResume({ build, data, opts: { ...opts, runDir }, killAt: 2 });
    const [a, b] = [weightArrays(straight), weightArrays(model)];
    expect(resumeSummary(h2, maxWeightDiff(a, b))).toEqual(resumeSummary(h1, 0));
    expect(b).toEqual(a);
  });

  it("extending a finished run (4 → 6 epochs) goes on from the last epoch, not the best, as 6 straight", async () => {
    await tf.setBackend("cpu");
    const data = { train: separableData(24, 3), val: separableData(8, 3, 5) };
    const opts = { batchSize: 4, learningRate: 0.02, progress: false as const, engine: "tfjs" as const };
    // val_auc reaches 1 early and stays there, so the best epoch is an early one; val_loss plateaus halve the lr
    const callbacks = () => {
      const stopper = earlyStopping({ monitor: "val_auc", patience: 100, restoreBestWeights: true });
      const plateau = reduceLrOnPlateau({ monitor: "val_loss", patience: 1, minDelta: 0.2 });
      return { stopper, list: [stopper, plateau, modelCheckpoint({ monitor: "val_auc" })] };
    };
    const straightDir = tempDir("train-six-");
    const straightCbs = callbacks();
    const straight = tinyDenseModel(3);
    const h6 = await train(straight, data, { ...opts, epochs: 6, runDir: straightDir, callbacks: straightCbs.list });

    const runDir = tempDir("train-four-");
    const firstCbs = callbacks();
    const first = tinyDenseModel(3);
    await train(first, data, { ...opts, epochs: 4, runDir, callbacks: firstCbs.list });
    expect(firstCbs.stopper.bestEpoch()).toBeLessThan(3); // else the restored best would be the last epoch anyway
    const four = weightArrays(first);
    // resuming the finished run without more epochs gives the model it ended with (its best epoch's weights)
    const again = tinyDenseModel(3);
    await train(again, data, { ...opts, epochs: 4, runDir, resume: true, callbacks: callbacks().list });
    expect(weightArrays(again)).toEqual(four);

    const extended = tinyDenseModel(3);
    const h = await train(extended, data, { ...opts, epochs: 6, runDir, resume: true, callbacks: callbacks().list });
    expect(h.epoch).toEqual([0, 1, 2, 3, 4, 5]);
    const { seconds: _a, ...logs } = h.history;
    const { seconds: _b, ...logs6 } = h6.history;
    expect(logs).toEqual(logs6);
    expect(weightArrays(extended)).toEqual(weightArrays(straight));
    const best = (dir: string) => JSON.parse(readFileSync(join(dir, "best-model", "best.json"), "utf8"));
    expect(best(runDir)).toEqual(best(straightDir));
  });

  it("a run EarlyStopping ended stays finished when resumed to more epochs, as a longer run stops there", async () => {
    await tf.setBackend("cpu");
    const data = { train: separableData(24, 3), val: separableData(8, 3, 5) };
    const opts = { batchSize: 4, learningRate: 0.02, engine: "tfjs" as const, progress: false as const };
    const stopper = () => [earlyStopping({ monitor: "val_auc", patience: 1 })]; // val_auc is 1 from epoch 3 on
    const straight = await train(tinyDenseModel(3), data, { ...opts, epochs: 8, callbacks: stopper() });
    const runDir = tempDir("train-stopped-");
    const first = await train(tinyDenseModel(3), data, { ...opts, epochs: 5, runDir, callbacks: stopper() });
    expect(first.stoppedEpoch).toBeLessThan(4);
    const lines: string[] = [];
    const sink = { update: () => undefined, line: (text: string) => void lines.push(text) };
    const more = { ...opts, epochs: 8, runDir, resume: true, progress: sink };
    const resumed = await train(tinyDenseModel(3), data, { ...more, callbacks: stopper() });
    expect(resumed.epoch).toEqual(straight.epoch);
    expect(resumed.history.val_loss).toEqual(straight.history.val_loss);
    const stoppedAfter = first.stoppedEpoch! + 1;
    expect(lines).toContain(`resume: ${runDir} already finished after epoch ${stoppedAfter} (stopped by a callback)`);
  });
});

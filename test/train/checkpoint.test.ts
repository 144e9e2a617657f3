import * as tf from "@tensorflow/tfjs";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHECKPOINT_DIR, CHECKPOINT_FILE, readCheckpoint } from "../../src/lib/train/checkpoint";
import type { ProgressSink } from "../../src/lib/train/progress";
import { train } from "../../src/lib/train/train";
import { tempDir } from "../data/helpers";
import { maxWeightDiff, weightArrays } from "./fixtures/interrupt";
import { separableData, tinyDenseModel } from "./fixtures/tiny";

const DATA = { train: separableData(24, 3), val: separableData(8, 3, 5) };
const OPTS = { batchSize: 4, learningRate: 0.02, engine: "tfjs" as const };
const dirs: string[] = [];

beforeAll(async () => {
  await tf.setBackend("cpu");
});
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

// A sink keeping the lines.
function linesSink(): ProgressSink & { lines: string[] } {
  const lines: string[] = [];
  return { lines, update: () => undefined, line: (text) => void lines.push(text) };
}

// A run folder with the committed checkpoint of `epochs` epochs; returns it and its latest.json path.
async function checkpointedRun(epochs = 1): Promise<{ runDir: string; latest: string }> {
  const runDir = tempDir("pneumo-ckpt-");
  dirs.push(runDir);
  await train(tinyDenseModel(3), DATA, { ...OPTS, epochs, runDir, progress: false });
  return { runDir, latest: join(runDir, CHECKPOINT_DIR, CHECKPOINT_FILE) };
}

// Resume `runDir` to `epochs` in a fresh model, keeping the lines.
async function resume(runDir: string, epochs = 2): Promise<{ lines: string[]; model: tf.LayersModel }> {
  const sink = linesSink();
  const model = tinyDenseModel(3);
  await train(model, DATA, { ...OPTS, epochs, runDir, resume: true, progress: sink });
  return { lines: sink.lines, model };
}

describe("checkpoint errors name the file and what to do", () => {
  it("an empty latest.json", async () => {
    const { runDir, latest } = await checkpointedRun();
    writeFileSync(latest, "");
    await expect(readCheckpoint(runDir)).rejects.toThrow(`readCheckpoint: ${latest} is empty`);
    const folder = join(runDir, CHECKPOINT_DIR);
    await expect(resume(runDir)).rejects.toThrow(new RegExp(`${latest} is empty.*delete the folder ${folder}`));
  });

  it('a truncated latest.json (was: "Unterminated string in JSON at position …" without the file)', async () => {
    const { runDir, latest } = await checkpointedRun();
    const text = readFileSync(latest, "utf8");
    writeFileSync(latest, text.slice(0, Math.floor(text.length / 2)));
    const error = await resume(runDir).then(
      () => undefined,
      (e: Error) => e.message,
    );
    expect(error).toContain(`${latest} is truncated or corrupt (not valid JSON)`);
    expect(error).toContain("restore the file from a backup, or delete the folder");
    expect(error).toMatch(/Received: \d+ bytes, /);
  });

  it("a missing weights file (was: a raw ENOENT)", async () => {
    const { runDir, latest } = await checkpointedRun();
    const weights = join(runDir, CHECKPOINT_DIR, JSON.parse(readFileSync(latest, "utf8")).weights.file);
    rmSync(weights);
    const expected = `restoreCheckpoint: ${weights} is missing, though ${latest} names it; restore the file`;
    await expect(resume(runDir)).rejects.toThrow(expected);
  });
});

describe("resume housekeeping", () => {
  it("removes the temp files a killed write left (latest.json, history, best model), not a live writer's", async () => {
    const { runDir } = await checkpointedRun();
    const dead = spawnSync(process.execPath, ["-e", ""]).pid!; // a process that has exited
    const left = [
      `${CHECKPOINT_DIR}/${CHECKPOINT_FILE}.tmp-${dead}-1764579000000`,
      `history.json.tmp-${dead}-1764579000001`,
      `${CHECKPOINT_DIR}/epoch-0001.weights.bin.tmp-${dead}-1764579000002`,
      `best-model/model.json.tmp-${dead}-1764579000003`,
    ];
    const live = `${CHECKPOINT_DIR}/${CHECKPOINT_FILE}.tmp-${process.pid}-1764579000004`;
    mkdirSync(join(runDir, "best-model"));
    for (const rel of [...left, live]) writeFileSync(join(runDir, rel), '{"torn');
    const { lines } = await resume(runDir);
    expect(left.filter((rel) => existsSync(join(runDir, rel)))).toEqual([]);
    expect(existsSync(join(runDir, live))).toBe(true);
    const listed = [left[1], left[2], left[0], left[3]].join(", "); // folder by folder, names sorted
    expect(lines[0]).toBe(`train: removed 4 temp file(s) of an interrupted run in ${runDir}: ${listed}`);
  });

  it("resume: true without a checkpoint says it starts from scratch, and trains every epoch", async () => {
    const runDir = tempDir("pneumo-ckpt-none-");
    dirs.push(runDir);
    const sink = linesSink();
    const history = await train(tinyDenseModel(3), DATA, { ...OPTS, epochs: 2, runDir, resume: true, progress: sink });
    expect(sink.lines[0]).toMatch(/^train: plan: /); // the engine plan comes first
    expect(sink.lines[1]).toBe(`resume: no checkpoint in ${runDir}; starting from scratch (epoch 1 of 2)`);
    expect(history.epoch).toEqual([0, 1]);
  });

  it("an older (version 1) checkpoint without Adam's β-powers still resumes, noting it is not bit-exact", async () => {
    const { runDir: oldDir, latest } = await checkpointedRun(2);
    const { adamBetaPowers, ...old } = JSON.parse(readFileSync(latest, "utf8"));
    expect(adamBetaPowers).toHaveLength(2);
    writeFileSync(latest, JSON.stringify({ ...old, version: 1, finished: false, epochs: 3 }));
    const { lines, model } = await resume(oldDir, 3);
    expect(lines.find((l) => l.includes("without Adam's β-powers"))).toMatch(/rebuilt, so the resumed run can differ/);
    const { runDir: newDir } = await checkpointedRun(2);
    const exact = await resume(newDir, 3);
    expect(exact.lines.join("\n")).not.toContain("β-powers");
    expect(maxWeightDiff(weightArrays(model), weightArrays(exact.model))).toBeLessThan(1e-4);
    expect((await readCheckpoint(oldDir))!.adamBetaPowers).toHaveLength(2); // the next checkpoint saves them
  });

  it("extending a finished version-1 run notes that it goes on from the weights saved after onTrainEnd", async () => {
    const { runDir, latest } = await checkpointedRun(2);
    const { adamBetaPowers: _, ...old } = JSON.parse(readFileSync(latest, "utf8"));
    writeFileSync(latest, JSON.stringify({ ...old, version: 1 }));
    const { lines } = await resume(runDir, 3);
    const note = `the checkpoint in ${runDir} is of an older version, which saved a finished run's weights after onTrainEnd`;
    expect(lines.join("\n")).toContain(note);
    expect(lines).toContain("resume: continuing after epoch 2 of 3");
  });
});

import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { keyDifferences, StageStore } from "../../src/lib/workflows/reproduceStages";
import { tempDir } from "../data/helpers";

describe("keyDifferences", () => {
  it("names each changed setting by its dotted name, and changed data hashes", () => {
    const before = { settings: { cnn: { epochs: 1, inputSize: 32 } }, inputs: { split: "aa" } };
    expect(
      keyDifferences(before, { settings: { cnn: { epochs: 2, inputSize: 32 } }, inputs: { split: "bb" } }),
    ).toEqual(["it ran with cnn.epochs 1, you asked for 2", "its input split had hash aa, now bb"]);
    expect(
      keyDifferences(before, { settings: before.settings, inputs: { split: "bb" } }, { only: "settings" }),
    ).toEqual([]);
  });
});

describe("StageStore", () => {
  it("skips a stage only while its key matches and its files keep their hashes; refuses changed settings", async () => {
    const dir = tempDir();
    const store = new StageStore(dir);
    await writeFile(join(dir, "out.txt"), "result");
    const key = { settings: { a: 1 }, inputs: { data: "h" }, upstream: { model: "m1" } };
    expect(await store.isDone("s", key)).toBe(false);
    await store.write({
      stage: "s",
      key,
      startedAt: "t",
      seconds: 1,
      files: await store.hashes(["out.txt"]),
      outputs: {},
    });
    expect(existsSync(join(dir, "stages", "s.json"))).toBe(true);
    expect(await store.isDone("s", key)).toBe(true);
    // an upstream change reruns the stage, a settings change is refused
    expect(await store.isDone("s", { ...key, upstream: { model: "m2" } })).toBe(false);
    await expect(
      store.refuseChanged("s", { ...key, upstream: { model: "m2" } }, { caller: "t" }),
    ).resolves.toBeUndefined();
    await expect(store.refuseChanged("s", { ...key, settings: { a: 2 } }, { caller: "reproduce" })).rejects.toThrow(
      /reproduce: stage s of .* already finished, but it ran with a 1, you asked for 2\. Nothing was changed/,
    );
    await writeFile(join(dir, "out.txt"), "damaged");
    expect(await store.isDone("s", key)).toBe(false);
  });
});

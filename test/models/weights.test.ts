import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  requireResNet50Weights,
  resnet50WeightsDir,
  resnet50WeightsStatus,
  WEIGHTS_ENV,
} from "../../src/lib/models/weights";

// A folder with a model.json listing two shards of 2×3 float32 weights each (24 bytes each).
function fakeWeightsDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "pneumo-weights-"));
  const weights = [
    { name: "a/kernel", shape: [2, 3], dtype: "float32" },
    { name: "b/kernel", shape: [2, 3], dtype: "float32" },
  ];
  writeFileSync(
    join(dir, "model.json"),
    JSON.stringify({ weightsManifest: [{ paths: ["s1.bin", "s2.bin"], weights }] }),
  );
  return dir;
}

describe("ResNet50 weights location", () => {
  it("defaults to <project>/.cache/weights/resnet50-imagenet and honours PNEUMO_WEIGHTS_DIR", () => {
    expect(resnet50WeightsDir({ projectRoot: "/p", env: {} })).toBe("/p/.cache/weights/resnet50-imagenet");
    expect(resnet50WeightsDir({ projectRoot: "/p", env: { [WEIGHTS_ENV]: "w/r50" } })).toBe("/p/w/r50");
    expect(resnet50WeightsDir({ projectRoot: "/p", env: { [WEIGHTS_ENV]: "/abs/r50" } })).toBe("/abs/r50");
  });

  it("reports missing and short shards, and completes when bytes add up", () => {
    const dir = fakeWeightsDir();
    expect(resnet50WeightsStatus(dir)).toMatchObject({ complete: false, files: 1, missing: ["s1.bin", "s2.bin"] });
    writeFileSync(join(dir, "s1.bin"), Buffer.alloc(24));
    writeFileSync(join(dir, "s2.bin"), Buffer.alloc(20));
    expect(resnet50WeightsStatus(dir).missing).toEqual(["shards hold 44 bytes, manifest needs 48"]);
    writeFileSync(join(dir, "s2.bin"), Buffer.alloc(24));
    expect(resnet50WeightsStatus(dir)).toMatchObject({ complete: true, files: 3, missing: [] });
    expect(requireResNet50Weights(dir)).toBe(dir);
  });

  it("tells the user to run npm run fetch-weights when the folder is empty", () => {
    const dir = mkdtempSync(join(tmpdir(), "pneumo-weights-"));
    expect(() => requireResNet50Weights(dir)).toThrow(
      /requireResNet50Weights: .*model\.json.*npm run fetch-weights.*PNEUMO_WEIGHTS_DIR.*Received: .*pneumo-weights-/,
    );
  });
});

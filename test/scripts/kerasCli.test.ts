import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { sampleDataRoot } from "../../src/lib/data/roots";
import { tempDir } from "../data/helpers";
import { writeTinyRun } from "../workflows/tinyRun";
import { runScript } from "./runScript";

describe("npm run export -- --format keras|h5, then npm run import", () => {
  it("writes both Keras files (21 weighted cnn4 layers: 8 conv, 10 BN, 3 dense), reads them back identical, refuses to overwrite, and imports the .keras into an evaluated run", async () => {
    const runDir = await writeTinyRun();
    const keras = await runScript("scripts/export-model.ts", ["--run", runDir, "--format", "keras"], 180_000);
    expect(keras.code).toBe(0);
    expect(keras.stdout).toMatch(/model\.keras .*Keras 3 \.keras/);
    expect(keras.stdout).toMatch(
      /read back 21 layers: max \|diff\| vs tfjs on \[4,32,32,1\] random inputs 0\.00e\+0 OK/,
    );
    const h5 = await runScript("scripts/export-model.ts", ["--run", runDir, "--format", "h5", "--check", "2"], 180_000);
    expect(h5.code).toBe(0);
    expect(existsSync(join(runDir, "model.weights.h5"))).toBe(true);
    const again = await runScript("scripts/export-model.ts", ["--run", runDir, "--format", "h5", "--check", "0"]);
    expect(again.code).not.toBe(0);
    expect(again.stderr.join("\n")).toMatch(/model\.weights\.h5 exists; pass --force/);

    process.env.PNEUMO_RUNS = join(tempDir(), "runs");
    const imported = await runScript(
      "scripts/import-model.ts",
      [join(runDir, "model.keras"), "--arch", "cnn4", "--data", sampleDataRoot(), "--out", "from-keras"],
      240_000,
    );
    expect(imported.code).toBe(0);
    expect(imported.stdout).toMatch(/imported 21 layers → .*from-keras/);
    expect(imported.stdout).toMatch(/AUC/);
  }, 600_000);

  it("refuses an unknown format and an unknown arch, naming them", async () => {
    const bad = await runScript("scripts/export-model.ts", ["--model-dir", "/nonexistent", "--format", "tflite"]);
    expect(bad.stderr.join("\n")).toMatch(/--format must be onnx, keras or h5. Received: tflite/);
    const arch = await runScript("scripts/import-model.ts", ["x.h5", "--arch", "vgg16"]);
    expect(arch.stderr.join("\n")).toMatch(/--arch must be cnn4, resnet50, mobilenetv2 .*Received: vgg16/);
  });
});

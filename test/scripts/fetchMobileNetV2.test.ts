import * as tf from "@tensorflow/tfjs";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { saveKerasWeightsH5 } from "../../src/lib/models/keras";
import { buildMobileNetV2Backbone } from "../../src/lib/models/mobilenetv2";
import { findMobileNetV2Weights, MOBILENETV2_FILES, sha256File } from "../../src/lib/models/mobilenetv2Weights";
import { tempDir } from "../data/helpers";
import { runScript } from "./runScript";

// The official file is unreachable here: a stand-in with the official layout (our writer, random weights).
describe("npm run fetch-weights -- mobilenetv2 --file", () => {
  const dir = tempDir();
  const fake = join(tempDir(), MOBILENETV2_FILES.noTop);
  beforeAll(async () => {
    await tf.setBackend("cpu");
    await saveKerasWeightsH5(buildMobileNetV2Backbone({ inputSize: 224 }), fake);
    process.env.PNEUMO_MOBILENETV2_DIR = dir;
  });

  it("checks every layer, records the SHA-256 on first use, and refuses a different file afterwards", async () => {
    const first = await runScript("scripts/fetch-weights.ts", ["mobilenetv2", "--file", fake], 240_000);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/155 layers loaded, every name and shape matched/);
    expect(readFileSync(join(dir, "SHA256SUMS"), "utf8")).toBe(`${sha256File(fake)}  ${MOBILENETV2_FILES.noTop}\n`);
    expect(findMobileNetV2Weights({ dir, home: dir })).toBe(join(dir, MOBILENETV2_FILES.noTop));

    const other = join(tempDir(), MOBILENETV2_FILES.noTop);
    await saveKerasWeightsH5(buildMobileNetV2Backbone({ inputSize: 224 }), other);
    const second = await runScript("scripts/fetch-weights.ts", ["mobilenetv2", "--file", other], 240_000);
    expect(second.code).not.toBe(0);
    expect(second.stderr.join("\n")).toMatch(/has SHA-256 [0-9a-f]{64}, expected [0-9a-f]{64}/);
    // A damaged copy in the folder is refused at use, too.
    writeFileSync(join(dir, MOBILENETV2_FILES.noTop), readFileSync(other));
    expect(() => findMobileNetV2Weights({ dir, home: dir })).toThrow(
      /delete it and run `npm run fetch-weights -- mobilenetv2` again/,
    );
  }, 600_000);
});

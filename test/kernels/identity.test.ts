import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../src/lib/backend";
import { registerSharedIdentityKernels, restoreCopyingIdentityKernels } from "../../src/lib/kernels/identity";

// The wasm backend's reference count of a tensor's buffer.
const refCount = (t: tf.Tensor): number => (tf.backend() as unknown as { refCount(id: object): number }).refCount(t.dataId);

describe("copy-free Identity and Cast on wasm", () => {
  beforeAll(async () => {
    await initBackend({ prefer: "wasm", quiet: true }); // registers them
  });

  it("clone shares the buffer, and each copy survives the other's disposal", () => {
    const x = tf.tensor1d([1, 2, 3]);
    const y = x.clone();
    expect(y.dataId).toBe(x.dataId);
    expect(refCount(x)).toBe(2);
    x.dispose();
    expect(Array.from(y.dataSync())).toEqual([1, 2, 3]);
    expect(refCount(y)).toBe(1);
    y.dispose();
    expect(refCount(y)).toBe(0);
  });

  it("same-dtype cast shares; a real cast still converts", () => {
    const x = tf.tensor1d([1.5, -2.5, 3]);
    const same = tf.cast(x, "float32");
    expect(same.dataId).toBe(x.dataId);
    const ints = tf.cast(x, "int32");
    expect(ints.dataId).not.toBe(x.dataId);
    expect(ints.dtype).toBe("int32");
    expect(Array.from(ints.dataSync())).toEqual([1, -2, 3]);
  });

  it("variables stay independent of the tensors they were assigned from", () => {
    const v = tf.variable(tf.tensor1d([1, 1]));
    const src = tf.tensor1d([5, 6]);
    v.assign(src);
    src.dispose();
    expect(Array.from(v.dataSync())).toEqual([5, 6]);
    v.assign(tf.add(v, 1));
    expect(Array.from(v.dataSync())).toEqual([6, 7]);
    v.dispose();
  });

  it("saving for backprop no longer copies: fewer live buffers at the end of the forward pass than with wasm's copying kernels", () => {
    const x = tf.randomUniform([2, 16, 16, 4], -1, 1, "float32", 1) as tf.Tensor4D;
    const w = tf.variable(tf.randomUniform([3, 3, 4, 4], -0.3, 0.3, "float32", 2) as tf.Tensor4D);
    // buffers alive when the forward pass ends (tape on: every saved tensor is a clone)
    const buffersAtEndOfForward = (): number => {
      let buffers = 0;
      const { value, grads } = tf.variableGrads(() => {
        let y: tf.Tensor4D = x;
        for (let i = 0; i < 4; i++) y = tf.relu(tf.conv2d(y, w, 1, "same"));
        buffers = tf.memory().numDataBuffers;
        return tf.sum(y) as tf.Scalar;
      });
      tf.dispose([value, grads[w.name]]);
      return buffers;
    };
    const shared = buffersAtEndOfForward();
    expect(restoreCopyingIdentityKernels("wasm")).toEqual(["Identity", "Cast"]);
    const copied = buffersAtEndOfForward();
    expect(registerSharedIdentityKernels("wasm")).toEqual(["Identity", "Cast"]);
    // conv saves x and w, relu saves its output: 4 layers → at least 8 activation clones that used to copy
    expect(copied - shared).toBeGreaterThanOrEqual(8);
  });
});

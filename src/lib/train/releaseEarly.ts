/**
 * Free memory during backprop as soon as the tape no longer needs it.
 *
 * tfjs-core 4.22 keeps every tensor a gradient touches until the whole backward pass ends: each node's
 * saved activations (disposed only after the last node) and every upstream gradient `dy` (disposed with
 * the enclosing tidy). A conv net's backward pass therefore holds all activations *and* all their
 * gradients at once — the 4-block CNN at 224², batch 32 ran out of the 4 GB wasm heap that way.
 * `withEarlyRelease` instruments the tape of the outermost `tf.grads`/`variableGrads`/`minimize` inside
 * it: once a node has handed out its input gradients, its saved tensors and its `dy`s are disposed
 * (a `dy` that some gradient function passed through unchanged, or that two nodes returned, is kept).
 */
import * as tf from "@tensorflow/tfjs";

type Thunks = Record<string, () => tf.Tensor>;

// The parts of tfjs-core's engine and tape nodes this module touches (internal, stable across 4.x).
interface TapeNodeLike {
  saved?: tf.Tensor[];
  gradient?: (dys: (tf.Tensor | null)[]) => Thunks;
}
type GradientsFn = (f: () => tf.Tensor, xs: tf.Tensor[], dy?: tf.Tensor, allowNoGradients?: boolean) => { value: tf.Tensor; grads: tf.Tensor[] };
interface EngineLike {
  state: { activeTape: TapeNodeLike[] | null; gradientDepth: number };
  gradients: GradientsFn;
}

// Wraps every node's gradient so the previous node's saved tensors and dys are released when the next starts.
function instrumentTape(tape: TapeNodeLike[]): void {
  const handedOut = new WeakMap<tf.Tensor, number>();
  let pending: { node: TapeNodeLike; dys: (tf.Tensor | null)[]; own: Set<tf.Tensor> } | undefined;
  const releasePending = (): void => {
    if (!pending) return;
    for (const t of pending.node.saved ?? []) t.dispose();
    for (const dy of pending.dys) {
      if (dy && !pending.own.has(dy) && (handedOut.get(dy) ?? 0) <= 1) dy.dispose();
    }
    pending = undefined;
  };
  for (const node of tape) {
    const gradient = node.gradient;
    if (!gradient) continue;
    node.gradient = (dys) => {
      releasePending();
      const thunks = gradient(dys);
      const own = new Set<tf.Tensor>();
      pending = { node, dys, own };
      const wrapped: Thunks = {};
      for (const [name, thunk] of Object.entries(thunks)) {
        wrapped[name] = () => {
          const dx = thunk();
          own.add(dx);
          handedOut.set(dx, (handedOut.get(dx) ?? 0) + 1);
          return dx;
        };
      }
      return wrapped;
    };
  }
}

/**
 * Runs `fn` with early release of backprop memory for the gradients it computes (without an explicit
 * `dy`; nested higher-order gradients are left as they are). Gradients are unchanged; peak memory drops.
 * @example
 * const loss = withEarlyRelease(() => optimizer.minimize(() => lossOf(model, xs, ys), true));
 */
export function withEarlyRelease<T>(fn: () => T): T {
  const engine = tf.engine() as unknown as EngineLike;
  const hadOwn = Object.prototype.hasOwnProperty.call(engine, "gradients");
  const original = engine.gradients;
  engine.gradients = function (this: EngineLike, f, xs, dy, allowNoGradients) {
    if (dy != null) return original.call(this, f, xs, dy, allowNoGradients);
    const recorded = (): tf.Tensor => {
      const y = f();
      if (engine.state.gradientDepth === 1 && engine.state.activeTape) instrumentTape(engine.state.activeTape);
      return y;
    };
    return original.call(this, recorded, xs, dy, allowNoGradients);
  };
  try {
    return fn();
  } finally {
    if (hadOwn) engine.gradients = original;
    else delete (engine as Partial<EngineLike>).gradients;
  }
}

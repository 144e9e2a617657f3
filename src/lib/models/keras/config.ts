import * as tf from "@tensorflow/tfjs";
import type { ConfigLayer } from "./layers";

/** Keras version our `.keras` metadata names: the Keras 3 file layout this writer follows. */
export const KERAS3_LAYOUT_VERSION = "3.6.0";

type Json = Record<string, unknown>;

// TF.js layer JSON as `model.toJSON` gives it (Keras 2 style).
interface TfjsLayerJson {
  name: string;
  class_name: string;
  config: Json;
  inbound_nodes: [string, number, number, Json][][];
}

// A Keras 3 symbolic tensor reference (`__keras_tensor__`) to output `tensor` of node `node` of `layer`.
function kerasTensor(model: tf.LayersModel, [layer, node, tensor]: [string, number, number, Json]): Json {
  const shape = model.getLayer(layer).outputShape as (number | null)[];
  return { class_name: "__keras_tensor__", config: { shape, dtype: "float32", keras_history: [layer, node, tensor] } };
}

// Keras 3 layer config from the TF.js one: initializers dropped (TF.js writes values Keras 3 refuses, and the
// weights are loaded anyway); InputLayer's batch_input_shape becomes batch_shape.
function layerConfig(layer: TfjsLayerJson): Json {
  const config: Json = {};
  for (const [key, value] of Object.entries(layer.config)) {
    if (key.endsWith("_initializer")) continue;
    if (key === "batch_input_shape") config.batch_shape = value;
    else if (key.endsWith("_regularizer") && value)
      config[key] = { module: "keras.regularizers", registered_name: null, ...(value as Json) };
    else config[key] = value;
  }
  return { ...config, name: layer.name };
}

/**
 * The `config.json` of a Keras 3 `.keras` archive for a TF.js functional model: a `Functional` with each layer's
 * class, config and inbound nodes in Keras 3's `__keras_tensor__` form, in model order (which names the weight
 * paths). Compile config is left out (the file loads with `compile=False` semantics).
 * @example
 * const config = keras3Config(model); // JSON.stringify → config.json
 */
export function keras3Config(model: tf.LayersModel): Json {
  const json = model.toJSON(null, false) as unknown as {
    config: { name: string; layers: TfjsLayerJson[]; input_layers: unknown; output_layers: unknown };
  };
  const layers = json.config.layers.map((layer) => {
    const nodes = layer.inbound_nodes.map((node) => {
      const tensors = node.map((ref) => kerasTensor(model, ref));
      return { args: tensors.length === 1 ? [tensors[0]] : [tensors], kwargs: {} };
    });
    return {
      module: "keras.layers",
      class_name: layer.class_name,
      config: layerConfig(layer),
      registered_name: null,
      name: layer.name,
      inbound_nodes: nodes,
    };
  });
  return {
    module: "keras",
    class_name: "Functional",
    registered_name: "Functional",
    config: {
      name: json.config.name,
      trainable: true,
      layers,
      input_layers: json.config.input_layers,
      output_layers: json.config.output_layers,
    },
    build_config: { input_shape: model.inputs[0]!.shape },
    compile_config: null,
  };
}

/**
 * The layers of a Keras 3 `config.json` in saving order, nested models included (their weights live under
 * `layers/functional/layers/…`). A `Sequential` lists its layers the same way.
 */
export function configLayers(config: Json, what: string): ConfigLayer[] {
  const inner = config.config as { layers?: Json[] } | undefined;
  if (!inner?.layers)
    throw new Error(
      `readKerasFile: config.json of ${what} lists no layers; is it a Keras 3 model? Received: ${String(config.class_name)}`,
    );
  return inner.layers.map((l) => {
    const className = String(l.class_name);
    const layerConfig = l.config as Json;
    const name = String(layerConfig.name ?? l.name);
    const nested = (layerConfig as { layers?: unknown }).layers ? configLayers(l, what) : undefined;
    return { name, className, layers: nested };
  });
}

import type { Dataset, File as H5File, Group } from "h5wasm/node";
import { existsSync } from "node:fs";

/** One stored weight: its short name (`kernel`, `gamma`, … or Keras 3's index `0`, `1`), shape and values. */
export interface StoredWeight {
  name: string;
  shape: number[];
  data: Float32Array;
}

/** The weights of one layer as a Keras file holds them, in the file's order. */
export interface LayerWeights {
  /** Layer name (Keras 2: from the weight names; Keras 3: from config.json, or the class-order path). */
  layer: string;
  weights: StoredWeight[];
}

/** Version attribute we write: the Keras 2 HDF5 layout this writer follows (the TF 2.15 / Keras 2.15 one). */
export const KERAS2_LAYOUT_VERSION = "2.15.0";

// h5wasm loads once per process, on first use: it is ESM-only ("import" export), and the notebook kernel loads
// this library as CommonJS, so a static import would break every notebook.
let loaded: Promise<typeof import("h5wasm/node").default> | undefined;

/** Open an HDF5 file with h5wasm (read "r" or write "w"); a missing file is a named error. */
export async function openH5(path: string, mode: "r" | "w", fn: string): Promise<H5File> {
  loaded ??= import("h5wasm/node").then(async (m) => (await m.default.ready, m.default));
  const h5wasm = await loaded;
  if (mode === "r" && !existsSync(path)) throw new Error(`${fn}: no such file. Fix: check the path. Received: ${path}`);
  return new h5wasm.File(path, mode);
}

// An attribute's strings (h5py writes Keras's names as fixed-length bytes; also read vlen strings).
function attrStrings(obj: Group, name: string): string[] | undefined {
  const attr = obj.attrs[name];
  if (attr === undefined) {
    // Keras 2 splits attributes over 64 KiB into name0, name1, … (save_attributes_to_hdf5_group).
    const chunks: string[] = [];
    for (let i = 0; obj.attrs[`${name}${i}`] !== undefined; i++)
      chunks.push(...(attrStrings(obj, `${name}${i}`) ?? []));
    return chunks.length > 0 ? chunks : undefined;
  }
  const value = attr.value;
  if (value === null || (ArrayBuffer.isView(value) && value.byteLength === 0)) return [];
  const list = Array.isArray(value) ? value : [value];
  return list.map((v) => (v instanceof Uint8Array ? new TextDecoder().decode(v) : String(v)).replace(/\0+$/, ""));
}

/** A scalar string attribute ("keras_version", "backend"), or undefined. */
export function attrString(obj: Group, name: string): string | undefined {
  return obj.attrs[name] ? attrStrings(obj, name)?.[0] : undefined;
}

// A dataset's values as float32 (Keras files are float32; float64 is narrowed).
function readDataset(ds: Dataset, name: string): StoredWeight {
  const value = ds.value;
  if (!ArrayBuffer.isView(value))
    throw new Error(`readKerasWeights: dataset ${ds.path} is not numeric. Received: ${typeof value}`);
  const data = value instanceof Float32Array ? value : Float32Array.from(value as unknown as ArrayLike<number>);
  return { name, shape: [...(ds.shape ?? [])], data };
}

/**
 * Keras 2 weights: `model_weights/` (full-model file) or the root (weights-only file) lists `layer_names`; each
 * layer group lists `weight_names` ("Conv1/kernel:0") and holds the datasets under those paths. The layer name is
 * taken from the weight name, so nested models ("mobilenetv2_1.00_224" holding "Conv1/kernel:0") flatten.
 */
export function readKeras2Weights(file: H5File, what: string): LayerWeights[] {
  const root = (file.get("model_weights") as Group | null) ?? file;
  const layerNames = attrStrings(root, "layer_names");
  if (!layerNames)
    throw new Error(
      `readKerasWeights: ${what} has no layer_names attribute; it is not a Keras 2 weights file. Received: ${what}`,
    );
  const byLayer = new Map<string, LayerWeights>();
  for (const group of layerNames) {
    const g = root.get(group) as Group | null;
    if (!g) throw new Error(`readKerasWeights: ${what} lists layer ${group} but has no such group. Received: ${group}`);
    for (const weightName of attrStrings(g, "weight_names") ?? []) {
      const ds = g.get(weightName) as Dataset | null;
      if (!ds)
        throw new Error(
          `readKerasWeights: ${what}: ${group} lists ${weightName} but holds no such dataset. Received: ${weightName}`,
        );
      const parts = weightName.split("/");
      const layer = parts.length >= 2 ? parts[parts.length - 2]! : group;
      const entry = byLayer.get(layer) ?? { layer, weights: [] };
      entry.weights.push(readDataset(ds, parts[parts.length - 1]!.replace(/:\d+$/, "")));
      byLayer.set(layer, entry);
    }
  }
  return [...byLayer.values()];
}

/**
 * Keras 3 weights (`model.weights.h5` inside a `.keras`, or a `.weights.h5`): `<path>/vars/0`, `1`, … per layer,
 * where `paths` maps each layer name to its saving path (e.g. `layers/conv2d_3`).
 */
export function readKeras3Weights(
  file: H5File,
  paths: { layer: string; path: string }[],
  what: string,
): LayerWeights[] {
  const out: LayerWeights[] = [];
  for (const { layer, path } of paths) {
    const vars = file.get(`${path}/vars`) as Group | null;
    if (!vars) continue;
    const keys = vars.keys().sort((a, b) => Number(a) - Number(b));
    if (keys.length === 0) continue;
    out.push({ layer, weights: keys.map((k) => readDataset(vars.get(k) as Dataset, k)) });
  }
  if (out.length === 0)
    throw new Error(
      `readKerasWeights: ${what} holds no layers/<name>/vars datasets at the expected paths. Received: ${what}`,
    );
  return out;
}

// Fixed-length byte strings, as h5py writes numpy "S" arrays (Keras 2's layer_names / weight_names).
function writeStrings(obj: Group, name: string, values: string[]): void {
  const width = Math.max(1, ...values.map((v) => new TextEncoder().encode(v).byteLength));
  obj.create_attribute(name, values, [values.length], `S${width}`);
}

/** One layer to write: its name and its weights with Keras short names (`kernel`, `bias`, `gamma` …). */
export type LayerToWrite = LayerWeights;

/**
 * Write Keras 2's weights-only HDF5 layout (what `model.save_weights("x.h5")` writes): root attributes
 * `layer_names` (every layer, in model order), `backend`, `keras_version`; per layer a group with `weight_names`
 * ("<layer>/kernel:0" …) and the datasets `<layer>/<layer>/kernel:0`.
 */
export function writeKeras2Weights(file: H5File, layers: LayerToWrite[], generatedBy: string): void {
  writeStrings(
    file,
    "layer_names",
    layers.map((l) => l.layer),
  );
  file.create_attribute("backend", "tensorflow", null, "S10");
  file.create_attribute("keras_version", KERAS2_LAYOUT_VERSION, null, `S${KERAS2_LAYOUT_VERSION.length}`);
  file.create_attribute(
    "generated_by",
    generatedBy,
    null,
    `S${Math.max(1, new TextEncoder().encode(generatedBy).byteLength)}`,
  );
  for (const { layer, weights } of layers) {
    const g = file.create_group(layer);
    const names = weights.map((w) => `${layer}/${w.name}:0`);
    if (names.length > 0) writeStrings(g, "weight_names", names);
    else g.create_attribute("weight_names", new Float64Array(0), [0], "<d");
    if (weights.length === 0) continue;
    const inner = g.create_group(layer);
    for (const w of weights) inner.create_dataset({ name: `${w.name}:0`, data: w.data, shape: w.shape });
  }
}

/** Write Keras 3's weights layout: an empty root `vars`, then `<path>/vars/<i>` for every layer path given. */
export function writeKeras3Weights(file: H5File, layers: { path: string; weights: StoredWeight[] }[]): void {
  file.create_group("vars");
  for (const { path, weights } of layers) {
    let g: Group = file;
    for (const part of `${path}/vars`.split("/")) g = (g.get(part) as Group | null) ?? g.create_group(part);
    weights.forEach((w, i) => g.create_dataset({ name: String(i), data: w.data, shape: w.shape }));
  }
}

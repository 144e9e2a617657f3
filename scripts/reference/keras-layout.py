"""Second reader and independent writer of Keras weight layouts, with h5py only (no TensorFlow/Keras needed).

  python3 scripts/reference/keras-layout.py describe FILE        -> JSON: format, attributes, per-layer weight names,
                                                                    shapes and sums, read with h5py/zipfile
  python3 scripts/reference/keras-layout.py write-cnn4 OUT.h5 SIZE SEED
        -> a Keras 2 weights-only file for the 4-block CNN at SIZE x SIZE x 1, written from numpy arrays with the
           layout Keras 2's `save_weights_to_hdf5_group` writes (root attrs layer_names/backend/keras_version, one
           group per layer with attr weight_names and datasets <layer>/<layer>/<weight>:0). Recipe of the values:
           numpy.random.default_rng(SEED); kernels ~ N(0, sqrt(2 / fan_in)), biases 0, BN gamma 1, beta 0,
           moving_mean 0, moving_variance 1. Layer names are Keras's defaults for the same Sequential model
           (conv2d, conv2d_1, batch_normalization, ..., dense, dense_1, dense_2), not ours: the import maps them.
  python3 scripts/reference/keras-layout.py nest-full-model IN.h5 OUT.h5 NESTED_NAME
        -> the same weights as a Keras 2 full-model file with the backbone as one nested model (see nest_full_model).
  python3 scripts/reference/keras-layout.py write-resnet50-tf2 IN.h5 OUT.h5 full|weights EPSILON
        -> a ResNet50 file with TF2 Keras's layer names (tf.keras.applications.ResNet50: conv1_conv, conv1_bn,
           conv2_block1_0_conv ... conv5_block3_3_bn), from a Keras 2 weights-only file IN.h5 with Keras 2.2.4 names
           (conv1, bn_conv1, res2a_branch2a, bn2a_branch1, ...). Recipe (see tf2_resnet50_name): conv1 -> conv1_conv,
           bn_conv1 -> conv1_bn, res|bn<s><letter>_branch<1|2a|2b|2c> -> conv<s>_block<letter index + 1>_<0|1|2|3>_
           conv|bn; every array copied unchanged; IN's "caffe_preprocess" layer dropped (TF2 preprocesses outside
           the model); IN's head_* layers kept, after conv5_block3_out. Layer order: TF2's (per block: _0_ shortcut,
           _1_, _2_, _3_, _add, _out, weightless layers included). "full": the layout of model.save("x.h5") (weights
           under model_weights/, root attribute model_config listing each layer's class and name, every backbone
           BatchNormalization with epsilon EPSILON, as TF2's resnet.py sets 1.001e-5); "weights": save_weights.
"""
import re
import io
import json
import sys
import zipfile

import h5py
import numpy as np


def _strings(values):
    return [v.decode("utf8") if isinstance(v, bytes) else str(v) for v in values]


def _describe_keras2(f):
    root = f["model_weights"] if "model_weights" in f else f
    layers = []
    for name in _strings(root.attrs["layer_names"]):
        group = root[name]
        weights = []
        for wn in _strings(group.attrs["weight_names"]):
            ds = group[wn]
            weights.append({"name": wn, "shape": list(ds.shape), "dtype": str(ds.dtype), "sum": float(np.sum(ds[()]))})
        layers.append({"layer": name, "weights": weights})
    attrs = {k: (v.decode("utf8") if isinstance(v, bytes) else str(v)) for k, v in f.attrs.items() if k != "layer_names"}
    attr_types = {k: str(f.attrs[k].dtype) if hasattr(f.attrs[k], "dtype") else type(f.attrs[k]).__name__ for k in f.attrs}
    return {"format": "keras2", "attrs": attrs, "attr_types": attr_types, "layers": layers}


def _describe_keras3(f):
    paths = []
    f.visititems(lambda name, obj: paths.append({"path": name, "shape": list(obj.shape), "sum": float(np.sum(obj[()]))})
                 if isinstance(obj, h5py.Dataset) else None)
    groups = []
    f.visit(lambda name: groups.append(name) if isinstance(f[name], h5py.Group) else None)
    return {"format": "keras3", "datasets": paths, "groups": groups}


def describe(path):
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
            bad = z.testzip()
            config = json.loads(z.read("config.json"))
            metadata = json.loads(z.read("metadata.json"))
            with h5py.File(io.BytesIO(z.read("model.weights.h5")), "r") as f:
                out = _describe_keras3(f)
        out.update({"zip_names": names, "zip_bad": bad, "metadata": metadata,
                    "config_layers": [[l["class_name"], l["config"]["name"]] for l in config["config"]["layers"]]})
        return out
    with h5py.File(path, "r") as f:
        return _describe_keras2(f) if ("layer_names" in f.attrs or "model_weights" in f) else _describe_keras3(f)


def _save_attr(group, name, values):
    # As Keras 2 does: numpy bytes array (dtype S), one entry per name.
    group.attrs[name] = np.array([v.encode("utf8") for v in values]) if values else np.array([], dtype="S1")


def write_cnn4(out, size, seed):
    rng = np.random.default_rng(seed)
    counters = {}

    def name(kind):
        n = counters.get(kind, 0)
        counters[kind] = n + 1
        return kind if n == 0 else f"{kind}_{n}"

    layers = []  # (layer name, [(weight short name, array)])

    def conv(cin, cout):
        k = rng.normal(0, np.sqrt(2.0 / (9 * cin)), (3, 3, cin, cout)).astype("float32")
        layers.append((name("conv2d"), [("kernel", k), ("bias", np.zeros(cout, "float32"))]))

    def bn(c):
        layers.append((name("batch_normalization"), [("gamma", np.ones(c, "float32")), ("beta", np.zeros(c, "float32")),
                                                       ("moving_mean", np.zeros(c, "float32")),
                                                       ("moving_variance", np.ones(c, "float32"))]))

    def dense(cin, cout):
        k = rng.normal(0, np.sqrt(2.0 / cin), (cin, cout)).astype("float32")
        layers.append((name("dense"), [("kernel", k), ("bias", np.zeros(cout, "float32"))]))

    cin = 1
    for f in (32, 64, 128, 256):
        conv(cin, f); bn(f); conv(f, f); bn(f)
        layers.append((name("max_pooling2d"), []))
        layers.append((name("dropout"), []))
        cin = f
    layers.append((name("flatten"), []))
    dense((size // 16) ** 2 * 256, 512); bn(512); layers.append((name("dropout"), []))
    dense(512, 256); bn(256); layers.append((name("dropout"), []))
    dense(256, 1)
    with h5py.File(out, "w") as f:
        _save_attr(f, "layer_names", [n for n, _ in layers])
        f.attrs["backend"] = "tensorflow".encode("utf8")
        f.attrs["keras_version"] = "2.15.0".encode("utf8")
        for lname, weights in layers:
            g = f.create_group(lname)
            _save_attr(g, "weight_names", [f"{lname}/{w}:0" for w, _ in weights])
            for w, value in weights:
                g.create_dataset(f"{lname}/{w}:0", data=value)




def nest_full_model(src, out, nested_name):
    """Rewrite a Keras 2 weights-only file as a full-model file (`model.save("x.h5")`: root attrs keras_version,
    backend, model_config; weights under model_weights/) whose layers, except those starting with "head_", sit in one
    nested model group `nested_name`, as Keras 2 saves `Sequential([base_model, ...])`: the group lists weight names
    "<layer>/<weight>:0" and holds the datasets under those paths."""
    with h5py.File(src, "r") as f, h5py.File(out, "w") as g:
        g.attrs["keras_version"] = b"2.15.0"
        g.attrs["backend"] = b"tensorflow"
        g.attrs["model_config"] = json.dumps({"class_name": "Functional", "config": {}}).encode("utf8")
        mw = g.create_group("model_weights")
        names = _strings(f.attrs["layer_names"])
        top = [n for n in names if n.startswith("head_")]
        _save_attr(mw, "layer_names", [nested_name] + top)
        mw.attrs["backend"] = b"tensorflow"
        mw.attrs["keras_version"] = b"2.15.0"
        nested = mw.create_group(nested_name)
        nested_weights = []
        for n in names:
            wn = _strings(f[n].attrs["weight_names"])
            target = nested if n not in top else mw.create_group(n)
            if n in top:
                _save_attr(target, "weight_names", wn)
            else:
                nested_weights += wn
            for w in wn:
                target.create_dataset(w, data=f[n][w][()])
        _save_attr(nested, "weight_names", nested_weights)


def tf2_resnet50_name(ours):
    """Keras 2.2.4 ResNet50 layer name -> TF2 Keras name, or None for a layer outside the conv/bn backbone."""
    if ours == "conv1":
        return "conv1_conv"
    if ours == "bn_conv1":
        return "conv1_bn"
    m = re.fullmatch(r"(res|bn)([2-5])([a-f])_branch(1|2a|2b|2c)", ours)
    if not m:
        return None
    kind, stage, letter, branch = m.groups()
    index = {"1": 0, "2a": 1, "2b": 2, "2c": 3}[branch]
    return f"conv{stage}_block{'abcdef'.index(letter) + 1}_{index}_{'conv' if kind == 'res' else 'bn'}"


def _tf2_resnet50_layers():
    """(name, class) of TF2's ResNet50 without top, in its order."""
    out = [("input_1", "InputLayer"), ("conv1_pad", "ZeroPadding2D"), ("conv1_conv", "Conv2D"),
           ("conv1_bn", "BatchNormalization"), ("conv1_relu", "Activation"), ("pool1_pad", "ZeroPadding2D"),
           ("pool1_pool", "MaxPooling2D")]
    for stage, blocks in ((2, 3), (3, 4), (4, 6), (5, 3)):
        for block in range(1, blocks + 1):
            p = f"conv{stage}_block{block}"
            if block == 1:
                out += [(f"{p}_0_conv", "Conv2D"), (f"{p}_0_bn", "BatchNormalization")]
            for k in (1, 2, 3):
                out += [(f"{p}_{k}_conv", "Conv2D"), (f"{p}_{k}_bn", "BatchNormalization")]
                if k < 3:
                    out.append((f"{p}_{k}_relu", "Activation"))
            out += [(f"{p}_add", "Add"), (f"{p}_out", "Activation")]
    return out


def write_resnet50_tf2(src, out, mode, epsilon):
    with h5py.File(src, "r") as f:
        arrays = {}  # layer name in IN -> [(short weight name, array)]
        for n in _strings(f.attrs["layer_names"]):
            arrays[n] = [(w.split("/")[-1].split(":")[0], f[n][w][()]) for w in _strings(f[n].attrs["weight_names"])]
    by_tf2 = {tf2_resnet50_name(n): n for n in arrays if tf2_resnet50_name(n)}
    assert len(by_tf2) == 106, f"expected 53 convs and 53 batch norms with Keras 2.2.4 names, found {len(by_tf2)}"
    layers = _tf2_resnet50_layers()
    heads = [n for n in arrays if n.startswith("head_")]
    layers += [(n, "Dense" if arrays[n] else "Layer") for n in heads]
    with h5py.File(out, "w") as g:
        g.attrs["keras_version"] = b"2.15.0"
        g.attrs["backend"] = b"tensorflow"
        root = g
        if mode == "full":
            config = [{"class_name": c, "name": n,
                       "config": {"name": n, **({"epsilon": epsilon} if c == "BatchNormalization" else {})}}
                      for n, c in layers]
            g.attrs["model_config"] = json.dumps({"class_name": "Functional",
                                                  "config": {"name": "model", "layers": config}}).encode("utf8")
            root = g.create_group("model_weights")
            root.attrs["keras_version"] = b"2.15.0"
            root.attrs["backend"] = b"tensorflow"
        _save_attr(root, "layer_names", [n for n, _ in layers])
        for n, _ in layers:
            weights = arrays[by_tf2[n]] if n in by_tf2 else arrays.get(n, [])
            group = root.create_group(n)
            _save_attr(group, "weight_names", [f"{n}/{w}:0" for w, _ in weights])
            for w, value in weights:
                group.create_dataset(f"{n}/{w}:0", data=value)


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "describe":
        print(json.dumps(describe(sys.argv[2])))
    elif cmd == "nest-full-model":
        nest_full_model(sys.argv[2], sys.argv[3], sys.argv[4])
    elif cmd == "write-resnet50-tf2":
        write_resnet50_tf2(sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5]))
    elif cmd == "write-cnn4":
        write_cnn4(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:
        sys.exit(f"keras-layout.py: unknown command {cmd!r}; "
                 "use describe, write-cnn4, nest-full-model or write-resnet50-tf2")


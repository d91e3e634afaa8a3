"""Tests of the Python module: the same numbers and structures as the CLI, errors as
attnsim.InputError with their parts, NumPy in and out of the kernel oracle, the pandas frames and
the example script."""

import ctypes
import json
import os
import pathlib
import subprocess
import sys

import numpy
import pytest

import attnsim

ROOT = pathlib.Path(__file__).resolve().parents[2]
BUILD_PYTHON = pathlib.Path(attnsim.__file__).resolve().parents[1]
CLI = BUILD_PYTHON.parent / "attnsim"
EXAMPLES = ROOT.parent / "shared" / "reference" / "mixer-examples"


def cli_json(*args):
    """What the attnsim executable prints with --format json."""
    done = subprocess.run([str(CLI), *args, "--format", "json"], check=True, capture_output=True,
                          text=True)
    return json.loads(done.stdout)


def test_kv_is_the_cli_json():
    got = attnsim.kv(["qwen3-next-80b-a3b", "llama-3-8b"], context=[4096, 131072], batch=2)
    assert got == cli_json("kv", "qwen3-next-80b-a3b", "llama-3-8b", "--context", "4096,131072",
                           "--batch", "2")


def test_kv_llama_by_hand():
    # Llama 3 8B: 32 layers × 8 KV heads × 128 dims × (K and V) × 2 bytes = 131,072 bytes/token.
    text = json.dumps(attnsim.kv("llama-3-8b", context=[8192]))
    assert '"kv_bytes_per_token": 131072' in text
    # 8,192 tokens × 131,072 bytes = 1,073,741,824 bytes (1 GiB).
    assert "1073741824" in text


@pytest.mark.parametrize("function, command", [
    (attnsim.params, "params"), (attnsim.flops, "flops"), (attnsim.roofline, "roofline"),
    (attnsim.fit, "fit"),
])
def test_single_architecture_functions_are_the_cli_json(function, command):
    extra = ["--hw", "h100-sxm"] if command in ("roofline", "fit") else []
    options = {"hw": "h100-sxm"} if extra else {}
    assert function("llama-3-8b", **options) == cli_json(command, "llama-3-8b", *extra)


def test_layers_is_the_cli_json():
    got = attnsim.layers("qwen3-next-80b-a3b")
    assert got == cli_json("layers", "qwen3-next-80b-a3b")
    assert got["command"] == "layers" and got["units"] == "bytes"
    arch = got["architectures"][0]
    # 48 layers: 12 × [gdn, gdn, gdn, attn], so layers 3, 7, ..., 47 are gated attention.
    assert arch["n_layers"] == 48
    assert arch["layer_kinds"] == {"gated_attn": 12, "gated_deltanet": 36}
    assert [layer["index"] for layer in arch["layers"] if layer["mixer"] == "attn"] == \
        list(range(3, 48, 4))
    assert {i["name"]: i["layers"] for i in arch["instances"]} == {"attn": 12, "gdn": 36, "moe": 48}


def test_layers_accepts_an_architecture_object():
    arch = attnsim.load("llama-3-8b", set={"model.n_layers": 4})
    assert attnsim.layers(arch)["architectures"][0]["n_layers"] == 4


def test_compare_is_the_cli_json():
    got = attnsim.compare(["gemma-3-27b", "llama-3-8b"], context=[32768])
    assert got == cli_json("compare", "gemma-3-27b", "llama-3-8b", "--context", "32768")


def test_input_error_carries_its_parts(tmp_path):
    lines = (ROOT / "architectures" / "llama-3-8b.yaml").read_text().splitlines()
    line = next(i for i, text in enumerate(lines) if text.strip().startswith("d_model:"))
    lines[line] = lines[line].split("d_model:")[0] + "d_model: -3"
    broken = tmp_path / "broken.yaml"
    broken.write_text("\n".join(lines) + "\n")
    with pytest.raises(attnsim.InputError) as caught:
        attnsim.kv(str(broken), context=[1024])
    error = caught.value
    assert error.file is not None and error.file.endswith("broken.yaml")
    assert error.line == line + 1
    assert error.key is not None and "d_model" in error.key
    assert error.expected is not None and error.found is not None
    assert str(error).startswith(error.file)


def test_unknown_architecture_and_option_are_input_errors():
    with pytest.raises(attnsim.InputError, match="llama-3-8x"):
        attnsim.kv("llama-3-8x")
    with pytest.raises(attnsim.InputError):
        attnsim.kv("llama-3-8b", kv_dtype="fp7")


def test_kv_frame_has_the_csv_columns():
    pandas = pytest.importorskip("pandas")
    frame = attnsim.kv_frame(["llama-3-8b", "gemma-3-27b"], context=[4096, 32768])
    done = subprocess.run([str(CLI), "kv", "llama-3-8b", "gemma-3-27b", "--context", "4096,32768",
                           "--format", "csv"], check=True, capture_output=True, text=True)
    header = done.stdout.splitlines()[0].split(",")
    assert list(frame.columns) == header
    assert len(frame) == len(done.stdout.strip().splitlines()) - 1
    assert isinstance(frame, pandas.DataFrame)


@pytest.mark.parametrize("function, architectures, options, extra", [
    ("flops_frame", ["llama-3-8b"], {}, []),
    ("params_frame", ["llama-3-8b"], {}, []),
    ("roofline_frame", ["llama-3-8b"], {"hw": "h100-sxm"}, ["--hw", "h100-sxm"]),
    ("compare_frame", ["qwen3-next-80b-a3b", "llama-3-8b"], {}, []),
])
def test_every_frame_has_its_csv_columns(function, architectures, options, extra):
    pytest.importorskip("pandas")
    frame = getattr(attnsim, function)(architectures, **options)
    done = subprocess.run([str(CLI), function[:-len("_frame")], *architectures, *extra, "--format",
                           "csv"], check=True, capture_output=True, text=True)
    assert list(frame.columns) == done.stdout.splitlines()[0].split(",")
    assert len(frame) == len(done.stdout.strip().splitlines()) - 1


def test_frames_keep_counts_as_exact_integers():
    pytest.importorskip("pandas")
    # Llama 3 8B's embeddings: 128,256 × 4,096 = 525,336,576 parameters, written "525,336,576".
    frame = attnsim.params_frame("llama-3-8b")
    embeddings = frame[frame["component"] == "embeddings"]
    assert embeddings["total"].tolist() == [525336576]
    assert frame["total"].dtype.kind == "i"
    # kv leaves full_attention_kv_bytes empty on the per-kind rows: an integer column with missing
    # values (Int64), not float64. Qwen3-Next at 4,096 tokens with every layer as attention:
    # 48 layers × 2 KV heads × 256 dims × (K and V) × 2 bytes × 4,096 = 402,653,184 bytes.
    frame = attnsim.kv_frame("qwen3-next-80b-a3b", context=[4096])
    column = frame["full_attention_kv_bytes"]
    assert str(column.dtype) == "Int64"
    assert column[frame["layer_kind"] == "total"].tolist() == [402653184]
    assert column.isna().sum() == len(frame) - 1


def test_oracle_reproduces_the_worked_example():
    case = EXAMPLES / "gated_deltanet" / "B2_T7_h2_chunk4"
    spec = json.loads((case / "case.json").read_text())
    arrays = {name: numpy.load(case / entry["file"]) for name, entry in spec["inputs"].items()}
    scalars = {key: value for key, value in spec["params"].items()
               if isinstance(value, (int, float, bool))}
    for form in ("chunked", "recurrent"):
        outputs = attnsim.oracle("gated_deltanet", form=form, **arrays, **scalars)
        for name, entry in spec["outputs"].items():
            expected = numpy.load(case / entry["file"])
            numpy.testing.assert_allclose(outputs[name], expected, rtol=1e-9, atol=1e-9)


def test_oracle_rejects_a_bad_shape():
    case = EXAMPLES / "softmax_attn" / "mha_B2_T7"
    spec = json.loads((case / "case.json").read_text())
    arrays = {name: numpy.load(case / entry["file"]) for name, entry in spec["inputs"].items()}
    scalars = {key: value for key, value in spec["params"].items()
               if isinstance(value, (int, float, bool))}
    scalars["Tq"] = scalars["Tq"] + 1
    with pytest.raises(attnsim.InputError):
        attnsim.oracle("softmax_attn", **arrays, **scalars)


def example(kind, name):
    """A worked example's input arrays, its params and its expected outputs."""
    case = EXAMPLES / kind / name
    spec = json.loads((case / "case.json").read_text())
    arrays = {name: numpy.load(case / entry["file"]) for name, entry in spec["inputs"].items()}
    expected = {entry.name[len("expected_"):-len(".npy")]: numpy.load(entry)
                for entry in case.glob("expected_*.npy")}
    return arrays, spec["params"], expected


@pytest.mark.parametrize("kind, name, forms", [
    ("mamba3", "siso_B2_T7_h4_g1_n16_p8_chunk4_state", ("chunked", "recurrent")),
    ("short_conv", "B2_T7_d16_L3", ("conv", "step", "toeplitz")),
    ("diff_attn", "B2_T7_h4_kv2_d8_depth1", ("two_pass", "combined")),
])
def test_oracle_takes_arrays_in_memory(kind, name, forms):
    arrays, params, expected = example(kind, name)
    for form in forms:
        outputs = attnsim.oracle(kind, form=form, **arrays, **params)
        assert set(expected) <= set(outputs)
        for key, value in expected.items():
            numpy.testing.assert_allclose(outputs[key], value, rtol=1e-9, atol=1e-9)
    # float32 arithmetic: float32 arrays back, within the oracle test's tolerance (2e-4 · max|y|).
    outputs = attnsim.oracle(kind, dtype="float32", **arrays, **params)
    for key, value in expected.items():
        assert outputs[key].dtype == numpy.float32
        scale = max(1.0, float(numpy.max(numpy.abs(value[numpy.isfinite(value)]), initial=0)))
        numpy.testing.assert_allclose(outputs[key], value, rtol=2e-4 * scale, atol=2e-4 * scale)


def test_oracle_takes_indexer_dtype_as_a_parameter():
    # indexer_dtype="float64" (case.json's params.indexer_dtype, the CLI's --indexer-dtype): a
    # float32 run selects exactly a float64 run's keys, in its order (dsa/README.md).
    arrays, params, _ = example("dsa", "B2_T7_top4")
    wide = attnsim.oracle("dsa", **arrays, **params)
    exact = attnsim.oracle("dsa", dtype="float32", indexer_dtype="float64", **arrays, **params)
    numpy.testing.assert_array_equal(exact["topk_indices"], wide["topk_indices"])
    with pytest.raises(attnsim.InputError) as error:
        attnsim.oracle("dsa", indexer_dtype="float16", **arrays, **params)
    assert error.value.key == "params.indexer_dtype"


def test_oracle_names_the_key_of_a_wrong_shape():
    arrays, params, _ = example("short_conv", "B2_T7_d16_L3")
    arrays["x"] = arrays["x"][:, :6]
    with pytest.raises(attnsim.InputError) as error:
        attnsim.oracle("short_conv", **arrays, **params)
    assert error.value.key == "inputs.x"
    assert error.value.expected == "shape [2, 7, 16] (B,T,D from params)"
    assert error.value.found == "shape [2, 6, 16]"
    assert "inputs.x" in str(error.value)


def test_oracle_rejects_a_missing_input_and_an_unknown_form():
    arrays, params, _ = example("short_conv", "B2_T7_d16_L3")
    del arrays["conv_weight"]
    with pytest.raises(attnsim.InputError) as error:
        attnsim.oracle("short_conv", **arrays, **params)
    assert error.value.key == "inputs.conv_weight"
    arrays, params, _ = example("short_conv", "B2_T7_d16_L3")
    with pytest.raises(attnsim.InputError):
        attnsim.oracle("short_conv", form="parallel", **arrays, **params)


def test_oracle_names_the_dtype_of_an_array_it_cannot_take():
    arrays, params, _ = example("short_conv", "B2_T7_d16_L3")
    arrays["x"] = arrays["x"] > 0
    with pytest.raises(attnsim.InputError) as error:
        attnsim.oracle("short_conv", **arrays, **params)
    assert error.value.key == "inputs.x"
    assert error.value.expected == "a floating-point or integer NumPy array"
    assert error.value.found == "dtype bool"


def test_oracle_outputs_are_not_copied():
    # Each float64 or int64 output takes over the C++ result's vector: NumPy did not allocate it
    # (its base is the capsule owning the vector), and the data pointer is that vector's first
    # element (libstdc++ keeps a vector's begin pointer as its first word).
    arrays, params, _ = example("gated_attn", "B2_T7_hq4_kv2_d16")
    outputs = attnsim.oracle("gated_attn", **arrays, **params)
    get_pointer = ctypes.pythonapi.PyCapsule_GetPointer
    get_pointer.restype, get_pointer.argtypes = ctypes.c_void_p, [ctypes.py_object, ctypes.c_char_p]
    for name, array in outputs.items():
        assert not array.flags.owndata, name
        assert type(array.base).__name__ == "PyCapsule", name
        vector = get_pointer(array.base, None)
        assert ctypes.c_void_p.from_address(vector).value == array.ctypes.data, name


# Runs in a fresh interpreter: the peak resident memory (ru_maxrss, KiB on Linux) that one
# attnsim.oracle call adds, with gmu's g and m (y = silu(g)·m) of ~100 MB each in a layout.
PEAK_SCRIPT = """
import resource, sys, numpy, attnsim
B, T, d = 1, 1_562_500, 8  # 12.5 M elements of 8 bytes: 100 MB per array
order = sys.argv[1]
g = numpy.full((B, T, d), 0.5, order=order)
m = numpy.full((B, T, d), 2.0, order=order)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
y = attnsim.oracle("gmu", g=g, m=m, B=B, T=T, d_inner=d)["y"]
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
assert abs(y[0, 0, 0] - 0.5 / (1 + numpy.exp(-0.5)) * 2.0) < 1e-12
print((after - before) * 1024, g.nbytes + m.nbytes, y.nbytes)
"""


def oracle_peak_growth(order):
    env = dict(os.environ, PYTHONPATH=str(BUILD_PYTHON))
    done = subprocess.run([sys.executable, "-c", PEAK_SCRIPT, order], check=True, env=env,
                          capture_output=True, text=True)
    return [int(word) for word in done.stdout.split()]


def test_oracle_views_c_contiguous_float64_inputs():
    # C order fits: g and m are read where they are, and y is handed over, so the call grows the
    # peak by y alone (100 MB), not by the 200 MB of inputs nor by a second y. Fortran order
    # does not fit: NumPy converts each input once (200 MB more), which the measure must see.
    # Measured on the development machine: 101 MB (C) and 301 MB (F); with the C++ side forced
    # to copy its inputs, 301 MB (C), which fails here. The rest of the call (the JSON params,
    # the dict, thread stacks) is about 1 MB; the margin of a quarter of the inputs (50 MB) on
    # either side leaves room for allocator and page rounding while a copy of even one input
    # (100 MB) fails. Each figure is the peak of a fresh interpreter (see PEAK_SCRIPT), so
    # earlier tests' allocations cannot hide it.
    growth, inputs, y = oracle_peak_growth("C")
    assert growth < y + inputs // 4, (growth, inputs, y)
    growth, inputs, y = oracle_peak_growth("F")
    assert growth > y + inputs * 3 // 4, (growth, inputs, y)


def layouts(array):
    """The same values in other layouts: Fortran order, strided, byte-swapped and unaligned
    (each converted once), and read-only (viewed as it is: attnsim never writes to an input)."""
    doubled = numpy.repeat(array, 2, axis=-1)
    unaligned = numpy.frombuffer(b"\0" + array.tobytes(), dtype=array.dtype, offset=1)
    read_only = array.copy()
    read_only.setflags(write=False)
    return {
        "fortran": numpy.asfortranarray(array),
        "strided": doubled[..., ::2],
        "byte-swapped": array.astype(array.dtype.newbyteorder()),
        "unaligned": unaligned.reshape(array.shape),
        "read-only": read_only,
    }


def test_oracle_converts_other_layouts_to_the_same_bits():
    arrays, params, _ = example("gated_attn", "B2_T7_hq4_kv2_d16")
    expected = attnsim.oracle("gated_attn", **arrays, **params)
    for name in ("q_and_gate", "k_positions"):
        for layout, array in layouts(arrays[name]).items():
            kept = array.copy()
            got = attnsim.oracle("gated_attn", **dict(arrays, **{name: array}), **params)
            assert numpy.array_equal(array, kept), (name, layout)
            for key, value in expected.items():
                assert got[key].dtype == value.dtype, (name, layout, key)
                assert numpy.array_equal(got[key], value, equal_nan=True), (name, layout, key)
    # Another dtype: float32 inputs and int32 positions give what their float64 and int64
    # values give.
    narrow = {name: value.astype(numpy.float32) if value.dtype.kind == "f" else
              value.astype(numpy.int32) for name, value in arrays.items()}
    widened = {name: value.astype(numpy.float64) if value.dtype.kind == "f" else
               value.astype(numpy.int64) for name, value in narrow.items()}
    got = attnsim.oracle("gated_attn", **narrow, **params)
    for key, value in attnsim.oracle("gated_attn", **widened, **params).items():
        assert numpy.array_equal(got[key], value, equal_nan=True), key


def test_example_script_draws_a_png(tmp_path):
    pytest.importorskip("matplotlib")
    output_dir = pathlib.Path(os.environ.get("ATTNSIM_TEST_OUTPUT", tmp_path))
    output_dir.mkdir(parents=True, exist_ok=True)
    png = output_dir / "memory_vs_context.png"
    env = dict(os.environ, PYTHONPATH=str(BUILD_PYTHON), MPLBACKEND="Agg")
    subprocess.run([sys.executable, str(ROOT / "examples" / "memory_vs_context.py"), "-o", str(png)],
                   check=True, env=env)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_kinds_is_the_cli_json():
    assert attnsim.kinds() == cli_json("kinds")
    assert attnsim.kinds("gated_deltanet") == cli_json("kinds", "gated_deltanet")


def test_load_gives_an_architecture_every_function_accepts():
    architecture = attnsim.load("llama-3-8b")
    assert attnsim.kv(architecture, context=[8192]) == attnsim.kv("llama-3-8b", context=[8192])
    assert attnsim.params(architecture) == attnsim.params("llama-3-8b")
    with pytest.raises(attnsim.InputError):
        attnsim.load("no-such-model")

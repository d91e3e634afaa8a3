"""attnsim from Python: the cost model and the reference kernels of the attnsim CLI, in-process.

Every function runs the attnsim command of the same name inside this process (through the
compiled module attnsim._core, built from the same C++ library as the CLI) and returns what that
command prints with ``--format json``, parsed into plain dicts and lists. The numbers therefore
cannot drift from the CLI's: they are the same code's.

    import attnsim
    attnsim.kv(["qwen3-next-80b-a3b", "llama-3-8b"], context=[4096, 131072], batch=1)
    arch = attnsim.load("llama-3-8b", set={"mixers.attn.n_kv_heads": 4})
    attnsim.params(arch)

Options are the command's long options with ``-`` written ``_`` (``kv_dtype="fp8"`` is
``--kv-dtype fp8``); a list is joined with commas, ``True`` passes a flag, ``None`` leaves the
option out. A mistake in the input raises InputError with the file, line, key, expected value,
found value and hint as attributes; anything else raises InternalError.
"""

import io
import json

__all__ = [
    "Architecture", "InputError", "InternalError", "compare", "compare_frame", "fit", "flops",
    "flops_frame", "kinds", "kv", "kv_frame", "layers", "load", "oracle", "params", "params_frame",
    "roofline", "roofline_frame", "version",
]


class InputError(ValueError):
    """A mistake in the input: an architecture file, a config.json, an option's value."""

    def __init__(self, message, file="", line=0, column=0, key="", expected="", found="",
                 hint=""):
        super().__init__(message)
        self.file = file or None
        self.line = line or None
        self.column = column or None
        self.key = key or None
        self.expected = expected or None
        self.found = found or None
        self.hint = hint or None


class InternalError(RuntimeError):
    """A broken invariant inside attnsim (a bug: please report it)."""


from . import _core  # noqa: E402  (the error classes above must exist before it raises them)

version = _core.version


class Architecture:
    """An architecture: a registry name or a file path, with key overrides.

    ``set`` maps key paths to values, as the CLI's ``--set key.path=value``; the overrides are
    checked when the object is made, with the same errors as a file.
    """

    def __init__(self, source, set=None):
        self.source = str(source)
        self.overrides = dict(set or {})
        # validate takes no --set (it checks a file as written); overrides are checked by
        # building the layer graph with them, as every other command does.
        _call("layers" if self.overrides else "validate", [self], {},
              "json" if self.overrides else None)

    def __repr__(self):
        extra = f", set={self.overrides!r}" if self.overrides else ""
        return f"attnsim.load({self.source!r}{extra})"


def load(name_or_path, set=None):
    """An Architecture by registry name or path (architecture YAML, config.json or snapshot)."""
    return Architecture(name_or_path, set)


def _option_text(value):
    if isinstance(value, (list, tuple)):
        return ",".join(_option_text(v) for v in value)
    return str(value)


def _sources(architectures):
    """Command-line words for the architectures, and the --set words they share."""
    if isinstance(architectures, (str, Architecture)):
        architectures = [architectures]
    words, override_sets = [], set()
    for architecture in architectures:
        if isinstance(architecture, Architecture):
            words.append(architecture.source)
            override_sets.add(tuple(sorted(architecture.overrides.items(), key=str)))
        else:
            words.append(str(architecture))
            override_sets.add(())
    if len(override_sets) > 1:
        raise InputError(
            "architectures: expected the same overrides (set=...) for every architecture of one "
            "call, found different ones (call the function once per architecture)",
            key="architectures", expected="the same overrides", found="different overrides",
            hint="call the function once per architecture")
    overrides = override_sets.pop() if override_sets else ()
    sets = []
    for key, value in overrides:
        sets += ["--set", f"{key}={_option_text(value)}"]
    return words, sets


def _call(command, architectures, options, output_format=None):
    words, sets = _sources(architectures)
    args = [command, *words, *sets]
    for name, value in options.items():
        if value is None or value is False:
            continue
        flag = "--" + name.replace("_", "-")
        args += [flag] if value is True else [flag, _option_text(value)]
    if output_format:
        args += ["--format", output_format]
    exit_code, text = _core.run(args)
    return exit_code, text


def _json(command, architectures, options):
    _, text = _call(command, architectures, options, "json")
    return json.loads(text)


def _frame(command, architectures, options):
    import pandas  # optional: only the *_frame functions need it

    _, text = _call(command, architectures, options, "csv")
    # The CSV writes large counts with thousands separators ("525,336,576", quoted) and leaves
    # a cell empty where a value does not apply; counts stay exact integers either way (Int64,
    # pandas' integer with missing values, rather than float64).
    frame = pandas.read_csv(io.StringIO(text), thousands=",")
    cells = pandas.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    for column in frame.columns:
        if frame[column].dtype.kind == "f" and cells[column].str.fullmatch(r"-?[0-9,]*").all():
            frame[column] = frame[column].astype("Int64")
    return frame


def kv(architectures, **options):
    """KV cache and recurrent state vs context and batch (``attnsim kv --format json``)."""
    return _json("kv", architectures, options)


def kv_frame(architectures, **options):
    """``kv`` as a pandas DataFrame, with the columns of ``attnsim kv --format csv``."""
    return _frame("kv", architectures, options)


def params(architecture, **options):
    """Total and active parameters by component (``attnsim params --format json``)."""
    return _json("params", architecture, options)


def flops(architecture, **options):
    """FLOPs of a prefill and of one decode step (``attnsim flops --format json``)."""
    return _json("flops", architecture, options)


def flops_frame(architecture, **options):
    """``flops`` as a pandas DataFrame, with the columns of ``attnsim flops --format csv``."""
    return _frame("flops", architecture, options)


def params_frame(architecture, **options):
    """``params`` as a pandas DataFrame, with the columns of ``attnsim params --format csv``."""
    return _frame("params", architecture, options)


def roofline(architecture, **options):
    """Decode and prefill time and bound on a GPU (``attnsim roofline --format json``)."""
    return _json("roofline", architecture, options)


def roofline_frame(architecture, **options):
    """``roofline`` as a pandas DataFrame, with the columns of ``attnsim roofline --format csv``."""
    return _frame("roofline", architecture, options)


def fit(architecture, **options):
    """Largest context or batch that fits on a GPU (``attnsim fit --format json``)."""
    return _json("fit", architecture, options)


def compare(architectures, **options):
    """Architectures side by side (``attnsim compare --format json``)."""
    return _json("compare", architectures, options)


def compare_frame(architectures, **options):
    """``compare`` as a pandas DataFrame, with the columns of ``attnsim compare --format csv``."""
    return _frame("compare", architectures, options)


def layers(architecture, **options):
    """The layer graph: pattern, layer kinds, instances and every layer
    (``attnsim layers --format json``)."""
    return _json("layers", architecture, options)


def kinds(kind=None):
    """Every mixer kind (or one): its fields, cache terms and forms (``attnsim kinds``)."""
    _, text = _core.run(["kinds", *([kind] if kind else []), "--format", "json"])
    return json.loads(text)


def oracle(mixer, form=None, dtype="float64", **inputs):
    """Runs a reference kernel on NumPy arrays; returns its outputs as a dict of arrays.

    ``inputs`` are the kernel's named tensors (``q=..., k=..., v=...``) and scalar parameters,
    as in a case folder's ``case.json``; validation and messages are those of ``attnsim oracle``.
    ``indexer_dtype="float64"`` (dsa, compressed_attn) runs the lightning indexer in float64 in a
    float32 run, as ``--indexer-dtype float64`` does.
    """
    from ._oracle import run_oracle

    return run_oracle(mixer, form, dtype, inputs)

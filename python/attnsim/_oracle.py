"""attnsim.oracle: NumPy arrays in, NumPy arrays out, through the oracle's case-folder path.

The arrays and scalars are laid out as a case folder (case.json and one .npy per tensor, the
format of mixers-spec §10) in a private temporary folder, `attnsim oracle` runs on it in-process,
and its .npy outputs are read back. Validation and messages are therefore exactly those of the
.npy path; the cost is one copy of each input through the file system.
"""

import json
import os
import tempfile

import numpy

from . import _core


def run_oracle(mixer, form, dtype, inputs):
    with tempfile.TemporaryDirectory(prefix="attnsim-oracle-") as folder:
        case_dir = os.path.join(folder, "case")
        out_dir = os.path.join(folder, "out")
        os.mkdir(case_dir)
        params, tensors = {}, {}
        for name, value in inputs.items():
            if isinstance(value, numpy.ndarray):
                numpy.save(os.path.join(case_dir, f"{name}.npy"), value)
                tensors[name] = {"file": f"{name}.npy"}
            else:
                params[name] = value
        with open(os.path.join(case_dir, "case.json"), "w") as case_file:
            json.dump({"mixer": mixer, "params": params, "inputs": tensors}, case_file)
        args = ["oracle", mixer, case_dir, "-o", out_dir, "--dtype", dtype]
        if form:
            args += ["--form", form]
        _core.run(args)
        return {
            entry[: -len(".npy")]: numpy.load(os.path.join(out_dir, entry))
            for entry in sorted(os.listdir(out_dir))
            if entry.endswith(".npy")
        }

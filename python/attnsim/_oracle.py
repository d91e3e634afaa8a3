"""attnsim.oracle: NumPy arrays in, NumPy arrays out, in memory.

The scalars (as JSON) and the arrays go to the oracle's driver as a case held in memory, and the
driver reads them with the validation and messages of a case folder's .npy path, naming the key
(``inputs.q``, ``params.T``). No file is written. A C-contiguous, aligned, native float64 array
(int64 for integer ones) is read where it is; any other is converted once by NumPy. The float64
and int64 outputs are the kernels' own buffers, not copied (README "From Python").
"""

import json

import numpy

from . import _core


def run_oracle(mixer, form, dtype, inputs):
    params, arrays = {}, {}
    for name, value in inputs.items():
        if isinstance(value, numpy.ndarray):
            arrays[name] = value
        else:
            params[name] = value.item() if isinstance(value, numpy.generic) else value
    return _core.oracle(mixer, form or "", dtype, json.dumps(params), arrays)

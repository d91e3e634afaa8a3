// attnsim._core, the compiled half of the Python module: runs an attnsim command in-process and
// returns what it printed, so that Python sees the numbers and JSON the CLI prints, from the same
// code. Mistakes in the input become attnsim.InputError (with file, line, key, expected, found
// and hint as attributes), everything else attnsim.InternalError; both classes live in
// python/attnsim/__init__.py.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <filesystem>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "cli/command.h"
#include "config/reader.h"
#include "core/error.h"
#include "core/precision.h"
#include "oracle/oracle.h"

namespace py = pybind11;

namespace {

const attnsim::cli::Command& find_command(const std::string& name) {
  std::vector<std::string> names;
  for (const auto& command : attnsim::cli::commands()) {
    if (command.name == name) return command;
    names.emplace_back(command.name);
  }
  throw attnsim::UserError({}, "command", "an attnsim command", "'" + name + "'",
                           attnsim::config::did_you_mean(name, names));
}

// Runs `attnsim <args...>`; returns its standard output. A command that reports failure through
// its exit code (diff: the inputs differ) returns the code with the output.
py::tuple run(const std::vector<std::string>& args) {
  if (args.empty()) throw attnsim::UserError("no command given");
  const auto& command = find_command(args.front());
  std::ostringstream out;
  int exit_code = 0;
  {
    py::gil_scoped_release release;
    exit_code = command.run({args.begin() + 1, args.end()}, out);
  }
  return py::make_tuple(exit_code, out.str());
}

// A NumPy array as attnsim's tensor of T, without a copy where the layout fits: a C-contiguous,
// aligned array of T in native byte order is viewed (core/tensor.h: read-only). Any other (another
// dtype, Fortran order, strides, unaligned, byte-swapped) is converted once by NumPy into a new
// array, viewed in turn. `held` keeps each viewed array alive until the call returns: a tensor
// must not outlive it.
template <class T>
attnsim::BasicTensor<T> tensor_of(const py::array& array, std::vector<py::array>& held) {
  constexpr int fits =
      py::array::c_style | py::array::forcecast | py::detail::npy_api::NPY_ARRAY_ALIGNED_;
  // The converting constructor keeps NumPy's error (a MemoryError) where ensure() would clear it.
  py::array_t<T, fits> typed(array);
  auto tensor = attnsim::BasicTensor<T>::view(
      std::vector<std::int64_t>(typed.shape(), typed.shape() + typed.ndim()), typed.data());
  held.push_back(std::move(typed));
  return tensor;
}

// A result as a NumPy array that takes over the tensor's buffer, not copied: the array's base is
// a capsule owning the buffer, deleted with the array.
template <class T>
py::array array_of(attnsim::BasicTensor<T>&& tensor) {
  auto values = std::make_unique<attnsim::Buffer<T>>(std::move(tensor.data).release());
  const T* first = values->data();
  py::capsule owner(values.get(), [](void* p) { delete static_cast<attnsim::Buffer<T>*>(p); });
  values.release();
  return py::array_t<T>(tensor.shape, first, owner);
}

// A float64 result narrowed to a new float32 array (dtype float32, as the .npy path writes it).
py::array float32_array_of(const attnsim::Tensor& tensor) {
  py::array_t<float> array(tensor.shape);
  std::copy(tensor.data.begin(), tensor.data.end(), array.mutable_data());
  return array;
}

// attnsim.oracle's kernel call: the params (JSON text) and the arrays (floating ones as float64,
// integer ones as int64: viewed, or converted once) make a case held in memory, which the
// oracle's driver reads with the same validation and messages as a case folder; the outputs come
// back as arrays over the kernels' buffers (float32 copies under dtype float32, as the .npy path
// writes them).
py::dict oracle(const std::string& mixer, const std::string& form, const std::string& dtype,
                const std::string& params_json, const py::dict& arrays) {
  // The indexer's dtype, where a kind has one, comes as the parameter `indexer_dtype`.
  attnsim::oracle::Settings settings{form, attnsim::precision_named("dtype", dtype), std::nullopt};
  std::vector<std::pair<std::string, attnsim::Tensor>> floats;
  std::vector<std::pair<std::string, attnsim::IndexTensor>> ints;
  std::vector<py::array> held;  // the arrays `floats` and `ints` view, released last
  for (const auto& [key, value] : arrays) {
    const std::string name = py::str(key);
    const auto array = py::array::ensure(value);
    const char kind = array ? array.dtype().kind() : '?';
    if (kind == 'f')
      floats.emplace_back(name, tensor_of<double>(array, held));
    else if (kind == 'i' || kind == 'u')
      ints.emplace_back(name, tensor_of<std::int64_t>(array, held));
    else
      throw attnsim::UserError({}, "inputs." + name, "a floating-point or integer NumPy array",
                               array ? "dtype " + std::string(py::str(array.dtype()))
                                     : std::string(py::str(py::type::of(value))));
  }
  attnsim::oracle::Outputs outputs;
  {
    // Without the GIL: the kernels read only the arrays in `held`, which this call keeps alive
    // (another Python thread writing into them meanwhile races, as with NumPy's own kernels).
    py::gil_scoped_release release;
    const attnsim::oracle::CaseFile c("attnsim.oracle(" + mixer + ")", params_json,
                                      std::move(floats), std::move(ints));
    outputs = attnsim::oracle::find_runner(mixer)(c, settings);
  }
  py::dict result;
  for (auto& [name, tensor] : outputs.floats)
    result[py::str(name)] = settings.precision == attnsim::Precision::float32
                                ? float32_array_of(tensor)
                                : array_of(std::move(tensor));
  for (auto& [name, tensor] : outputs.ints) result[py::str(name)] = array_of(std::move(tensor));
  return result;
}

void raise(const char* class_name, py::object instance) {
  const py::object type = py::module_::import("attnsim").attr(class_name);
  PyErr_SetObject(type.ptr(), instance.ptr());
}

void translate_errors(std::exception_ptr error) {
  try {
    if (error) std::rethrow_exception(error);
  } catch (const attnsim::UserError& e) {
    const py::object type = py::module_::import("attnsim").attr("InputError");
    raise("InputError", type(e.what(), e.where().file, e.where().line, e.where().column,
                             e.key_path(), e.expected(), e.found(), e.hint()));
  } catch (const py::error_already_set&) {
    throw;  // a Python exception (NumPy's MemoryError) stays what it is
  } catch (const py::builtin_exception&) {
    throw;  // pybind11's own (a wrong argument type), translated by pybind11
  } catch (const std::filesystem::filesystem_error& e) {
    const py::object type = py::module_::import("attnsim").attr("InputError");
    raise("InputError", type(e.what()));
  } catch (const std::exception& e) {
    const py::object type = py::module_::import("attnsim").attr("InternalError");
    raise("InternalError", type(e.what()));
  }
}

}  // namespace

PYBIND11_MODULE(_core, module) {
  module.doc() = "attnsim's commands, run in-process (use the attnsim package, not this module)";
  module.def("run", &run, py::arg("args"),
             "Runs `attnsim <args...>` in-process; returns (exit_code, standard output).");
  module.def("oracle", &oracle, py::arg("mixer"), py::arg("form"), py::arg("dtype"),
             py::arg("params_json"), py::arg("arrays"),
             "Runs a reference kernel on NumPy arrays held in memory (use attnsim.oracle).");
  module.attr("version") = ATTNSIM_VERSION;
  py::register_exception_translator(&translate_errors);
}

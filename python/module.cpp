// attnsim._core, the compiled half of the Python module: runs an attnsim command in-process and
// returns what it printed, so that Python sees the numbers and JSON the CLI prints, from the same
// code. Mistakes in the input become attnsim.InputError (with file, line, key, expected, found
// and hint as attributes), everything else attnsim.InternalError; both classes live in
// python/attnsim/__init__.py.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "cli/command.h"
#include "config/reader.h"
#include "core/error.h"

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
  module.attr("version") = ATTNSIM_VERSION;
  py::register_exception_translator(&translate_errors);
}

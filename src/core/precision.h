// The names of a reference run's arithmetic (Precision, core/tensor.h) as the oracle's options,
// case files, the Python module and the benchmark spell them: "float64" and "float32".
#pragma once

#include <string>

#include "core/error.h"
#include "core/tensor.h"

namespace attnsim {

inline const char* precision_name(Precision precision) {
  return precision == Precision::float32 ? "float32" : "float64";
}

// The precision named `value`, the value of `option`; a UserError naming the option otherwise.
inline Precision precision_named(const std::string& option, const std::string& value) {
  if (value != "float64" && value != "float32")
    throw UserError({}, option, "float64 or float32", "'" + value + "'");
  return value == "float32" ? Precision::float32 : Precision::float64;
}

}  // namespace attnsim

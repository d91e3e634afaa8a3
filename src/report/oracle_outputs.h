// The files of `attnsim oracle`: one .npy per output of a reference run, each written atomically.
#pragma once

#include <ostream>
#include <string>

#include "oracle/case_file.h"

namespace attnsim::report {

// Writes each output as OUT_DIR/<name>.npy (floats in the run's precision, indices as int64;
// the folder is created) and lists them on `out`.
void write_oracle_outputs(const oracle::Outputs& outputs, const std::string& out_dir,
                          Precision precision, std::ostream& out);

}  // namespace attnsim::report

// A kernel-oracle case (mixers-spec §10): `params` (scalars: sizes, scale, window, chunk_size,
// …) and named input tensors, from a case folder (case.json's `inputs`: name → {"file",
// optional "shape"}, and the .npy files they name) or held in memory (attnsim.oracle's NumPy
// arrays). Every read is validated the same way and fails as a UserError naming the origin
// (case.json, or the caller) and the key.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/op_counts.h"
#include "core/tensor.h"

namespace attnsim::oracle {

class CaseFile {
 public:
  explicit CaseFile(const std::string& dir);  // reads and parses DIR/case.json
  // A case in memory: `params_json` is the params object as JSON text; the inputs are taken
  // (moved out) by the reads below. `origin` names the case in messages.
  CaseFile(const std::string& origin, const std::string& params_json,
           std::vector<std::pair<std::string, Tensor>> floats,
           std::vector<std::pair<std::string, IndexTensor>> ints);
  ~CaseFile();
  CaseFile(const CaseFile&) = delete;
  CaseFile& operator=(const CaseFile&) = delete;

  std::int64_t size(const std::string& name) const;  // a positive integer param
  std::optional<std::int64_t> optional_size(const std::string& name) const;
  std::optional<double> number(const std::string& name) const;
  std::optional<bool> optional_flag(const std::string& name) const;
  std::optional<std::string> optional_text(const std::string& name) const;
  // [min, max] of numbers or "inf"; nullopt when absent or null.
  std::optional<std::pair<double, double>> optional_range(const std::string& name) const;

  bool has_input(const std::string& name) const;
  // A required float input whose shape must equal `axes` evaluated with the params: a comma
  // list of sums of products of integers, param names and parentheses ("B,Tq,H*(dn+dv)", "2D").
  Tensor floats(const std::string& name, const std::string& axes) const;
  IndexTensor ints(const std::string& name, const std::string& axes) const;  // int64 .npy

  [[noreturn]] void fail(const std::string& key, const std::string& expected,
                         const std::string& found) const;

 private:
  struct Data;
  std::unique_ptr<Data> data_;
};

struct Settings {
  std::string form;  // empty = the mixer's default
  Precision precision = Precision::float64;
  // The lightning indexer's arithmetic (`--indexer-dtype`), for kinds that declare the scalar
  // `indexer_dtype`; none: the case's params, else the run's precision.
  std::optional<Precision> indexer_precision;
};

struct Outputs {
  std::vector<std::pair<std::string, Tensor>> floats;
  std::vector<std::pair<std::string, IndexTensor>> ints;
  OpCounts counts;
  std::int64_t memory_elements = 0;  // KV cache or recurrent state held
};

}  // namespace attnsim::oracle

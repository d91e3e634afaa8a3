// `attnsim oracle`'s driver: fills a kind's reference signature from a case folder (scalars from
// case.json's params, tensors from the .npy files it names, shapes checked against the params)
// and runs one prefill of its session. Nothing here names a mixer kind.
#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <string_view>
#include <utility>

#include "core/error.h"
#include "core/precision.h"
#include "mixers/mixer.h"
#include "oracle/oracle.h"

namespace attnsim::oracle {

namespace {
using namespace reference;

void bind_scalar(const CaseFile& c, const ScalarSpec& spec, Binding& bound) {
  switch (spec.type) {
    case ScalarType::size:
      if (const auto value = c.optional_size(spec.name)) bound.set(spec.name, *value);
      return;
    case ScalarType::number:
      if (const auto value = c.number(spec.name)) bound.set(spec.name, *value);
      return;
    case ScalarType::flag:
      if (const auto value = c.optional_flag(spec.name)) bound.set(spec.name, *value);
      return;
    case ScalarType::range:
      if (const auto value = c.optional_range(spec.name)) bound.set(spec.name, *value);
      return;
    case ScalarType::text:
      if (const auto value = c.optional_text(spec.name)) {
        if (!spec.choices.empty() &&
            std::find(spec.choices.begin(), spec.choices.end(), *value) == spec.choices.end())
          c.fail("params." + spec.name, fmt::format("one of {}", fmt::join(spec.choices, ", ")),
                 "'" + *value + "'");
        bound.set(spec.name, *value);
      }
      return;
  }
}

// The scalars the signature declares, read until no new one appears (a composite's parts are
// declared once its `kind` choices are bound).
Binding bind_scalars(const Facet& facet, const CaseFile& c) {
  Binding bound;
  std::set<std::string> read;
  for (bool more = true; more;) {
    more = false;
    for (const ScalarSpec& spec : facet.signature(bound).scalars)
      if (read.insert(spec.name).second) {
        bind_scalar(c, spec, bound);
        more = true;
      }
  }
  return bound;
}

Tensors read_inputs(const Signature& signature, const Binding& bound, const CaseFile& c) {
  Tensors inputs;
  for (const TensorSpec& spec : signature.tensors) {
    if (spec.domain == Domain::positions) {
      if (c.has_input(spec.name)) inputs.add(spec.name, c.ints(spec.name, spec.axes));
      continue;
    }
    const bool needed = !spec.optional && (spec.unless.empty() ||
                                           !(c.has_input(spec.unless) || bound.has(spec.unless)));
    if (needed || c.has_input(spec.name)) inputs.add(spec.name, c.floats(spec.name, spec.axes));
  }
  return inputs;
}

bool declares(const Signature& signature, std::string_view scalar) {
  return std::any_of(signature.scalars.begin(), signature.scalars.end(),
                     [&](const ScalarSpec& spec) { return spec.name == scalar; });
}

// Settings::indexer_precision as the scalar `indexer_dtype`, which a kind declares where its
// case runs a lightning indexer (over the case's params); refused for any other case.
void set_indexer_dtype(const MixerKind& kind, Precision precision, Binding& bound) {
  if (!declares(kind.reference->signature(bound), "indexer_dtype")) {
    std::vector<std::string> with_indexer;
    for (const MixerKind& other : mixer_kinds())
      if (other.reference && declares(other.reference->signature(Binding{}), "indexer_dtype"))
        with_indexer.emplace_back(other.kind);
    throw UserError(
        {}, "--indexer-dtype",
        fmt::format("a case with a lightning indexer ({})", fmt::join(with_indexer, ", ")),
        fmt::format("this {} case, which runs none", kind.kind));
  }
  bound.set("indexer_dtype", precision_name(precision));
}

Outputs run_reference(const MixerKind& kind, const CaseFile& c, const Settings& settings) {
  const Facet& facet = *kind.reference;
  form_index(settings.form, kind.forms);
  Binding bound = bind_scalars(facet, c);
  if (settings.indexer_precision) set_indexer_dtype(kind, *settings.indexer_precision, bound);
  const Tensors inputs = read_inputs(facet.signature(bound), bound, c);
  const auto session = facet.open(bound, {settings.form, settings.precision, 0, true, false});
  Step step = session->prefill(inputs);
  Outputs outputs{std::move(step.outputs.floats), std::move(step.outputs.ints), step.counts, 0};
  for (const Kept& kept : session->kept()) outputs.memory_elements += kept.elements;
  return outputs;
}

}  // namespace

Runner find_runner(const std::string& mixer) {
  std::vector<std::string> names;
  for (const MixerKind& kind : mixer_kinds()) {
    if (kind.reference == nullptr) continue;  // a cost model only
    if (kind.kind == mixer ||
        (!kind.reference->oracle_alias.empty() && kind.reference->oracle_alias == mixer))
      return [&kind](const CaseFile& c, const Settings& s) { return run_reference(kind, c, s); };
    names.emplace_back(kind.kind);
    if (!kind.reference->oracle_alias.empty()) names.emplace_back(kind.reference->oracle_alias);
  }
  throw UserError({}, "mixer", fmt::format("one of {}", fmt::join(names, ", ")), "'" + mixer + "'");
}

}  // namespace attnsim::oracle

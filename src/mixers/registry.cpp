// The list of mixer kinds: adding a mixer adds its folder and one line here.
#include <fmt/format.h>

#include "config/document.h"
#include "config/reader.h"
#include "mixers/compressed_attn/mixer.h"
#include "mixers/delta_rule/gated_deltanet.h"
#include "mixers/delta_rule/kda.h"
#include "mixers/diff_attn/mixer.h"
#include "mixers/dsa/mixer.h"
#include "mixers/gated_attn/mixer.h"
#include "mixers/gmu/mixer.h"
#include "mixers/lightning/mixer.h"
#include "mixers/mamba1/mixer.h"
#include "mixers/mamba2/mixer.h"
#include "mixers/mamba3/mixer.h"
#include "mixers/mixer.h"
#include "mixers/mla/mixer.h"
#include "mixers/mlstm/mixer.h"
#include "mixers/parallel_hybrid/mixer.h"
#include "mixers/rg_lru/mixer.h"
#include "mixers/rwkv7/mixer.h"
#include "mixers/short_conv/mixer.h"
#include "mixers/softmax_attn/mixer.h"

namespace attnsim {

const std::vector<MixerKind>& mixer_kinds() {
  static const std::vector<MixerKind> kinds = {
      softmax_attn::kind_info(),
      gated_attn::kind_info(),
      mla::kind_info(),
      dsa::kind_info(),
      compressed_attn::kind_info(),
      diff_attn::kind_info(),
      gated_deltanet::kind_info(),
      kda::kind_info(),
      lightning::kind_info(),
      mamba1::kind_info(),
      mamba2::kind_info(),
      mamba3::kind_info(),
      gmu::kind_info(),
      parallel_hybrid::kind_info(),
      short_conv::kind_info(),
      rg_lru::kind_info(),
      rwkv7::kind_info(),
      mlstm::kind_info(),
  };
  return kinds;
}

std::vector<std::string> mixer_kind_names() {
  std::vector<std::string> names;
  for (const auto& kind : mixer_kinds()) names.emplace_back(kind.kind);
  return names;
}

const MixerKind* find_mixer_kind(std::string_view kind) {
  for (const auto& entry : mixer_kinds())
    if (entry.kind == kind) return &entry;
  return nullptr;
}

std::unique_ptr<Mixer> make_mixer(config::MapReader& reader) {
  const std::string kind = reader.required_string("kind");
  if (const MixerKind* entry = find_mixer_kind(kind)) {
    // The fields' mistakes and the unknown keys, all in one report.
    ErrorCollector errors;
    std::unique_ptr<Mixer> mixer;
    errors.attempt([&] {
      const FieldValues values(reader, *entry->fields);
      mixer = entry->from_fields(values);
    });
    errors.attempt([&] { reader.finish(); });
    errors.throw_if_any();
    return mixer;
  }
  throw UserError(reader.require("kind", "").where, reader.child_path("kind"), "a mixer kind",
                  fmt::format("'{}'", kind), config::did_you_mean(kind, mixer_kind_names()));
}

std::unique_ptr<Mixer> parse_mixer(const std::string& yaml) {
  const config::Node node = config::parse_document(yaml, "mixer instance");
  config::MapReader reader(node, "mixer");
  return make_mixer(reader);
}

}  // namespace attnsim

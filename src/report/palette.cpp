// Layer-kind colours. Sources: Paul Tol, "Colour Schemes" (SRON/EPS/TN/09-002, issue 3.2, 2021),
// https://personal.sron.nl/~pault/ — the "light" and "pale" schemes for fixed-size state, "vibrant"
// (and muted olive) for windows, "dark" and "muted" dark tones for growing KV. Every light colour
// has a relative luminance above 0.35, every window colour between 0.15 and 0.35 and every dark
// one below 0.1 (tested), so the tiers survive greyscale.
#include "report/palette.h"

#include <algorithm>
#include <iterator>

namespace attnsim::report {

namespace {
struct KindColour {
  const char* layer_kind;
  const char* colour;
};

constexpr KindColour kRecurrent[] = {
    {"gated_deltanet", "#77AADD"},  // light blue
    {"mamba2", "#EEDD88"},          // light yellow
    {"kda", "#99DDFF"},             // light cyan
    {"lightning", "#FFAABB"},       // pink
    {"mamba1", "#BBCC33"},          // pear
    {"mamba3", "#EE8866"},          // orange
    {"rg_lru", "#CCDDAA"},          // pale green
    {"rwkv7", "#DDDDDD"},           // pale grey
    {"mlstm", "#BBCCEE"},           // pale blue
    {"short_conv", "#FFCCCC"},      // pale red
    {"gmu", "#44BB99"},             // mint
};
constexpr KindColour kLocal[] = {
    {"sliding_attn", "#EE7733"},        // vibrant orange
    {"gated_sliding_attn", "#009988"},  // vibrant teal
    {"chunked_attn", "#EE3377"},        // vibrant magenta
    {"sliding_diff_attn", "#0077BB"},   // vibrant blue
    {"swa_mqa", "#999933"},             // muted olive
    {"", "#CC3311"},                    // vibrant red (spare)
};
constexpr KindColour kGlobal[] = {
    {"full_attn", "#222255"},        // dark blue
    {"mla", "#882255"},              // wine
    {"dsa", "#225555"},              // dark cyan
    {"gated_attn", "#000000"},       // black
    {"nope_attn", "#663333"},        // dark red
    {"parallel_hybrid", "#225522"},  // dark green
    {"diff_attn", "#332288"},        // indigo
    {"csa", "#115588"},              // dark steel blue (not Tol's: a darker tone of his blue)
    {"hca", "#663366"},              // dark plum (not Tol's: a darker tone of his purple)
    {"", "#555555"},                 // dark grey (spare)
};

template <std::size_t N>
std::string pick(const KindColour (&table)[N], const std::string& layer_kind,
                 const std::vector<std::string>& taken) {
  for (const auto& entry : table)
    if (layer_kind == entry.layer_kind) return entry.colour;
  for (const auto& entry : table)
    if (std::find(taken.begin(), taken.end(), entry.colour) == taken.end()) return entry.colour;
  return table[std::size(table) - 1].colour;  // more unknown kinds than spare colours
}
}  // namespace

std::string layer_kind_colour(const std::string& layer_kind, CacheGrowth growth,
                              const std::vector<std::string>& taken) {
  switch (growth) {
    case CacheGrowth::recurrent:
      return pick(kRecurrent, layer_kind, taken);
    case CacheGrowth::local:
      return pick(kLocal, layer_kind, taken);
    case CacheGrowth::global:
      return pick(kGlobal, layer_kind, taken);
  }
  return "#000000";
}

}  // namespace attnsim::report

// `attnsim oracle`: runs a mixer's reference execution on a case folder (case.json + .npy
// inputs, mixers-spec §10) and writes its outputs as .npy files, for checking GPU kernels.
#include <fmt/format.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <ostream>
#include <tuple>

#include "cli/options.h"
#include "core/error.h"
#include "core/npy.h"
#include "mixers/dsa/reference.h"
#include "mixers/gated_attn/reference.h"
#include "mixers/gated_deltanet/reference.h"
#include "mixers/kda/reference.h"
#include "mixers/lightning/reference.h"
#include "mixers/mamba2/reference.h"
#include "mixers/mla/reference.h"
#include "mixers/softmax_attn/reference.h"

namespace attnsim::cli {
namespace {

using nlohmann::json;

// A case folder: params (scalars) and inputs (name → {"file": ...}) of its case.json.
class CaseFile {
 public:
  explicit CaseFile(const std::string& dir)
      : dir_(dir), path_((std::filesystem::path(dir) / "case.json").string()) {
    std::ifstream in(path_);
    if (!in)
      throw UserError(SourceLocation{path_, 0, 0}, "", "a readable case.json", "no such file");
    try {
      const json doc = json::parse(in);
      params_ = doc.at("params");
      inputs_ = doc.at("inputs");
    } catch (const json::exception& error) {
      throw UserError(SourceLocation{path_, 0, 0}, "", "JSON with 'params' and 'inputs' objects",
                      error.what());
    }
  }

  std::int64_t size(const std::string& name) const {
    const json& value = param(name);
    if (!value.is_number_integer() || value.get<std::int64_t>() < 1)
      fail("params." + name, "a positive integer", value.dump());
    return value.get<std::int64_t>();
  }
  std::optional<double> number(const std::string& name) const {
    if (!params_.contains(name) || params_[name].is_null()) return std::nullopt;
    const json& value = params_[name];
    if (!value.is_number()) fail("params." + name, "a number", value.dump());
    return value.get<double>();
  }
  double number_or(const std::string& name, double fallback) const {
    return number(name).value_or(fallback);
  }
  std::optional<std::int64_t> optional_size(const std::string& name) const {
    if (!params_.contains(name) || params_[name].is_null()) return std::nullopt;
    return size(name);
  }
  bool flag_or(const std::string& name, bool fallback) const {
    if (!params_.contains(name)) return fallback;
    if (!params_[name].is_boolean()) fail("params." + name, "true or false", params_[name].dump());
    return params_[name].get<bool>();
  }
  std::string text_or(const std::string& name, const std::string& fallback) const {
    if (!params_.contains(name)) return fallback;
    if (!params_[name].is_string()) fail("params." + name, "a string", params_[name].dump());
    return params_[name].get<std::string>();
  }
  const json* optional_param(const std::string& name) const {
    return params_.contains(name) && !params_[name].is_null() ? &params_[name] : nullptr;
  }

  bool has_input(const std::string& name) const { return inputs_.contains(name); }
  // Required input whose shape must equal `axes` evaluated with the params ("B,Tq,H*(dn+dv)").
  Tensor floats(const std::string& name, const std::string& axes) const {
    return read_npy_float(file_of(name), expected_shape(name, axes));
  }
  Tensor floats_if_given(const std::string& name, const std::string& axes) const {
    return has_input(name) ? floats(name, axes) : Tensor();
  }
  std::vector<std::int64_t> positions_if_given(const std::string& name,
                                               const std::string& axes) const {
    return has_input(name) ? read_npy_int(file_of(name), expected_shape(name, axes)).data
                           : std::vector<std::int64_t>{};
  }

  [[noreturn]] void fail(const std::string& key, const std::string& expected,
                         const std::string& found) const {
    throw UserError(SourceLocation{path_, 0, 0}, key, expected, found);
  }

 private:
  const json& param(const std::string& name) const {
    if (!params_.contains(name))
      fail("params." + name, "a value (required by this mixer)", "nothing");
    return params_[name];
  }
  std::string file_of(const std::string& name) const {
    if (!has_input(name)) fail("inputs." + name, "an input entry", "nothing");
    const json& entry = inputs_[name];
    if (!entry.contains("file") || !entry["file"].is_string())
      fail("inputs." + name + ".file", "a file name", entry.dump());
    return (std::filesystem::path(dir_) / entry["file"].get<std::string>()).string();
  }
  std::vector<std::int64_t> expected_shape(const std::string& name, const std::string& axes) const {
    std::vector<std::int64_t> shape;
    for (std::size_t start = 0; start < axes.size();) {
      const std::size_t comma = std::min(axes.find(',', start), axes.size());
      std::size_t pos = 0;
      shape.push_back(axis_sum(axes.substr(start, comma - start), pos));
      start = comma + 1;
    }
    const json& declared = inputs_[name];
    if (declared.contains("shape") && declared["shape"].get<std::vector<std::int64_t>>() != shape) {
      fail("inputs." + name + ".shape",
           "shape " + shape_string(shape) + " (" + axes + " from params)",
           declared["shape"].dump());
    }
    return shape;
  }
  // Axis expressions: sums of products of integers, param names and parentheses ("2D",
  // "H*(dn+dv)").
  std::int64_t axis_sum(const std::string& text, std::size_t& pos) const {
    std::int64_t value = axis_product(text, pos);
    while (pos < text.size() && text[pos] == '+') value += axis_product(text, ++pos);
    return value;
  }
  std::int64_t axis_product(const std::string& text, std::size_t& pos) const {
    std::int64_t value = axis_factor(text, pos);
    while (pos < text.size() &&
           (text[pos] == '*' || std::isalpha(static_cast<unsigned char>(text[pos])) ||
            text[pos] == '(')) {
      if (text[pos] == '*') ++pos;
      value *= axis_factor(text, pos);
    }
    return value;
  }
  std::int64_t axis_factor(const std::string& text, std::size_t& pos) const {
    if (pos < text.size() && text[pos] == '(') {
      const std::int64_t value = axis_sum(text, ++pos);
      ++pos;  // ')'
      return value;
    }
    const std::size_t begin = pos;
    if (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) {
      while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) ++pos;
      return std::stoll(text.substr(begin, pos - begin));
    }
    while (pos < text.size() &&
           (std::isalnum(static_cast<unsigned char>(text[pos])) || text[pos] == '_'))
      ++pos;
    return size(text.substr(begin, pos - begin));
  }

  std::string dir_, path_;
  json params_, inputs_;
};

struct Settings {
  std::string form;  // empty = the mixer's default
  Precision precision = Precision::float64;
};

struct Outputs {
  std::vector<std::pair<std::string, Tensor>> floats;
  std::vector<std::pair<std::string, IndexTensor>> ints;
  OpCounts counts;
  std::int64_t memory_elements = 0;  // KV cache or recurrent state held
};

// The chosen form's position in `forms`; forms[0] is the default.
std::size_t choose_form(const Settings& settings, const std::vector<std::string>& forms) {
  if (settings.form.empty()) return 0;
  for (std::size_t i = 0; i < forms.size(); ++i) {
    if (forms[i] == settings.form) return i;
  }
  throw UserError({}, "--form", fmt::format("one of {}", fmt::join(forms, ", ")),
                  "'" + settings.form + "'");
}

Outputs softmax_attn_oracle(const CaseFile& c, const Settings& settings) {
  choose_form(settings, {"blocked"});
  softmax_attn::Options options;
  options.scale = c.number("scale");
  options.window = c.optional_size("window");
  options.precision = settings.precision;
  const auto r = softmax_attn::run(
      {c.floats("q", "B,Tq,Hq,D"), c.floats("k", "B,Tk,Hkv,D"), c.floats("v", "B,Tk,Hkv,Dv"),
       c.positions_if_given("q_positions", "Tq"), c.positions_if_given("k_positions", "Tk")},
      options);
  return {{{"o", r.o}, {"lse", r.lse}}, {}, r.counts, r.cache_elements};
}

Outputs gated_attn_oracle(const CaseFile& c, const Settings& settings) {
  choose_form(settings, {"blocked"});
  gated_attn::Options options;
  options.rope_theta = c.number_or("rope_theta", c.number_or("theta", options.rope_theta));
  options.partial_rotary_factor =
      c.number_or("partial_rotary_factor", options.partial_rotary_factor);
  options.eps = c.number_or("eps", options.eps);
  options.scale = c.number("scale");
  options.window = c.optional_size("window");
  options.precision = settings.precision;
  const auto r = gated_attn::run(
      {c.floats("q_and_gate", "B,Tq,Hq,2D"), c.floats("k", "B,Tk,Hkv,D"),
       c.floats("v", "B,Tk,Hkv,D"), c.floats("q_norm_weight", "D"), c.floats("k_norm_weight", "D"),
       c.positions_if_given("q_positions", "Tq"), c.positions_if_given("k_positions", "Tk")},
      options);
  return {{{"o", r.o},
           {"o_ungated", r.o_ungated},
           {"lse", r.lse},
           {"q_rot", r.q_rot},
           {"k_rot", r.k_rot}},
          {},
          r.counts,
          r.cache_elements};
}

mixers::RopeStyle rope_style_of(const CaseFile& c, const std::string& key,
                                const std::string& fallback) {
  const std::string style = c.text_or(key, fallback);
  if (style == "interleaved") return mixers::RopeStyle::interleaved;
  if (style == "half") return mixers::RopeStyle::half_split;
  c.fail("params." + key, "'interleaved' or 'half'", "'" + style + "'");
}

mla::Inputs mla_inputs(const CaseFile& c) {
  mla::Inputs in{c.floats("q_nope", "B,Tq,H,dn"),
                 c.floats("q_pe", "B,Tq,H,dr"),
                 c.floats("c_kv", "B,Tk,dc"),
                 c.floats("k_pe", "B,Tk,dr"),
                 Tensor(),
                 Tensor(),
                 c.positions_if_given("q_positions", "Tq"),
                 c.positions_if_given("k_positions", "Tk")};
  if (c.has_input("w_uk")) {
    in.w_uk = c.floats("w_uk", "H,dn,dc");
    in.w_uv = c.floats("w_uv", "H,dv,dc");
  } else {
    std::tie(in.w_uk, in.w_uv) = mla::split_wkv_b(c.floats("w_kv_b", "H*(dn+dv),dc"), c.size("H"),
                                                  c.size("dn"), c.size("dv"));
  }
  return in;
}

mla::Options mla_options(const CaseFile& c, const Settings& settings) {
  mla::Options options;
  options.form =
      choose_form(settings, {"absorbed", "naive"}) == 0 ? mla::Form::absorbed : mla::Form::naive;
  options.mscale = c.number_or("mscale", 1.0);
  options.scale = c.number("scale");
  options.rope_theta = c.number_or("rope_theta", options.rope_theta);
  options.rope_style = rope_style_of(c, "rope_style", "interleaved");
  options.use_rope = !c.flag_or("use_nope", false);
  options.precision = settings.precision;
  return options;
}

Outputs mla_oracle(const CaseFile& c, const Settings& settings) {
  // `o` comes from the chosen form; `o_absorbed` always from the absorbed one (as the examples).
  mla::Options options = mla_options(c, settings);
  const mla::Inputs inputs = mla_inputs(c);
  const auto r = mla::run(inputs, options);
  options.form = mla::Form::absorbed;
  const Tensor o_absorbed =
      options.form == mla_options(c, settings).form ? r.o : mla::run(inputs, options).o;
  return {{{"o", r.o},
           {"o_absorbed", o_absorbed},
           {"lse", r.lse},
           {"q_pe_rot", r.q_pe_rot},
           {"k_pe_rot", r.k_pe_rot}},
          {},
          r.counts,
          r.cache_elements};
}

Outputs dsa_oracle(const CaseFile& c, const Settings& settings) {
  if (c.text_or("index_rope_style", "half") != "half" ||
      c.text_or("index_layout", "rope_first") != "rope_first") {
    c.fail("params.index_rope_style/index_layout",
           "'half' RoPE with 'rope_first' layout (mixers-spec §3)",
           c.text_or("index_rope_style", "half") + ", " + c.text_or("index_layout", "rope_first"));
  }
  const dsa::IndexerInputs indexer{c.floats("index_q", "B,Tq,HI,dI"),
                                   c.floats("index_k", "B,Tk,dI"), c.floats("index_w", "B,Tq,HI"),
                                   c.positions_if_given("q_positions", "Tq"),
                                   c.positions_if_given("k_positions", "Tk")};
  dsa::IndexerOptions index_options;
  index_options.topk = c.size("topk");
  index_options.index_scale = c.number("index_scale");
  index_options.weight_scale = c.number("weight_scale");
  index_options.rope_dim = static_cast<std::int64_t>(c.number_or("index_rope_dim", 0));
  index_options.rope_theta = c.number_or("rope_theta", index_options.rope_theta);
  // --form masked (default, V3.2 prefill) or gathered (only the selected keys are multiplied).
  const bool gathered = choose_form(settings, {"masked", "gathered"}) == 1;
  const std::string attention = c.text_or("attention", "generic");
  dsa::Result r;
  if (attention == "mla") {
    mla::Options options = mla_options(c, Settings{"", settings.precision});
    options.gather_selected_keys = gathered;
    r = dsa::run_on_mla(indexer, index_options, mla_inputs(c), options);
  } else if (attention == "generic") {
    softmax_attn::Options options;
    options.scale = c.number("scale");
    options.precision = settings.precision;
    options.gather_selected_keys = gathered;
    r = dsa::run_on_attention(indexer, index_options,
                              {c.floats("q", "B,Tq,H,D"),
                               c.floats("k", "B,Tk,Hkv,D"),
                               c.floats("v", "B,Tk,Hkv,Dv"),
                               {},
                               {}},
                              options);
  } else {
    c.fail("params.attention", "'generic' or 'mla'", "'" + attention + "'");
  }
  return {{{"o", r.o},
           {"lse", r.lse},
           {"index_q_rot", r.selection.index_q_rot},
           {"index_k_rot", r.selection.index_k_rot},
           {"index_scores", r.selection.index_scores}},
          {{"topk_indices", r.selection.topk_indices}, {"selected", r.selection.selected}},
          r.counts,
          r.cache_elements};
}

std::int64_t chunk_size_of(const CaseFile& c) {
  return c.optional_size("chunk_size").value_or(c.optional_size("chunk").value_or(64));
}

Outputs delta_rule_oracle(const CaseFile& c, const Settings& settings, mixers::GateKind gate) {
  mixers::DeltaRuleOptions options;
  options.form = choose_form(settings, {"chunked", "recurrent"}) == 0
                     ? mixers::DeltaRuleForm::chunked
                     : mixers::DeltaRuleForm::recurrent;
  options.chunk_size = chunk_size_of(c);
  options.scale = c.number("scale");
  options.use_qk_l2norm = c.flag_or("use_qk_l2norm", true);
  options.l2norm_eps = c.number_or("l2norm_eps", options.l2norm_eps);
  options.precision = settings.precision;
  const auto r = mixers::run_delta_rule(
      {c.floats("q", "B,T,H,K"), c.floats("k", "B,T,H,K"), c.floats("v", "B,T,HV,V"),
       c.floats("g", gate == mixers::GateKind::scalar ? "B,T,HV" : "B,T,HV,K"),
       c.floats("beta", "B,T,HV"), c.floats_if_given("initial_state", "B,HV,K,V")},
      options, gate);
  return {{{"o", r.o}, {"final_state", r.final_state}}, {}, r.counts, r.state_elements};
}

Outputs gated_deltanet_oracle(const CaseFile& c, const Settings& s) {
  return delta_rule_oracle(c, s, mixers::GateKind::scalar);
}
Outputs kda_oracle(const CaseFile& c, const Settings& s) {
  return delta_rule_oracle(c, s, mixers::GateKind::per_channel);
}

// g_γ from the g_gamma input, or from params.slopes ("minimax", "ling", "fla"), layer_idx,
// n_layers.
Tensor lightning_decays(const CaseFile& c) {
  if (c.has_input("g_gamma")) return c.floats("g_gamma", "H");
  const std::string slopes = c.text_or("slopes", "");
  const std::int64_t H = c.size("H"),
                     layer = static_cast<std::int64_t>(c.number_or("layer_idx", 0));
  const std::int64_t n_layers = c.size("n_layers");
  Tensor g({H});
  if (slopes == "minimax")
    g.data = lightning::minimax_slopes(H, layer, n_layers);
  else if (slopes == "ling")
    g.data = lightning::ling_slopes(H, layer, n_layers);
  else if (slopes == "fla")
    g.data = lightning::fla_slopes(H, layer, n_layers);
  else
    c.fail("inputs.g_gamma", "a g_gamma input or params.slopes minimax|ling|fla",
           "'" + slopes + "'");
  return g;
}

Outputs lightning_oracle(const CaseFile& c, const Settings& settings) {
  lightning::Options options;
  options.form = choose_form(settings, {"chunked", "recurrent"}) == 0 ? lightning::Form::chunked
                                                                      : lightning::Form::recurrent;
  options.chunk_size = chunk_size_of(c);
  options.scale = c.number("scale");
  options.precision = settings.precision;
  const auto r =
      lightning::run({c.floats("q", "B,T,H,K"), c.floats("k", "B,T,H,K"), c.floats("v", "B,T,H,V"),
                      lightning_decays(c), c.floats_if_given("initial_state", "B,H,K,V")},
                     options);
  return {{{"o", r.o}, {"final_state", r.final_state}}, {}, r.counts, r.state_elements};
}

// params.dt_limit = [min, max] ("inf" allowed); absent means mamba_ssm's default (0, ∞).
std::pair<double, double> dt_limit_of(const CaseFile& c) {
  const json* limit = c.optional_param("dt_limit");
  if (!limit) return {0.0, std::numeric_limits<double>::infinity()};
  const auto bound = [&](const json& value) {
    if (value.is_number()) return value.get<double>();
    if (value == "inf") return std::numeric_limits<double>::infinity();
    c.fail("params.dt_limit", "[min, max] of numbers or \"inf\"", limit->dump());
  };
  if (!limit->is_array() || limit->size() != 2)
    c.fail("params.dt_limit", "[min, max]", limit->dump());
  return {bound((*limit)[0]), bound((*limit)[1])};
}

Outputs mamba2_oracle(const CaseFile& c, const Settings& settings) {
  mamba2::Options options;
  options.form = choose_form(settings, {"chunked", "recurrent"}) == 0 ? mamba2::Form::chunked
                                                                      : mamba2::Form::recurrent;
  options.chunk_size = chunk_size_of(c);
  options.dt_softplus = c.flag_or("dt_softplus", true);
  std::tie(options.dt_min, options.dt_max) = dt_limit_of(c);
  options.precision = settings.precision;
  const auto r =
      mamba2::run({c.floats("x", "B,T,H,P"), c.floats("dt", "B,T,H"), c.floats("dt_bias", "H"),
                   c.floats("A", "H"), c.floats("Bm", "B,T,G,N"), c.floats("Cm", "B,T,G,N"),
                   c.floats("D", "H"), c.floats_if_given("initial_state", "B,H,P,N")},
                  options);
  return {{{"y", r.y}, {"final_state", r.final_state}, {"dt_discretized", r.dt_discretized}},
          {},
          r.counts,
          r.state_elements};
}

using Oracle = Outputs (*)(const CaseFile&, const Settings&);

Oracle find_oracle(const std::string& mixer) {
  static const std::vector<std::pair<std::string, Oracle>> table = {
      {"softmax_attn", &softmax_attn_oracle},
      {"mla", &mla_oracle},
      {"dsa", &dsa_oracle},
      {"gated_attn", &gated_attn_oracle},
      {"gated_deltanet", &gated_deltanet_oracle},
      {"kda", &kda_oracle},
      {"lightning", &lightning_oracle},
      {"mamba2_ssd", &mamba2_oracle},
      {"mamba2", &mamba2_oracle}};
  std::vector<std::string> names;
  for (const auto& [name, oracle] : table) {
    if (name == mixer) return oracle;
    names.push_back(name);
  }
  throw UserError({}, "mixer", fmt::format("one of {}", fmt::join(names, ", ")), "'" + mixer + "'");
}

void write_outputs(const Outputs& outputs, const std::string& out_dir, Precision precision,
                   std::ostream& out) {
  std::filesystem::create_directories(out_dir);
  const NpyDType dtype = precision == Precision::float32 ? NpyDType::float32 : NpyDType::float64;
  for (const auto& [name, tensor] : outputs.floats) {
    write_npy((std::filesystem::path(out_dir) / (name + ".npy")).string(), tensor, dtype);
    out << fmt::format("wrote {}.npy {}\n", name, shape_string(tensor.shape));
  }
  for (const auto& [name, tensor] : outputs.ints) {
    write_npy((std::filesystem::path(out_dir) / (name + ".npy")).string(), tensor);
    out << fmt::format("wrote {}.npy {}\n", name, shape_string(tensor.shape));
  }
}

}  // namespace

int run_oracle(const CommandArgs& args, std::ostream& out) {
  po::options_description options("Options");
  options.add_options()("help,h", "show this help")("output,o", po::value<std::string>(),
                                                    "folder for the output .npy files (created)")(
      "form", po::value<std::string>(), "algorithm form, e.g. chunked|recurrent, absorbed|naive")(
      "dtype", po::value<std::string>()->default_value("float64"),
      "arithmetic: float64 or float32");
  const auto vm = parse_options("oracle", args, options, "arguments");
  const std::string synopsis = "MIXER CASE_DIR -o OUT_DIR [--form NAME] [--dtype float32|float64]";
  if (vm.count("help")) {
    out << usage("oracle", synopsis, options);
    return 0;
  }
  const auto positional = vm.count("arguments") ? vm["arguments"].as<std::vector<std::string>>()
                                                : std::vector<std::string>{};
  if (positional.size() != 2)
    throw UserError({}, "oracle", "MIXER CASE_DIR", fmt::format("{} arguments", positional.size()));
  if (!vm.count("output")) throw UserError({}, "--output", "an output folder (-o OUT_DIR)", "none");
  Settings settings;
  if (vm.count("form")) settings.form = vm["form"].as<std::string>();
  const std::string dtype = vm["dtype"].as<std::string>();
  if (dtype != "float64" && dtype != "float32")
    throw UserError({}, "--dtype", "float64 or float32", "'" + dtype + "'");
  settings.precision = dtype == "float32" ? Precision::float32 : Precision::float64;
  const Oracle oracle = find_oracle(positional[0]);
  const Outputs outputs = oracle(CaseFile(positional[1]), settings);
  write_outputs(outputs, vm["output"].as<std::string>(), settings.precision, out);
  out << fmt::format("core FLOPs {} (measured), memory held {} elements\n",
                     total_flops(outputs.counts.flops()), outputs.memory_elements);
  return 0;
}

}  // namespace attnsim::cli

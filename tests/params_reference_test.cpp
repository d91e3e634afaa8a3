// Holds every shipped architecture whose config is in hf-configs/ to the model Hugging Face
// transformers 5.17 builds from that config (../shared/reference/transformers-5.17/params.json,
// counted on PyTorch's meta device): the total exactly, and by component — embeddings, position
// table, lm head, attention mixers, recurrent mixers, FFN, norms — each summed from transformers'
// per-tensor counts. And `import-hf` of each such config, which reads the same keys transformers
// does, must count what transformers counts, to the parameter.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "config/document.h"
#include "cost/params.h"
#include "graph/load.h"
#include "import/hf_config.h"
#include "import/hf_tensor_names.h"
#include "import/importer.h"
#include "tests/reference_dir.h"

namespace attnsim {

namespace {
using Components = std::map<std::string, std::uint64_t>;

const nlohmann::json& transformers_counts() {
  static const nlohmann::json models = [] {
    std::ifstream in(testing::reference_dir() / "transformers-5.17" / "params.json");
    REQUIRE(in.good());
    return nlohmann::json::parse(in).at("models");
  }();
  return models;
}

bool starts_with_any(const std::string& text, std::initializer_list<std::string_view> prefixes) {
  for (const auto prefix : prefixes)
    if (text.starts_with(prefix)) return true;
  return false;
}

// The component of one transformers tensor name ("model.layers.*.self_attn.q_proj.weight"). A
// layer's child module is its mixer, its FFN or one of its norms; Nemotron-H names every block
// "mixer", so there the FFN is told apart by its tensors.
std::string component_of(const std::string& name) {
  if (name == "lm_head.weight") return "lm head";
  if (starts_with_any(name, {"model.embed_tokens.", "model.embeddings.", "transformer.wte."}))
    return "embeddings";
  if (name.starts_with("transformer.wpe.")) return "positions";
  std::string rest;
  for (const std::string_view prefix : {"model.layers.*.", "transformer.h.*."})
    if (name.starts_with(prefix)) rest = name.substr(prefix.size());
  if (rest.empty()) return "norms";  // model.norm, norm_f, final_layernorm, transformer.ln_f
  const std::string module = rest.substr(0, rest.find('.'));
  const std::string leaf = rest.substr(module.size() + 1);
  if (module.find("norm") != std::string::npos || module.starts_with("ln_")) return "norms";
  if (module == "mlp" || module == "feed_forward") return "ffn";
  if (module == "mixer" &&
      starts_with_any(leaf, {"experts.", "shared_experts.", "gate.", "up_proj.", "down_proj.",
                             "fc1_latent_proj.", "fc2_latent_proj."}))
    return "ffn";
  if (module == "linear_attn" || module == "mamba") return "recurrent mixers";
  if (module == "mixer")
    return starts_with_any(leaf, {"q_proj.", "k_proj.", "v_proj.", "o_proj."}) ? "attention mixers"
                                                                               : "recurrent mixers";
  // Kimi Linear's KDA layers are "self_attn" too, with q/k/v/o projections named as MLA's:
  // there the two kinds are only compared together.
  if (starts_with_any(leaf,
                      {"b_proj.", "conv1d.", "forget_gate.", "g_a_proj.", "g_b_proj.", "o_norm."}))
    return "recurrent mixers";
  return "attention mixers";
}

Components transformers_components(const nlohmann::json& model) {
  Components components;
  for (const auto& [name, count] : model.at("by_tensor").items())
    components[component_of(name)] += count.get<std::uint64_t>();
  return components;
}

// attnsim's rows by the same components: layer kinds of linear/SSM mixers are recurrent.
Components attnsim_components(const ParamReport& report) {
  const std::set<std::string> recurrent = {"gated_deltanet", "kda", "lightning", "mamba2",
                                           "mamba1"};
  Components components;
  for (const ParamRow& row : report.rows) {
    std::string component;
    if (row.group == "ffn") {
      component = "ffn";
    } else if (row.group != "model") {
      component = recurrent.contains(row.group) ? "recurrent mixers" : "attention mixers";
    } else if (row.component.find("norm") != std::string::npos) {
      component = "norms";
    } else if (row.component == "lm head") {
      component = "lm head";
    } else if (row.component == "position embeddings") {
      component = "positions";
    } else {
      component = "embeddings";
    }
    components[component] += row.total;
  }
  return components;
}

// Where the two kinds share tensor names (Kimi Linear), one "mixers" component.
void merge_mixers(Components& components) {
  components["mixers"] = components["attention mixers"] + components["recurrent mixers"];
  components.erase("attention mixers");
  components.erase("recurrent mixers");
}

// "ffn 123, norms 45": the nonzero components, so that a failed check shows them.
std::string listed(const Components& components) {
  std::string text;
  for (const auto& [name, count] : components)
    if (count > 0) text += fmt::format("{}{} {}", text.empty() ? "" : ", ", name, count);
  return text;
}

std::string config_stem(const Architecture& architecture) {
  const std::string& cited = architecture.source.config;
  if (!cited.starts_with("hf-configs/") || !cited.ends_with(".json")) return {};
  return cited.substr(11, cited.size() - 11 - 5);
}
}  // namespace

TEST_CASE("model_params equals transformers' count for every architecture with a config") {
  const nlohmann::json& models = transformers_counts();
  std::size_t exact = 0;
  for (const auto& file : list_architecture_files()) {
    const Architecture architecture = load_architecture_file(file);
    const std::string stem = config_stem(architecture);
    if (stem.empty() || !models.contains(stem)) continue;
    const nlohmann::json& model = models.at(stem);
    if (!model.contains("total")) continue;  // transformers cannot build it (Sarvam, Kimi K2, ...)
    CAPTURE(file.filename().string());
    const ParamReport report = model_params(architecture);
    std::uint64_t expected = model.at("total").get<std::uint64_t>();
    Components expected_components = transformers_components(model);

    if (stem == "qwen3-4b") {
      // The copy lacks tie_word_embeddings, so transformers builds an untied head; the released
      // checkpoint ties it (README there): one 151,936 × 2,560 table less.
      expected -= 151'936ULL * 2'560;
      CHECK(expected == 4'022'468'096ULL);
      expected_components.erase("lm head");
    } else if (stem == "bamba-9b") {
      // The partial copy lacks vocab_size: transformers takes BambaConfig's 128,000. The released
      // config (ibm-fms/Bamba-9B, cited in the file) has 128,256: two untied tables of 256 more
      // rows of D 4096.
      const std::uint64_t extra_rows = 128'256 - 128'000;
      expected += 2 * extra_rows * 4096;
      expected_components["embeddings"] += extra_rows * 4096;
      expected_components["lm head"] += extra_rows * 4096;
    } else if (stem == "nemotron-h-8b-base-8k") {
      // A partial copy: transformers fills the missing widths with NemotronHConfig defaults (an
      // MoE, 1,968,355,712). The released model, by hand from the file's cited dimensions
      // (D 4096, vocab 131072 untied; 24 Mamba-2 layers of 128 heads × 64, 8 groups, state
      // 128, conv 4; 4 attention layers of 32 × 128 with 8 kv heads; 24 MLPs of 21504, relu2):
      const std::uint64_t d = 4096, d_inner = 128 * 64, bc = 2 * 8 * 128, heads = 128;
      const std::uint64_t mamba = d * (2 * d_inner + bc + heads)  // in_proj: z, x, B, C, dt
                                  + (d_inner + bc) * (4 + 1)      // conv weight and bias
                                  + 3 * heads                     // A_log, D, dt_bias
                                  + d_inner                       // gated RMSNorm
                                  + d_inner * d;                  // out_proj
      const std::uint64_t attention = d * (32 * 128 + 2 * 8 * 128) + 32 * 128 * d;
      const std::uint64_t mlp = 2 * d * 21504;
      expected = 2 * 131072 * d + 24 * mamba + 4 * attention + 24 * mlp + (52 + 1) * d;
      CHECK(expected == 8'100'852'736ULL);
      CHECK(report.total == expected);
      continue;  // no per-tensor counts of the released model to compare components with
    }
    CHECK(report.total == expected);
    if (report.total == expected) ++exact;

    Components actual = attnsim_components(report);
    if (stem == "qwen3-4b") actual.erase("lm head");
    if (stem.starts_with("kimi-linear")) {
      merge_mixers(actual);
      merge_mixers(expected_components);
    }
    CHECK(listed(actual) == listed(expected_components));

    // Active: everything but the untied input table and the routed experts a token skips.
    std::uint64_t routed = 0;
    for (const auto& [name, count] : model.at("by_tensor").items())
      if (name.find(".experts.") != std::string::npos) routed += count.get<std::uint64_t>();
    std::set<std::pair<std::uint64_t, std::uint64_t>> routings;
    for (const auto& [name, ffn] : architecture.ffns)
      if (ffn->kind == FfnKind::moe) routings.insert({ffn->n_experts, ffn->top_k});
    if (routings.size() <= 1) {
      std::uint64_t skipped = 0;
      if (!routings.empty()) {
        const auto [experts, top_k] = *routings.begin();
        REQUIRE(routed % experts == 0);
        skipped = routed / experts * (experts - top_k);
      }
      // Lookups: the input table (unless it is also the lm head) and a learned position table.
      const std::uint64_t lookups =
          (architecture.dims.tied_embeddings ? 0 : expected_components["embeddings"]) +
          expected_components["positions"];
      CHECK(report.active == expected - lookups - skipped);
    }
  }
  MESSAGE(fmt::format("{} architectures exact against transformers 5.17", exact));
  CHECK(exact >= 32);
}

TEST_CASE("transformers_tensors: every name and size as transformers builds the model") {
  const nlohmann::json& models = transformers_counts();
  std::size_t exact = 0;
  for (const auto& file : list_architecture_files()) {
    const Architecture architecture = load_architecture_file(file);
    CAPTURE(file.filename().string());
    const std::vector<import::NamedTensor> tensors = import::transformers_tensors(architecture);
    // The tensors add up to model_params' total, the buffers to its checkpoint extras.
    const ParamReport report = model_params(architecture);
    std::uint64_t params = 0, stored = 0;
    for (const auto& tensor : tensors) (tensor.stored ? stored : params) += tensor.elements;
    CHECK(params == report.total);
    CHECK(stored == report.stored_total);

    const std::string stem = config_stem(architecture);
    if (stem.empty() || !models.contains(stem) || !models.at(stem).contains("total")) continue;
    if (stem == "nemotron-h-8b-base-8k") continue;  // a partial copy (see the test above)
    Components expected;
    for (const auto& [name, count] : models.at(stem).at("by_tensor").items())
      expected[name] = count.get<std::uint64_t>();
    if (stem == "qwen3-4b") expected.erase("lm_head.weight");  // released tied (see above)
    if (stem == "bamba-9b") {
      // vocab 128,256 in the released config against BambaConfig's 128,000 (see above).
      expected["model.embed_tokens.weight"] += 256 * 4096;
      expected["lm_head.weight"] += 256 * 4096;
    }
    CHECK(import::names_checked(architecture.source.model_type));
    Components actual;
    for (const auto& tensor : tensors) {
      CHECK(tensor.named);
      if (!tensor.stored) actual[tensor.name] += tensor.elements;
    }
    CHECK(actual == expected);
    if (actual == expected) ++exact;
    if (actual != expected)
      for (const auto& [name, count] : actual)
        if (!expected.contains(name) || expected.at(name) != count)
          MESSAGE(fmt::format("{}: attnsim {} transformers {}", name, count,
                              expected.contains(name) ? expected.at(name) : 0));
  }
  MESSAGE(fmt::format("{} architectures name every tensor as transformers 5.17 does", exact));
  CHECK(exact >= 32);
}

TEST_CASE("transformers_tensors: layer counts and fused names") {
  // Qwen3-Next: 36 Gated DeltaNet layers fuse q, k, v, z into in_proj_qkvz (D 2048 →
  // 2·16·128 + 32·128 + 32·128 = 12,288 channels: 36 × 2048 × 12,288 = 905,969,664); 12 gated
  // attention layers; 48 MoE layers with one shared_expert.
  std::map<std::string, import::NamedTensor> by_name;
  for (const auto& tensor : import::transformers_tensors(load_architecture("qwen3-next-80b-a3b")))
    by_name[tensor.name] = tensor;
  const auto& qkvz = by_name.at("model.layers.*.linear_attn.in_proj_qkvz.weight");
  CHECK(qkvz.layers == 36);
  CHECK(qkvz.elements == 905'969'664ULL);
  CHECK(by_name.at("model.layers.*.self_attn.q_proj.weight").layers == 12);
  CHECK(by_name.at("model.layers.*.mlp.shared_expert_gate.weight").layers == 48);
  CHECK(by_name.at("model.embed_tokens.weight").layers == 0);
  // DeepSeek-V3: the score-correction bias is a stored buffer of 58 MoE layers × 256.
  for (const auto& tensor : import::transformers_tensors(load_architecture("deepseek-v3")))
    if (tensor.name == "model.layers.*.mlp.gate.e_score_correction_bias") {
      CHECK(tensor.stored);
      CHECK(tensor.layers == 58);
      CHECK(tensor.elements == 58ULL * 256);
    }
}

TEST_CASE("model_params: router selection biases are checkpoint extras, not parameters") {
  // Each is one value per routed expert per MoE layer, outside the total (transformers keeps
  // DeepSeek's and NemotronH's as buffers; Step 3.5's router_bias and Ling/Ring's expert_bias are
  // loaded without gradient and only steer the top-k choice).
  auto stored = [](const std::string& name) {
    return model_params(load_architecture(name)).stored_total;
  };
  CHECK(stored("nemotron-3-nano-30b-a3b") == 23ULL * 128);     // 23 "E" layers of 128 experts
  CHECK(stored("nemotron-3-super-120b-a12b") == 40ULL * 512);  // 40 "E" layers of 512 experts
  CHECK(stored("ring-mini-linear-2.0") == 19ULL * 256);        // layers 1-19 MoE, 256 experts
  CHECK(stored("ling-2.5-1t") == 76ULL * 256);                 // layers 4-79 MoE, 256 experts
  CHECK(stored("step-3.5-flash") == 42ULL * 288);              // layers 3-44 MoE, 288 experts
  CHECK(stored("deepseek-v3") == 58ULL * 256);                 // layers 3-60 MoE, 256 experts
  // The nano's total stays transformers' count (params.json: 31,577,937,344).
  CHECK(model_params(load_architecture("nemotron-3-nano-30b-a3b")).total == 31'577'937'344ULL);

  // import-hf carries them: NemotronH always, Ring when moe_router_enable_expert_bias.
  for (const char* stem : {"nvidia-nemotron-3-nano-30b-a3b-bf16", "ring-mini-linear-2.0"}) {
    CAPTURE(stem);
    const std::string path =
        (testing::reference_dir() / "hf-configs" / (std::string(stem) + ".json")).string();
    const Architecture imported = build_architecture(
        config::parse_document(import::import_hf(path), path + " (imported)"), "imported", path);
    CHECK(model_params(imported).stored_total ==
          (std::string(stem).starts_with("ring") ? 19ULL * 256 : 23ULL * 128));
  }
}

TEST_CASE("import_hf carries every weight key transformers counts") {
  const nlohmann::json& models = transformers_counts();
  std::size_t checked = 0;
  for (const auto& [stem, model] : models.items()) {
    if (!model.contains("total")) continue;
    const std::string path = (testing::reference_dir() / "hf-configs" / (stem + ".json")).string();
    // A partial copy leaves keys to defaults that transformers and attnsim need not share.
    if (import::load_hf_config(path).partial()) continue;
    CAPTURE(stem);
    const Architecture imported = build_architecture(
        config::parse_document(import::import_hf(path), path + " (imported)"), "imported", path);
    CHECK(model_params(imported).total == model.at("total").get<std::uint64_t>());
    ++checked;
  }
  MESSAGE(fmt::format("{} imported configs counted as transformers counts them", checked));
  CHECK(checked >= 25);
}

}  // namespace attnsim

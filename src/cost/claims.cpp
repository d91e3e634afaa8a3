// Implementation of the claim checks.
#include "cost/claims.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "core/units.h"
#include "cost/memory.h"
#include "cost/params.h"
#include "graph/ratio.h"

namespace attnsim {

namespace {
enum class Unit { count, fraction, parameters, bytes };

Unit unit_of(const std::string& quantity) {
  if (quantity == "attention_fraction" || quantity == "kv_saving") return Unit::fraction;
  if (quantity == "params_total" || quantity == "params_active") return Unit::parameters;
  if (quantity == "kv_bytes_per_token") return Unit::bytes;
  return Unit::count;
}

std::string format_value(double value, Unit unit) {
  switch (unit) {
    case Unit::fraction:
      return fmt::format("{:.1f}%", 100.0 * value);
    case Unit::parameters:
      return fmt::format("{:.3f}B", value / 1e9);
    case Unit::bytes:
      return fmt::format("{} B", static_cast<std::uint64_t>(std::llround(value)));
    case Unit::count:
      break;
  }
  return fmt::format("{}", static_cast<std::int64_t>(std::llround(value)));
}

// How far off a claim may be and still hold, unless the claim gives its own tolerance.
double default_tolerance(const Claim& claim, Unit unit) {
  switch (unit) {
    case Unit::fraction:
      return 0.005;
    case Unit::parameters:
      return 0.005 * std::abs(claim.value);
    case Unit::count:
    case Unit::bytes:
      break;
  }
  return 0.0;
}

const FfnSpec* first_moe(const Architecture& architecture) {
  for (const Layer& layer : architecture.layers)
    if (layer.ffn && layer.ffn->kind == FfnKind::moe) return layer.ffn.get();
  return nullptr;
}

double moe_value(const Architecture& architecture, const std::string& quantity) {
  const FfnSpec* moe = first_moe(architecture);
  if (moe == nullptr) return 0.0;  // a dense model: no experts
  if (quantity == "experts") return static_cast<double>(moe->n_experts);
  if (quantity == "top_k") return static_cast<double>(moe->top_k);
  return static_cast<double>(moe->n_shared_experts);
}

// What claims are checked against that does not depend on a claim's context: computed once
// per model, not once per claim.
struct ModelTotals {
  ParamReport params;
  std::uint64_t kv_bytes_per_token = 0;
};

// nullopt: the model has no such quantity (a KV saving without an attention baseline).
std::optional<double> computed_value(const Architecture& architecture, const ModelTotals& totals,
                                     const Claim& claim) {
  const std::string& q = claim.quantity;
  if (q == "layers") return static_cast<double>(architecture.layers.size());
  if (q.starts_with("layers:")) {
    const auto counts = count_layer_kinds(architecture);
    const auto found = counts.find(q.substr(7));
    return found == counts.end() ? 0.0 : static_cast<double>(found->second);
  }
  if (q == "attention_fraction") return layer_ratio(architecture).attention_share();
  if (q == "kv_saving")
    return kv_memory(architecture, {*claim.context}, 1).rows.front().saving_vs_full_attention();
  if (q == "kv_bytes_per_token") return static_cast<double>(totals.kv_bytes_per_token);
  if (q == "params_total") return static_cast<double>(totals.params.total);
  if (q == "params_active") return static_cast<double>(totals.params.active);
  return moe_value(architecture, q);
}

// A parameter claim against a count that leaves out parts no source sizes (unknown_params)
// cannot be settled: the count is only a lower bound.
std::optional<std::string> unsettled(const Architecture& architecture, Unit unit) {
  if (unit != Unit::parameters || architecture.unknown_params.empty()) return std::nullopt;
  std::vector<std::string> parts;
  for (const auto& unknown : architecture.unknown_params) parts.push_back(unknown.part);
  return fmt::format("cannot be settled: the count is a lower bound (unknown_params: {})",
                     fmt::join(parts, ", "));
}
}  // namespace

std::vector<ClaimCheck> check_claims(const Architecture& architecture) {
  std::vector<ClaimCheck> checks;
  if (architecture.claims.empty()) return checks;
  const ModelTotals totals{model_params(architecture),
                           kv_memory(architecture, {1}, 1).kv_bytes_per_token};
  for (const Claim& claim : architecture.claims) {
    const Unit unit = unit_of(claim.quantity);
    ClaimCheck check;
    check.claim = claim;
    check.tolerance = claim.tolerance.value_or(default_tolerance(claim, unit));
    check.claimed_text = format_value(claim.value, unit);
    const std::optional<double> computed = computed_value(architecture, totals, claim);
    if (!computed) {
      check.computed_text = "-";
      check.verdict = "cannot be computed: the model has no attention layer to compare with";
      checks.push_back(std::move(check));
      continue;
    }
    check.computed = *computed;
    check.computed_text = format_value(check.computed, unit);
    if (const auto reason = unsettled(architecture, unit)) {
      check.computed_text = "≥ " + check.computed_text;
      check.verdict = *reason;
      checks.push_back(std::move(check));
      continue;
    }
    const double difference = check.computed - claim.value;
    check.holds = std::abs(difference) <= check.tolerance + 1e-12 * std::abs(claim.value);
    if (check.holds)
      check.verdict = "holds";
    else if (unit == Unit::fraction)
      check.verdict = fmt::format("differs by {:+.1f} points", 100.0 * difference);
    else if (unit == Unit::parameters && claim.value != 0.0)
      check.verdict = fmt::format("differs by {:+.2f}%", 100.0 * difference / claim.value);
    else
      check.verdict = fmt::format("differs by {:+}{}", std::llround(difference),
                                  unit == Unit::bytes ? " B" : "");
    checks.push_back(std::move(check));
  }
  return checks;
}

}  // namespace attnsim

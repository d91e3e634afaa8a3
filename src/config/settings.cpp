// Implementation of --set: each setting becomes a nested one-key patch document.
#include "config/settings.h"

#include <fmt/format.h>

#include "core/error.h"

namespace attnsim::config {

namespace {
std::vector<std::string> split_key_path(const std::string& setting, const std::string& path) {
  std::vector<std::string> keys;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = path.find('.', start);
    keys.push_back(path.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (keys.back().empty())
      throw UserError({}, "--set", "KEY.PATH=VALUE with non-empty keys",
                      fmt::format("'{}'", setting), "e.g. --set mixers.attn.n_kv_heads=4");
    if (dot == std::string::npos) return keys;
    start = dot + 1;
  }
}
}  // namespace

Node apply_settings(const Node& document, const std::vector<std::string>& settings) {
  Node result = document;
  for (const auto& setting : settings) {
    const std::size_t equals = setting.find('=');
    if (equals == std::string::npos)
      throw UserError({}, "--set", "KEY.PATH=VALUE", fmt::format("'{}'", setting),
                      "e.g. --set mixers.attn.n_kv_heads=4");
    const auto keys = split_key_path(setting, setting.substr(0, equals));
    // The value is parsed on its own so that its text, quoting and type are YAML's.
    const std::string label = "--set " + setting;
    Node patch = parse_document("value: " + setting.substr(equals + 1) + "\n", label);
    Node value = patch.entries.front().value;
    for (auto key = keys.rbegin(); key != keys.rend(); ++key) {
      Node map;
      map.kind = Node::Kind::map;
      map.where = value.where;
      map.entries.push_back({*key, value.where, std::move(value)});
      value = std::move(map);
    }
    result = merge_documents(result, value);
  }
  return result;
}

}  // namespace attnsim::config

// Conversion from yaml-cpp to the located Node tree, and document merging for `extends:`.
#include "config/document.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <sstream>

namespace attnsim::config {

namespace {
constexpr int kMaxDepth = 64;

SourceLocation location(const std::string& file, const YAML::Mark& mark) {
  if (mark.is_null()) return {file, 0, 0};
  return {file, mark.line + 1, mark.column + 1};
}

Node convert(const YAML::Node& yaml, const std::string& file, int depth) {
  Node node;
  node.where = location(file, yaml.Mark());
  if (depth > kMaxDepth)
    throw UserError(node.where, "", fmt::format("at most {} levels of nesting", kMaxDepth),
                    "a deeper document", "architecture files are shallow; is this the right file?");
  switch (yaml.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      node.kind = Node::Kind::null;
      break;
    case YAML::NodeType::Scalar:
      node.kind = Node::Kind::scalar;
      node.scalar = yaml.Scalar();
      node.quoted = yaml.Tag() == "!";
      break;
    case YAML::NodeType::Sequence:
      node.kind = Node::Kind::sequence;
      for (const auto& item : yaml) node.items.push_back(convert(item, file, depth + 1));
      break;
    case YAML::NodeType::Map:
      node.kind = Node::Kind::map;
      for (const auto& pair : yaml) {
        const SourceLocation key_where = location(file, pair.first.Mark());
        if (!pair.first.IsScalar())
          throw UserError(key_where, "", "a plain text key", "a list or map used as a key");
        const std::string key = pair.first.Scalar();
        if (const Node* previous = node.find(key))
          throw UserError(key_where, key, "each key once", "a duplicate key",
                          fmt::format("first given at line {}", previous->where.line));
        node.entries.push_back({key, key_where, convert(pair.second, file, depth + 1)});
      }
      break;
  }
  return node;
}

Node parse(std::istream& input, const std::string& display_name) {
  try {
    return convert(YAML::Load(input), display_name, 0);
  } catch (const YAML::Exception& error) {
    throw UserError(location(display_name, error.mark), "", "valid YAML or JSON",
                    fmt::format("a syntax error: {}", error.msg),
                    "check indentation, quotes and brackets near this position");
  }
}
}  // namespace

const Node* Node::find(std::string_view key) const {
  for (const auto& entry : entries)
    if (entry.key == key) return &entry.value;
  return nullptr;
}

std::string Node::describe() const {
  switch (kind) {
    case Kind::null:
      return "nothing (null)";
    case Kind::map:
      return "a map";
    case Kind::sequence:
      return fmt::format("a list of {}", items.size());
    case Kind::scalar:
      return fmt::format("'{}'", scalar);
  }
  return "?";
}

Node load_document(const std::filesystem::path& path, const std::string& display_name) {
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error))
    throw UserError({display_name, 0, 0}, "", "a readable file", "no such file",
                    "check the path; architecture names are file stems in architectures/");
  std::ifstream input(path, std::ios::binary);
  if (!input)
    throw UserError({display_name, 0, 0}, "", "a readable file", "a file that cannot be opened",
                    "check its permissions");
  return parse(input, display_name);
}

Node parse_document(const std::string& text, const std::string& display_name) {
  std::istringstream input(text);
  return parse(input, display_name);
}

Node merge_documents(const Node& base, const Node& patch) {
  if (!base.is_map() || !patch.is_map() || patch.find("kind") != nullptr) return patch;
  Node merged = base;
  for (const auto& entry : patch.entries) {
    auto existing = std::find_if(merged.entries.begin(), merged.entries.end(),
                                 [&](const Entry& e) { return e.key == entry.key; });
    if (existing == merged.entries.end())
      merged.entries.push_back(entry);
    else
      existing->value = merge_documents(existing->value, entry.value);
  }
  return merged;
}

}  // namespace attnsim::config

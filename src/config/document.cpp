// Conversion from yaml-cpp to the located Node tree, and document merging for `extends:`.
#include "config/document.h"

#include <fmt/format.h>
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <sstream>

namespace attnsim::config {

namespace {
constexpr int kMaxDepth = 64;
// yaml-cpp shares a node among all `*alias` uses; converting copies it each time, so ten levels
// of ten aliases ("billion laughs") would expand to 10^10 nodes. Real files have a few thousand.
constexpr std::size_t kMaxNodes = 100'000;

SourceLocation location(const std::string& file, const YAML::Mark& mark) {
  if (mark.is_null()) return {file, 0, 0};
  return {file, mark.line + 1, mark.column + 1};
}

// Whether the quoted scalar whose opening quote is at text[open] is closed before the end of the
// text. yaml-cpp lets an unclosed quote run to the end of the file and swallow every key after
// it, which then shows up as confusing "missing key" errors; we name the quote instead.
bool quote_is_closed(std::string_view text, std::size_t open) {
  if (open >= text.size() || (text[open] != '"' && text[open] != '\'')) return true;
  const char quote = text[open];
  for (std::size_t i = open + 1; i < text.size(); ++i) {
    if (quote == '"' && text[i] == '\\') {
      ++i;  // an escape: the next character cannot close the text
    } else if (text[i] == quote) {
      if (quote == '\'' && i + 1 < text.size() && text[i + 1] == '\'') {
        ++i;  // '' is a quote inside single-quoted text
      } else {
        return true;
      }
    }
  }
  return false;
}

struct Source {
  const std::string& file;  // display name for messages
  std::string_view text;
};

Node convert(const YAML::Node& yaml, const Source& source, int depth, std::size_t& n_nodes) {
  const std::string& file = source.file;
  Node node;
  node.where = location(file, yaml.Mark());
  if (++n_nodes > kMaxNodes)
    throw UserError(node.where, "", fmt::format("at most {} values", kMaxNodes),
                    "a larger document (after expanding *aliases)",
                    "architecture files are small; is this the right file?");
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
      if (node.quoted && !yaml.Mark().is_null() &&
          !quote_is_closed(source.text, static_cast<std::size_t>(yaml.Mark().pos)))
        throw UserError(node.where, "", "a closing quote for the text that starts here",
                        "none before the end of the file",
                        "close the quote; a quote left open swallows the rest of the file");
      break;
    case YAML::NodeType::Sequence:
      node.kind = Node::Kind::sequence;
      for (const auto& item : yaml) node.items.push_back(convert(item, source, depth + 1, n_nodes));
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
        node.entries.push_back({key, key_where, convert(pair.second, source, depth + 1, n_nodes)});
      }
      break;
  }
  return node;
}

// Length of the UTF-8 sequence starting at text[i], or 0 if it is not valid UTF-8 (RFC 3629:
// no overlong forms, no surrogates, nothing above U+10FFFF).
std::size_t utf8_length(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  if (lead < 0x80) return 1;
  std::size_t length = 0;
  unsigned char low = 0x80, high = 0xBF;  // allowed range of the second byte
  if (lead >= 0xC2 && lead <= 0xDF)
    length = 2;
  else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;
    if (lead == 0xED) high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;
  } else
    return 0;
  if (i + length > text.size() || byte(i + 1) < low || byte(i + 1) > high) return 0;
  for (std::size_t k = 2; k < length; ++k)
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  return length;
}

// yaml-cpp passes invalid UTF-8 and NUL bytes through into names and notes, which would then
// break JSON output later; we reject them here, where the position is still known.
void require_text(std::string_view text, const std::string& display_name) {
  int line = 1, column = 1;
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t length = text[i] == '\0' ? 0 : utf8_length(text, i);
    if (length == 0)
      throw UserError({display_name, line, column}, "", "UTF-8 text",
                      text[i] == '\0'
                          ? std::string("a NUL byte")
                          : fmt::format("the byte 0x{:02X}", static_cast<unsigned char>(text[i])),
                      "save the file as UTF-8; is this a text file?");
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
    i += length;
  }
}

Node parse(const std::string& text, const std::string& display_name) {
  require_text(text, display_name);
  try {
    std::size_t n_nodes = 0;
    return convert(YAML::Load(text), Source{display_name, text}, 0, n_nodes);
  } catch (const YAML::DeepRecursion& error) {
    throw UserError(location(display_name, error.mark), "",
                    fmt::format("at most {} levels of nesting", kMaxDepth),
                    "brackets nested too deeply to parse",
                    "architecture files are shallow; is this the right file?");
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
  std::ostringstream text;
  text << input.rdbuf();
  return parse(text.str(), display_name);
}

Node parse_document(const std::string& text, const std::string& display_name) {
  return parse(text, display_name);
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

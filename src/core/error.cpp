// Formatting of user errors and invariant failures.
#include "core/error.h"

#include <fmt/format.h>

namespace attnsim {

std::string format_location(const SourceLocation& where) {
  if (where.file.empty()) return "<command line>";
  if (where.line <= 0) return where.file;
  return fmt::format("{}:{}:{}", where.file, where.line, where.column);
}

namespace {
std::string compose(const SourceLocation& where, const std::string& key_path,
                    const std::string& expected, const std::string& found,
                    const std::string& hint) {
  std::string message = format_location(where) + ": ";
  if (!key_path.empty()) message += key_path + ": ";
  message += "expected " + expected;
  if (!found.empty()) message += ", found " + found;
  if (!hint.empty()) message += " (" + hint + ")";
  return message;
}
}  // namespace

UserError::UserError(SourceLocation where, std::string key_path, std::string expected,
                     std::string found, std::string hint)
    : std::runtime_error(compose(where, key_path, expected, found, hint)),
      where_(std::move(where)),
      key_path_(std::move(key_path)),
      expected_(std::move(expected)),
      found_(std::move(found)),
      hint_(std::move(hint)) {}

UserError::UserError(std::string message) : std::runtime_error(std::move(message)) {}

void assertion_failed(const char* condition, const char* file, int line,
                      const std::string& detail) {
  throw std::logic_error(fmt::format("internal error at {}:{}: {} ({}) — please report this", file,
                                     line, condition, detail));
}

}  // namespace attnsim

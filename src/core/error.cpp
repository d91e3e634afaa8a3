// Formatting of user errors and invariant failures.
#include "core/error.h"

#include <fmt/format.h>

#include <algorithm>

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

namespace {
std::string list_errors(const std::vector<UserError>& errors) {
  std::string message = fmt::format("{} mistakes:", errors.size());
  const std::size_t listed = std::min(errors.size(), UserErrors::kMaxListed);
  for (std::size_t i = 0; i < listed; ++i) message += "\n  " + std::string(errors[i].what());
  if (errors.size() > listed) message += fmt::format("\n  … and {} more", errors.size() - listed);
  return message;
}
}  // namespace

UserError::UserError(std::string message, const UserError& parts)
    : std::runtime_error(std::move(message)),
      where_(parts.where_),
      key_path_(parts.key_path_),
      expected_(parts.expected_),
      found_(parts.found_),
      hint_(parts.hint_) {}

UserErrors::UserErrors(std::vector<UserError> errors)
    : UserError(list_errors(errors), errors.at(0)), errors_(std::move(errors)) {}

void ErrorCollector::add(const UserError& error) {
  for (const auto& known : errors_)
    if (std::string_view(known.what()) == error.what()) return;
  errors_.push_back(error);
}

void ErrorCollector::throw_if_any() const {
  if (errors_.empty()) return;
  if (errors_.size() == 1) throw errors_.front();
  throw UserErrors(errors_);
}

void assertion_failed(const char* condition, const char* file, int line,
                      const std::string& detail) {
  throw std::logic_error(fmt::format("internal error at {}:{}: {} ({}) — please report this", file,
                                     line, condition, detail));
}

}  // namespace attnsim

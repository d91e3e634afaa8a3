// Error types: UserError for mistakes in user input (exit code 2), with where and what;
// ATTNSIM_ASSERT for broken invariants (our bugs), which fail loudly with file:line.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace attnsim {

// Where in a user file a value came from. An empty file means "command line" or "computed".
struct SourceLocation {
  std::string file;
  int line = 0;    // 1-based; 0 when unknown
  int column = 0;  // 1-based; 0 when unknown
};

// A mistake in user input. The message always names where, which key, what was expected and
// what was found, and (when we can guess) a hint.
class UserError : public std::runtime_error {
 public:
  UserError(SourceLocation where, std::string key_path, std::string expected, std::string found,
            std::string hint = {});
  // For errors that have no location or key (e.g. a command-line value).
  explicit UserError(std::string message);

  const SourceLocation& where() const { return where_; }
  const std::string& key_path() const { return key_path_; }
  // The parts of the message, for callers that present them separately (the Python module's
  // InputError); empty for errors made from a plain message.
  const std::string& expected() const { return expected_; }
  const std::string& found() const { return found_; }
  const std::string& hint() const { return hint_; }

 protected:
  // A message composed elsewhere, with the parts of the mistake it leads with.
  UserError(std::string message, const UserError& parts);

 private:
  SourceLocation where_;
  std::string key_path_;
  std::string expected_;
  std::string found_;
  std::string hint_;
};

// Several mistakes found in one pass over a file, each a complete UserError (a file with three
// typos reports all three in one run). The base class describes the first; what() lists them
// all, one per line, at most kMaxListed of them.
class UserErrors : public UserError {
 public:
  static constexpr std::size_t kMaxListed = 25;
  explicit UserErrors(std::vector<UserError> errors);
  const std::vector<UserError>& errors() const { return errors_; }

 private:
  std::vector<UserError> errors_;
};

// Gathers the mistakes of independent parts of an input: attempt() runs one part and records
// its UserError (or each of a UserErrors) instead of letting it escape; throw_if_any() then
// throws the one mistake as it was, or all of them as UserErrors. Identical messages count once.
class ErrorCollector {
 public:
  template <typename Part>
  bool attempt(Part&& part) {
    try {
      part();
      return true;
    } catch (const UserErrors& errors) {
      for (const auto& error : errors.errors()) add(error);
    } catch (const UserError& error) {
      add(error);
    }
    return false;
  }
  void add(const UserError& error);
  bool empty() const { return errors_.empty(); }
  void throw_if_any() const;

 private:
  std::vector<UserError> errors_;
};

// Formats "file:line:col" (or just "file", or "<command line>").
std::string format_location(const SourceLocation& where);

[[noreturn]] void assertion_failed(const char* condition, const char* file, int line,
                                   const std::string& detail);

}  // namespace attnsim

#define ATTNSIM_ASSERT(condition, detail)                                                  \
  do {                                                                                     \
    if (!(condition)) ::attnsim::assertion_failed(#condition, __FILE__, __LINE__, detail); \
  } while (false)

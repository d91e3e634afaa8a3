// The transformers library defaults that real config.json files rely on by omitting keys,
// written down in one place with where each is defined.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace attnsim::import {

struct LibraryDefault {
  std::string_view model_type;
  std::string_view key;
  std::string_view value;   // YAML/JSON scalar text
  std::string_view source;  // where the default is defined
};

std::optional<LibraryDefault> library_default(std::string_view model_type, std::string_view key);

}  // namespace attnsim::import

// The top-level shape shared by every `--format json` output, so that one script can read any
// command's answer: {"command": "kv", "units": "bytes", "architectures": [{...}, ...]} followed by
// the command's own top-level keys. Every size key (`*_bytes`) is an exact integer of bytes,
// whatever --units says; FLOP keys (`*_flops`) are FLOP counts, parameter keys (`params_*`)
// parameter counts.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace attnsim::report {

// {"command": command, "units": "bytes", "architectures": architectures}.
nlohmann::ordered_json json_document(std::string_view command,
                                     nlohmann::ordered_json architectures);
// The document, two-space indented, with a final newline.
std::string dump_json(const nlohmann::ordered_json& document);

}  // namespace attnsim::report

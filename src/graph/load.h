// Finding architecture files and turning them into Architectures: resolves `extends:`, reads
// every section through key-tracking readers, expands the layer pattern and validates the graph.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "config/document.h"
#include "config/reader.h"
#include "graph/architecture.h"

namespace attnsim {

// The shipped architectures folder: $ATTNSIM_ARCHITECTURES if set, else the source tree's.
std::filesystem::path architectures_dir();
// Every *.yaml in architectures_dir(), sorted by name.
std::vector<std::filesystem::path> list_architecture_files();
// Their stems: the names `did you mean` suggests and claims files may name.
std::vector<std::string> registry_names();
// A file stem in architectures_dir() ("qwen3-next-80b-a3b") or a path to a YAML file.
std::filesystem::path resolve_architecture(const std::string& name_or_path);

// The document with `extends:` chains merged (child over parent; `expect:` is not inherited).
config::Node load_resolved_document(const std::filesystem::path& file);
// Builds and validates an architecture from a resolved document.
Architecture build_architecture(const config::Node& document, const std::string& name,
                                const std::string& file);
Architecture load_architecture_file(const std::filesystem::path& file);
Architecture load_architecture(const std::string& name_or_path);

// One claim (says, quantity, value, context, tolerance) from `reader`, which it finishes: with
// its own `source` in an architecture file's claims:, or `file_source` for every claim of a
// claims file (graph/claim_files.h).
Claim read_claim(config::MapReader& reader, const std::optional<std::string>& file_source);

}  // namespace attnsim

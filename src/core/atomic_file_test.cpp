// Tests of write_file_atomically: replacement, and that a failed or interrupted write leaves
// the target untouched and no temporary behind.
#include "core/atomic_file.h"

#include <doctest/doctest.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "core/error.h"
#include "tests/support.h"

namespace attnsim {

namespace {
std::string read_back(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::size_t files_in(const std::filesystem::path& folder) {
  std::size_t count = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(folder)) ++count;
  return count;
}
}  // namespace

TEST_CASE("write_file_atomically") {
  testing::ScratchDir dir;
  const auto path = dir.path() / "table.csv";
  SUBCASE("creates, then replaces, leaving only the target") {
    write_file_atomically(path, "a,b\n");
    CHECK(read_back(path) == "a,b\n");
    write_file_atomically(path, "c\n");
    CHECK(read_back(path) == "c\n");
    CHECK(files_in(dir.path()) == 1);
  }
  SUBCASE("a write interrupted half-way leaves the old file and no temporary") {
    write_file_atomically(path, "old\n");
    CHECK_THROWS_AS(write_file_atomically(path,
                                          [](std::ostream& out) {
                                            out << "half of the new";
                                            throw std::runtime_error("interrupted");
                                          }),
                    std::runtime_error);
    CHECK(read_back(path) == "old\n");
    CHECK(files_in(dir.path()) == 1);
  }
  SUBCASE("an interrupted first write leaves nothing at all") {
    CHECK_THROWS(write_file_atomically(path, [](std::ostream&) { throw std::runtime_error("x"); }));
    CHECK(files_in(dir.path()) == 0);
  }
  SUBCASE("a missing folder is a UserError naming the path") {
    CHECK_THROWS_WITH_AS(write_file_atomically(dir.path() / "no" / "t.csv", "x"),
                         doctest::Contains("t.csv: expected a writable path"), UserError);
  }
  SUBCASE("a directory in the way: rename fails, the temporary is removed") {
    std::filesystem::create_directories(path);
    std::filesystem::create_directories(path / "inside");
    CHECK_THROWS_AS(write_file_atomically(path, "x"), UserError);
    CHECK(files_in(dir.path()) == 1);
  }
}

}  // namespace attnsim

// Entry point of the attnsim executable.
#include <iostream>

#include "cli/command.h"

int main(int argc, char** argv) {
  attnsim::cli::CommandArgs args(argv + 1, argv + argc);
  return attnsim::cli::run_cli(args, std::cout, std::cerr);
}

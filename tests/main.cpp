// doctest entry point for the whole test suite (unit tests live next to their code).
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

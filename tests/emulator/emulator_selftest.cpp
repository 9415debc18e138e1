#include "emulator.hpp"
#include <gtest/gtest.h>
TEST(Emulator, Placeholder) { SUCCEED(); }

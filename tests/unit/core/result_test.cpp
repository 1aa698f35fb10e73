// ARIADNE_TRY: errors travel up with their code and location, with context.
#include "ariadne/core/result.hpp"

#include <gtest/gtest.h>

namespace ariadne {
namespace {

result<int> parse_digit(char c) {
  if (c < '0' || c > '9') return make_error(errc::parse, std::string("not a digit: ") + c, {"in.txt", 3, 7});
  return c - '0';
}

result<int> sum_two(const char* s) {
  ARIADNE_TRY(int a, parse_digit(s[0]), "first");
  ARIADNE_TRY(int b, parse_digit(s[1]), "second");
  return a + b;
}

result<void> check_two(const char* s) {
  ARIADNE_TRY_VOID(sum_two(s), "pair");
  return {};
}

TEST(Result, TryKeepsCodeAndLocationAndAddsContext) {
  auto ok = sum_two("47");
  ASSERT_TRUE(ok);
  EXPECT_EQ(*ok, 11);
  auto bad = check_two("4x");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, errc::parse);
  EXPECT_EQ(bad.error().message, "pair: second: not a digit: x");
  EXPECT_EQ(bad.error().where.file, "in.txt");
  EXPECT_EQ(bad.error().where.line, 3u);
  EXPECT_EQ(bad.error().to_string(), "in.txt:3:7: pair: second: not a digit: x");
}

}  // namespace
}  // namespace ariadne

#include "ariadne/core/unicode.hpp"

#include <gtest/gtest.h>

namespace ariadne {
namespace {

// Words are tested 32 and 8 bytes at a time: a high byte at any position
// of strings around those sizes is found, and ends the ASCII prefix there.
TEST(Unicode, IsAsciiAtEveryPosition) {
  for (std::size_t n : {0, 1, 7, 8, 9, 31, 32, 33, 40, 71}) {
    std::string s(n, 'a');
    EXPECT_TRUE(is_ascii(s)) << n;
    for (std::size_t at = 0; at < n; ++at) {
      std::string t = s;
      t[at] = '\x80';
      EXPECT_FALSE(is_ascii(t)) << n << " at " << at;
      EXPECT_EQ(ascii_prefix(t), at);
      t[at] = '\x7f';
      EXPECT_TRUE(is_ascii(t)) << n << " at " << at;
    }
  }
}

// Only the view's own bytes count: high bytes just before and after it
// (where a word-wide read might stray) do not.
TEST(Unicode, IsAsciiReadsOnlyItsView) {
  for (std::size_t n = 0; n <= 70; ++n) {
    std::string buf = std::string(8, '\xff') + std::string(n, 'a') + std::string(8, '\xff');
    std::string_view v(buf.data() + 8, n);
    EXPECT_TRUE(is_ascii(v)) << n;
    EXPECT_EQ(ascii_prefix(v), n);
  }
}

TEST(Unicode, FoldsAsciiAndBeyond) {
  EXPECT_EQ(fold_case("ABC xyz"), "abc xyz");
  EXPECT_EQ(fold_case("ÄÖÜ"), "äöü");
  EXPECT_EQ(fold_case("ПРИВЕТ"), "привет");
  EXPECT_EQ(fold_case("ΣΑΣ"), "σασ");
  EXPECT_EQ(fold_case("ς"), "σ");  // final sigma folds to sigma
  EXPECT_EQ(fold_case("Ａ"), "ａ");  // fullwidth
  EXPECT_EQ(fold_case("–®"), "–®");  // no case: unchanged
}

TEST(Unicode, InvalidBytesPassThrough) {
  std::string bad = "A\xff\xfe" "B\xc3";
  EXPECT_EQ(fold_case(bad), "a\xff\xfe" "b\xc3");
  EXPECT_EQ(count_code_points(bad), 5u);
  EXPECT_EQ(count_code_points("aЖc"), 3u);
}

TEST(Unicode, RoundTripsCodePoints) {
  for (char32_t cp : {U'a', U'\u00e9', U'\u20ac', U'\U0001F600'}) {
    std::string s;
    append_utf8(cp, s);
    std::size_t pos = 0;
    bool valid = false;
    EXPECT_EQ(decode_utf8(s, pos, &valid), cp);
    EXPECT_TRUE(valid);
    EXPECT_EQ(pos, s.size());
  }
  std::string overlong = "\xe0\x80\x80";
  std::size_t pos = 0;
  bool valid = true;
  decode_utf8(overlong, pos, &valid);
  EXPECT_FALSE(valid);
}

}  // namespace
}  // namespace ariadne

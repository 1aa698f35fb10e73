#include "ariadne/core/text.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "ariadne/core/time.hpp"

namespace ariadne {
namespace {

TEST(Text, Base64) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
}

TEST(Text, JsonEscaping) {
  std::string out;
  append_json_string(out, "a\"b\\c\n\x01\xff");
  EXPECT_EQ(out, "\"a\\\"b\\\\c\\n\\u0001\xEF\xBF\xBD\"");
}

// Plain runs are found 16 bytes at a time: every special byte at every
// position of a long string is still escaped, as one escaped alone is.
TEST(Text, JsonEscapingAtEveryPosition) {
  for (const std::string& special : std::vector<std::string>{"\"", "\\", "\n", std::string(1, '\x01'), "\x7f", "\xc3\xa9", "\xff"}) {
    std::string alone;
    append_json_string(alone, special);
    alone = alone.substr(1, alone.size() - 2);
    for (std::size_t at = 0; at <= 40; ++at) {
      std::string s = std::string(at, 'a') + special + std::string(40 - at, 'b');
      std::string out;
      append_json_string(out, s);
      EXPECT_EQ(out, "\"" + std::string(at, 'a') + alone + std::string(40 - at, 'b') + "\"") << at;
    }
  }
}

TEST(Text, Numbers) {
  EXPECT_EQ(parse_int64("4688"), 4688);
  EXPECT_FALSE(parse_int64("46x").has_value());
  EXPECT_EQ(parse_number("0x10"), 16.0);
  EXPECT_EQ(parse_number("-2.5"), -2.5);
  EXPECT_FALSE(parse_number("abc").has_value());
}

// A short text's word holds every one of its bytes: all texts of one
// length over three letters give different words, and so different
// hashes; bytes outside the text are never read into it.
TEST(Text, ShortWordsAndHashesTellTextsApart) {
  const std::string letters = "a\x80z";
  for (std::size_t n = 0; n < 8; ++n) {
    std::vector<std::uint64_t> words, hashes;
    std::size_t count = 1;
    for (std::size_t k = 0; k < n; ++k) count *= letters.size();
    for (std::size_t code = 0; code < count; ++code) {
      std::string buf(16, '#');
      for (std::size_t k = 0, c = code; k < n; ++k, c /= letters.size()) buf[4 + k] = letters[c % letters.size()];
      std::string_view text(buf.data() + 4, n);
      words.push_back(short_word(text.data(), n));
      hashes.push_back(hash_text(text));
      buf[3] = buf[4 + n] = '!';  // the bytes around it
      EXPECT_EQ(short_word(text.data(), n), words.back()) << n;
    }
    std::sort(words.begin(), words.end());
    std::sort(hashes.begin(), hashes.end());
    EXPECT_EQ(std::unique(words.begin(), words.end()), words.end()) << n;
    EXPECT_EQ(std::unique(hashes.begin(), hashes.end()), hashes.end()) << n;
  }
}

// Texts of every length up to 80 (past the word loop's 64) equal only
// themselves: one byte changed anywhere, or a different length, is told
// apart.
TEST(Text, SameTextComparesEveryByte) {
  for (std::size_t n = 0; n <= 80; ++n) {
    std::string a(n, 'x'), b(n, 'x');
    for (std::size_t k = 0; k < n; ++k) a[k] = static_cast<char>('a' + k % 26), b[k] = a[k];
    EXPECT_TRUE(same_text(a, b)) << n;
    EXPECT_FALSE(same_text(a, b + "y")) << n;
    for (std::size_t at = 0; at < n; ++at) {
      std::string c = b;
      c[at] = '\xff';
      EXPECT_FALSE(same_text(a, c)) << n << " at " << at;
    }
  }
}

TEST(Text, StableIdsAreStable) {
  EXPECT_EQ(stable_id_hex("rule\nfile\n1"), stable_id_hex("rule\nfile\n1"));
  EXPECT_NE(stable_id_hex("rule\nfile\n1"), stable_id_hex("rule\nfile\n2"));
  EXPECT_EQ(stable_id_hex("x").size(), 32u);
  // Pinned value: alert ids must not change between releases.
  EXPECT_EQ(stable_id_hex("abc"), "a802ab985002163df58a2d2a661b4dea");
}

// Every byte: only 'A'..'Z' change; the output's storage is reused, also
// when the text is a view of the output itself.
TEST(Text, LowerAsciiChangesOnlyAsciiCapitals) {
  std::string all;
  for (int c = 0; c < 256; ++c) all.push_back(static_cast<char>(c));
  std::string out = "previous";
  assign_lower_ascii(out, all);
  ASSERT_EQ(out.size(), 256u);
  for (int c = 0; c < 256; ++c) EXPECT_EQ(static_cast<unsigned char>(out[c]), c >= 'A' && c <= 'Z' ? c + 32 : c) << c;
  EXPECT_EQ(to_lower_ascii("C:\\Windows\\ÉCHO.EXE"), "c:\\windows\\Écho.exe");
  std::string self = "MiXeD Case TEXT";
  assign_lower_ascii(self, std::string_view(self).substr(6));
  EXPECT_EQ(self, "case text");
}

TEST(Time, ParsesCommonForms) {
  auto a = parse_timestamp("2020-10-21 12:19:01.088");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(format_rfc3339(*a), "2020-10-21T12:19:01.088000000Z");
  auto b = parse_timestamp("2026-04-17T05:24:53.092051Z");
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(format_rfc3339(*b), "2026-04-17T05:24:53.092051000Z");
  auto c = parse_timestamp("2020-01-01T02:00:00+02:00");
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(format_rfc3339(*c), "2020-01-01T00:00:00.000000000Z");
  EXPECT_FALSE(parse_timestamp("yesterday").has_value());
  EXPECT_FALSE(parse_timestamp("2020-13-01T00:00:00Z").has_value());
  // Outside what 64-bit nanoseconds hold: no time, never an overflow (found by json_reader_fuzz).
  EXPECT_FALSE(parse_timestamp("0012-01-02 03:04:05").has_value());
  EXPECT_FALSE(parse_timestamp("9999-12-31T23:59:59Z").has_value());
  EXPECT_TRUE(parse_timestamp("1700-01-01T00:00:00Z").has_value());
  EXPECT_FALSE(parse_timestamp("20211111111305").has_value());  // "milliseconds" in year 642,000
  EXPECT_EQ(parse_timestamp("1700000000000"), 1700000000000LL * 1000000);
}

// The digits written in place say what the general format says, over the
// whole range of 64-bit nanoseconds (before 1970 too) and at its ends.
TEST(Time, Rfc3339DigitsMatchTheGeneralFormat) {
  auto reference = [](time_ns t) {
    std::int64_t secs = t / 1000000000LL, ns = t % 1000000000LL;
    if (ns < 0) {
      ns += 1000000000LL;
      --secs;
    }
    civil_time c = civil_from_seconds(secs);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02u:%02u:%02u.%09lldZ", static_cast<long long>(c.year), c.month,
                  c.day, c.hour, c.minute, c.second, static_cast<long long>(ns));
    return std::string(buf);
  };
  std::mt19937_64 rng(11);
  std::vector<time_ns> times = {0, 1, -1, 999999999, 1000000000, INT64_MAX, INT64_MIN + 1, 1700000000123456789LL};
  for (int k = 0; k < 20000; ++k) times.push_back(static_cast<time_ns>(rng()));
  for (time_ns t : times) {
    if (t == k_no_time) continue;
    EXPECT_EQ(format_rfc3339(t), reference(t)) << t;
  }
  EXPECT_EQ(format_rfc3339(k_no_time), "");
}

TEST(Base64, DecodesWhatEncodeWrites) {
  for (std::string_view v : {"", "a", "ab", "abc", "abcd", "\x00\xff\x10 binary"}) {
    auto d = base64_decode(base64_encode(v));
    ASSERT_TRUE(d.has_value()) << v;
    EXPECT_EQ(*d, v);
  }
  EXPECT_FALSE(base64_decode("not base64!").has_value());
  EXPECT_FALSE(base64_decode("QUJDR").has_value());  // a lone sixth character
}

TEST(PowerShellCommand, EncodedCommandIsDecodedWhateverTheSwitchSpelling) {
  // "IEX (New-Object Net.WebClient)" as UTF-16LE Base64.
  std::string utf16;
  for (char c : std::string("IEX (New-Object Net.WebClient)")) {
    utf16.push_back(c);
    utf16.push_back('\0');
  }
  std::string b64 = base64_encode(utf16);
  for (std::string sw : {"-enc", "-Enc", "-e", "-EncodedCommand", "/enc", "-ec", "-en"}) {
    auto d = decode_powershell_command("powershell.exe -NoP -W Hidden " + sw + " " + b64);
    ASSERT_TRUE(d.has_value()) << sw;
    EXPECT_EQ(*d, "IEX (New-Object Net.WebClient)");
  }
  EXPECT_FALSE(decode_powershell_command("powershell.exe -ExecutionPolicy Bypass -File x.ps1").has_value());
  EXPECT_FALSE(decode_powershell_command("powershell.exe -ex " + b64).has_value());
  EXPECT_FALSE(decode_powershell_command("powershell.exe -enc notbase64!!").has_value());
}

}  // namespace
}  // namespace ariadne

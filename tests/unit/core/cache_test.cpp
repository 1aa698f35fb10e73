// The cache's hasher: names cache files and checks that one is whole.
#include "ariadne/core/cache.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <string>

namespace ariadne::cache {
namespace {

std::string hash_of(std::string_view s) {
  hasher h;
  h.add_bytes(s.data(), s.size());
  return h.hex();
}

// Fed in any pieces (each split point, and byte by byte), the same bytes
// give the same hash, for lengths around the 8-byte words.
TEST(Hasher, PiecesDoNotChangeTheHash) {
  std::mt19937 rng(7);
  for (std::size_t n : {0, 1, 7, 8, 9, 15, 16, 17, 63, 100}) {
    std::string s(n, '\0');
    for (auto& c : s) c = static_cast<char>(rng());
    const std::string whole = hash_of(s);
    EXPECT_EQ(whole.size(), 32u);
    for (std::size_t cut = 0; cut <= n; ++cut)
      for (std::size_t cut2 = cut; cut2 <= n; cut2 += 3) {
        hasher h;
        h.add_bytes(s.data(), cut);
        h.add_bytes(s.data() + cut, cut2 - cut);
        h.add_bytes(s.data() + cut2, n - cut2);
        EXPECT_EQ(h.hex(), whole) << n << " " << cut << " " << cut2;
      }
    hasher bytes;
    for (char c : s) bytes.add_bytes(&c, 1);
    EXPECT_EQ(bytes.hex(), whole) << n;
    hasher again = bytes;  // hex() does not change the state
    EXPECT_EQ(again.hex(), bytes.hex());
  }
}

// Texts that differ in one bit, in length only (trailing zero bytes) or in
// where add() splits them hash differently; so do all short texts.
TEST(Hasher, DifferentStreamsGiveDifferentHashes) {
  std::set<std::string> seen;
  std::string base(40, 'x');
  seen.insert(hash_of(base));
  for (std::size_t byte = 0; byte < base.size(); ++byte)
    for (int bit = 0; bit < 8; ++bit) {
      std::string t = base;
      t[byte] = static_cast<char>(t[byte] ^ (1 << bit));
      EXPECT_TRUE(seen.insert(hash_of(t)).second) << byte << " " << bit;
    }
  std::string zeros;
  for (int n = 0; n < 20; ++n, zeros.push_back('\0')) EXPECT_TRUE(seen.insert(hash_of(zeros)).second) << n;
  for (int a = 0; a < 256; ++a)
    for (int b = a == 0 ? 5 : 0; b < 256; b += 5) {  // (two zero bytes are among the zeros above)
      const char two[2] = {static_cast<char>(a), static_cast<char>(b)};
      EXPECT_TRUE(seen.insert(hash_of(std::string_view(two, 2))).second) << a << " " << b;
    }
  hasher ab_c, a_bc;
  ab_c.add("ab");
  ab_c.add("c");
  a_bc.add("a");
  a_bc.add("bc");
  EXPECT_NE(ab_c.hex(), a_bc.hex());
}

}  // namespace
}  // namespace ariadne::cache

namespace ariadne::cache {
namespace {

// A cache file is checked against its checksum when read: one flipped byte
// (it once made a cached needle match nothing: 0 of 10,000 alerts, "loaded
// from the cache") makes it unused, counted and removed, so it is rebuilt.
TEST(Cache, AFlippedByteIsCaughtAndTheFileRemoved) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("ariadne-cache-check-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  std::string bytes(5000, 'n');
  for (std::size_t k = 0; k < bytes.size(); ++k) bytes[k] = static_cast<char>('a' + k % 26);
  ASSERT_TRUE(store(dir, "lix-test.bin", bytes, "lix-", ".bin", 4));
  std::string back;
  ASSERT_TRUE(read(dir / "lix-test.bin", back));
  EXPECT_EQ(back, bytes);
  for (std::size_t at : {std::size_t{0}, std::size_t{2500}, bytes.size() + 3, bytes.size() + 35}) {
    ASSERT_TRUE(store(dir, "lix-test.bin", bytes, "lix-", ".bin", 4));
    {
      std::fstream f(dir / "lix-test.bin", std::ios::in | std::ios::out | std::ios::binary);
      f.seekg(static_cast<std::streamoff>(at));
      char c = 0;
      f.read(&c, 1);
      f.seekp(static_cast<std::streamoff>(at));
      c = static_cast<char>(c ^ 0x01);
      f.write(&c, 1);
    }
    const auto before = damaged_files();
    EXPECT_FALSE(read(dir / "lix-test.bin", back)) << at;
    EXPECT_EQ(damaged_files(), before + 1) << at;
    EXPECT_FALSE(fs::exists(dir / "lix-test.bin")) << at;
  }
  // A file cut short is damaged too.
  ASSERT_TRUE(store(dir, "lix-test.bin", bytes, "lix-", ".bin", 4));
  fs::resize_file(dir / "lix-test.bin", 4000);
  EXPECT_FALSE(read(dir / "lix-test.bin", back));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace ariadne::cache

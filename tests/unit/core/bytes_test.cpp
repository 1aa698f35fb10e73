#include "ariadne/core/bytes.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace ariadne {
namespace {

std::string sample() {
  byte_writer w;
  w.pod<std::uint64_t>(0x0102030405060708ULL);
  w.str("name");
  w.strs({"a", "", "bc"});
  w.pods(std::vector<std::uint32_t>{7, 8, 9});
  w.pod<std::uint8_t>(1);
  return w.out;
}

TEST(Bytes, WhatIsWrittenReadsBack) {
  std::string bytes = sample();
  byte_reader r(bytes);
  EXPECT_EQ(r.pod<std::uint64_t>(), 0x0102030405060708ULL);
  EXPECT_EQ(r.str(), "name");
  EXPECT_EQ(r.strs(), (std::vector<std::string>{"a", "", "bc"}));
  EXPECT_EQ(r.pods<std::uint32_t>(), (std::vector<std::uint32_t>{7, 8, 9}));
  EXPECT_FALSE(r.done());
  EXPECT_TRUE(r.flag());
  EXPECT_TRUE(r.done());
}

// Cut anywhere, the same reads end not ok (and never read past the end).
TEST(Bytes, EveryCutIsNoticed) {
  std::string bytes = sample();
  for (std::size_t cut = 0; cut < bytes.size(); ++cut) {
    byte_reader r(std::string_view(bytes).substr(0, cut));
    (void)r.pod<std::uint64_t>();
    (void)r.str();
    (void)r.strs();
    (void)r.pods<std::uint32_t>();
    (void)r.flag();
    EXPECT_FALSE(r.ok) << cut;
    EXPECT_FALSE(r.done()) << cut;
  }
}

// A count larger than the bytes left could hold is refused before anything
// is allocated; a flag other than 0 or 1 is refused too.
TEST(Bytes, ImpossibleCountsAndFlagsAreRefused) {
  byte_writer w;
  w.u32(1000);  // a thousand u32s promised, none there
  w.pod<std::uint32_t>(5);
  byte_reader r(w.out);
  EXPECT_TRUE(r.pods<std::uint32_t>().empty());
  EXPECT_FALSE(r.ok);

  byte_writer exact;
  exact.u32(2);
  exact.pod<std::uint32_t>(1);
  exact.pod<std::uint32_t>(2);
  byte_reader fits(exact.out);
  EXPECT_EQ(fits.pods<std::uint32_t>().size(), 2u);
  EXPECT_TRUE(fits.done());

  byte_writer flag;
  flag.pod<std::uint8_t>(2);
  byte_reader f(flag.out);
  (void)f.flag();
  EXPECT_FALSE(f.ok);
}

}  // namespace
}  // namespace ariadne

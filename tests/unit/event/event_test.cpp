// Field interning (each thread's lock-free cache of names in front of the
// shared table) and an event's field spans.
#include "ariadne/event/event.hpp"

#include <gtest/gtest.h>

#include <numeric>
#include <string>
#include <thread>
#include <vector>

namespace ariadne {
namespace {

// Enough names to grow a thread's cache several times; names that share
// long prefixes and differ in length only by trailing bytes.
std::vector<std::string> many_names() {
  std::vector<std::string> names;
  for (int k = 0; k < 5000; ++k) names.push_back("Event.EventData.Field" + std::to_string(k));
  for (int k = 1; k <= 40; ++k) names.push_back(std::string(static_cast<std::size_t>(k), 'a'));
  names.push_back("");
  return names;
}

TEST(FieldTable, InternIsStableAndRoundTrips) {
  field_table table;
  const auto names = many_names();
  std::vector<field_id> ids;
  for (const auto& n : names) ids.push_back(table.intern(n));
  EXPECT_EQ(table.size(), names.size());
  for (std::size_t k = 0; k < names.size(); ++k) {
    EXPECT_EQ(table.intern(names[k]), ids[k]) << names[k];
    EXPECT_EQ(table.find(names[k]), ids[k]);
    EXPECT_EQ(table.name(ids[k]), names[k]);
  }
  EXPECT_EQ(table.find("never interned"), k_no_field);
}

TEST(FieldTable, ThreadsAgreeOnIds) {
  field_table table;
  const auto names = many_names();
  std::vector<std::vector<field_id>> got(3);
  std::vector<std::thread> pool;
  for (std::size_t t = 0; t < got.size(); ++t)
    pool.emplace_back([&, t] {
      // Each thread walks the names in its own order.
      for (std::size_t k = 0; k < names.size(); ++k) {
        std::size_t at = (k * (t + 1) * 7919) % names.size();
        (void)table.intern(names[at]);
      }
      for (const auto& n : names) got[t].push_back(table.intern(n));
      for (std::size_t k = 0; k < names.size(); ++k) EXPECT_EQ(table.name(got[t][k]), names[k]);
    });
  for (auto& th : pool) th.join();
  EXPECT_EQ(table.size(), names.size());
  EXPECT_EQ(got[0], got[1]);
  EXPECT_EQ(got[0], got[2]);
  for (std::size_t k = 0; k < names.size(); ++k) EXPECT_EQ(table.name(got[0][k]), names[k]);
}

// A table made after another was destroyed may reuse its address: a
// thread's caches must not answer with the old table's ids or names.
TEST(FieldTable, ANewTableDoesNotSeeAnOldOnesCache) {
  field_id old_id = 0;
  {
    field_table a;
    EXPECT_EQ(a.name(a.intern("x")), "x");
    old_id = a.intern("y");
    EXPECT_EQ(a.name(old_id), "y");
  }
  field_table b;
  EXPECT_EQ(b.find("y"), k_no_field);
  EXPECT_EQ(b.intern("y"), 0u);
  EXPECT_EQ(b.name(0), "y");
  EXPECT_EQ(b.name(b.intern("z")), "z");
  EXPECT_NE(old_id, 0u);
}

// An event's spans: a repeated field spans its first to last value, a null
// value is noted, added values extend the table, and the next event's
// reset forgets the previous event's fields.
TEST(FieldSpans, FirstLastNullAndReset) {
  field_table& names = field_names();
  field_id a = names.intern("spans.a"), b = names.intern("spans.b"), c = names.intern("spans.c");
  event_batch batch;
  event& ev = batch.begin_event(0, 1);
  batch.add_string(a, "1");
  batch.add_value(b, value::make_null());
  batch.add_string(a, "2");
  batch.end_event();
  field_spans spans;
  spans.reset(batch.fields(ev));
  const auto* sa = spans.find(a);
  ASSERT_NE(sa, nullptr);
  EXPECT_EQ(sa->first, 0u);
  EXPECT_EQ(sa->last, 2u);
  EXPECT_FALSE(sa->any_null);
  ASSERT_NE(spans.find(b), nullptr);
  EXPECT_TRUE(spans.find(b)->any_null);
  EXPECT_EQ(spans.find(c), nullptr);
  spans.add({c, value::make_string("x")}, 3);
  ASSERT_NE(spans.find(c), nullptr);
  EXPECT_EQ(spans.find(c)->first, 3u);

  event& next = batch.begin_event(0, 2);
  batch.add_string(b, "3");
  batch.end_event();
  spans.reset(batch.fields(next));
  EXPECT_EQ(spans.find(a), nullptr);
  EXPECT_EQ(spans.find(c), nullptr);
  ASSERT_NE(spans.find(b), nullptr);
  EXPECT_FALSE(spans.find(b)->any_null);
  EXPECT_EQ(spans.find(b)->first, 0u);
}

// An alias copies every value of its source, or those within the index
// range given (as field spans give it), in order, to the newest event only.
TEST(EventBatch, AliasCopiesTheSourceValuesInItsRange) {
  field_table& names = field_names();
  field_id a = names.intern("alias.a"), b = names.intern("alias.b"), c = names.intern("alias.c"),
           d = names.intern("alias.d");
  event_batch batch;
  batch.begin_event(0, 1);
  batch.add_string(a, "old");
  batch.end_event();
  event& ev = batch.begin_event(0, 2);
  batch.add_string(a, "1");
  batch.add_string(b, "2");
  batch.add_string(a, "3");
  batch.alias_field(ev, a, c);
  batch.alias_field(ev, a, d, 2, 2);
  batch.alias_field(ev, b, d, 5, 9);  // past the end: nothing
  batch.end_event();
  std::vector<std::pair<field_id, std::string>> got;
  for (const auto& f : batch.fields(ev)) got.emplace_back(f.id, std::string(f.val.text));
  const std::vector<std::pair<field_id, std::string>> want = {{a, "1"}, {b, "2"}, {a, "3"}, {c, "1"}, {c, "3"}, {d, "3"}};
  EXPECT_EQ(got, want);
  EXPECT_EQ(batch.fields(batch.events()[0]).size(), 1u);  // (events may have moved: looked up again)
}

// A stored string notes whether it is all ASCII, whatever its length and
// wherever its one high byte is; a string made elsewhere leaves it to be
// found; the texts of other kinds are ASCII.
TEST(EventBatch, StoredStringsNoteWhetherTheyAreAscii) {
  const field_id f = field_names().intern("ascii.f");
  event_batch batch;
  batch.begin_event(0, 1);
  std::vector<std::string> texts;
  // Every length up to 70 (short words, whole and partial 16- and 32-byte
  // blocks) and a long one; the high byte at every place (every 37th in the
  // long one).
  std::vector<std::size_t> lengths(70);
  std::iota(lengths.begin(), lengths.end(), std::size_t{1});
  lengths.push_back(1000);
  for (std::size_t n : lengths) {
    std::string plain(n, 'a');
    for (std::size_t k = 0; k < n; ++k) plain[k] = static_cast<char>('a' + k % 26);
    texts.push_back(plain);
    for (std::size_t at = 0; at < n; at += n > 70 ? 37 : 1) {
      std::string t = plain;
      t[at] = '\xc3';
      texts.push_back(t);
    }
  }
  for (const auto& t : texts) batch.add_string(f, t);
  batch.end_event();
  auto fields = batch.fields(batch.events()[0]);
  ASSERT_EQ(fields.size(), texts.size());
  for (std::size_t k = 0; k < texts.size(); ++k) {
    const bool want = texts[k].find('\xc3') == std::string::npos;
    EXPECT_EQ(fields[k].val.ascii, want ? value::k_ascii : value::k_not_ascii) << k;
    EXPECT_EQ(value_text_is_ascii(fields[k].val), want) << k;
    EXPECT_EQ(fields[k].val.text, texts[k]) << k;  // copied whole
  }
  EXPECT_EQ(value::make_string("caf\xc3\xa9").ascii, value::k_ascii_unknown);
  EXPECT_FALSE(value_text_is_ascii(value::make_string("caf\xc3\xa9")));
  EXPECT_TRUE(value_text_is_ascii(value::make_string("cafe")));
  for (const value& v : {value::make_int(-12), value::make_double(2.5), value::make_bool(true), value::make_null()})
    EXPECT_TRUE(value_text_is_ascii(v));
}

}  // namespace
}  // namespace ariadne

#include "ariadne/ingest/json_reader.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

#include "test_support.hpp"

namespace ariadne {
namespace {

std::string field(const event_batch& b, const event& ev, std::string_view name) {
  field_id id = field_names().find(name);
  if (id == k_no_field) return "<none>";
  const value* v = b.find(ev, id);
  if (!v) return "<none>";
  std::string scratch;
  return std::string(value_text(*v, scratch));
}

TEST(JsonReader, JsonLinesKeepLineNumbers) {
  event_batch b;
  std::vector<ingest::input_problem> problems;
  test::read_events("{\"a\":1}\n\n{\"a\":2}\n{\"a\":3}\n", b, problems);
  ASSERT_EQ(b.size(), 3u);
  EXPECT_EQ(b.events()[0].source.record, 1u);
  EXPECT_EQ(b.events()[1].source.record, 3u);
  EXPECT_EQ(b.events()[2].source.record, 4u);
  EXPECT_TRUE(problems.empty());
}

// The layout is decided on a sample of lines: a first line that is garbage,
// a stray '[' or a record cut short costs that line only (it was the whole
// file, or 742 of 10,000 records, when the first record decided).
TEST(JsonReader, ABadFirstLineIsOneProblemNotTheFile) {
  std::string body;
  for (int k = 0; k < 50; ++k) body += "{\"a\":" + std::to_string(k) + "}\n";
  for (std::string head : {"garbage", "[1,2", "\"a\": 7, \"b\": 8}", "{\"a\": 1,"}) {
    std::string text = head + "\n" + body;
    std::size_t at = 0;
    std::uint64_t line = 0;
    EXPECT_TRUE(ingest::json_reader::sniff(text)) << head;
    EXPECT_TRUE(ingest::json_reader::is_json_lines(text, at, line)) << head;
    event_batch b;
    std::vector<ingest::input_problem> problems;
    test::read_events(text, b, problems);
    EXPECT_EQ(b.size(), 50u) << head;
    ASSERT_EQ(problems.size(), 1u) << head;
    EXPECT_EQ(problems[0].where, "input.json:1") << head;
    EXPECT_EQ(b.events()[0].source.record, 2u) << head;
  }
}

// A record over the size limit is skipped with a problem before it is
// parsed (a 200 MB line under a memory limit crashed the reused parser),
// and the records after it are read.
TEST(JsonReader, ARecordOverTheSizeLimitIsSkippedAndReadingGoesOn) {
  ingest::json_reader reader;
  reader.max_record_bytes = 1000;
  std::string text = "{\"a\":1}\n{\"big\":\"" + std::string(5000, 'x') + "\"}\n{\"a\":3}\n";
  simdjson::padded_string padded(text);
  event_batch b;
  std::vector<ingest::input_problem> problems;
  auto stats = reader.read("big.jsonl", padded, 0, b, nullptr, nullptr, problems);
  EXPECT_EQ(stats.events, 2u);
  EXPECT_EQ(stats.bad, 1u);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].where, "big.jsonl:2");
  EXPECT_EQ(problems[0].reason, "too-large");
}

// A record with more values than the limit keeps the first ones and says so.
TEST(JsonReader, TooManyFieldsAreCutWithAProblem) {
  ingest::json_reader reader;
  reader.max_fields = 10;
  std::string rec = "{";
  for (int k = 0; k < 50; ++k) rec += (k ? "," : "") + std::string("\"f") + std::to_string(k) + "\":" + std::to_string(k);
  rec += "}\n";
  simdjson::padded_string padded(rec);
  event_batch b;
  std::vector<ingest::input_problem> problems;
  (void)reader.read("wide.jsonl", padded, 0, b, nullptr, nullptr, problems);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b.fields(b.events()[0]).size(), 10u);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].reason, "too-many-fields");
}

// Arrays and pretty-printed objects are still told apart from JSON lines,
// and text that is not JSON is still not taken for it.
TEST(JsonReader, LayoutSampleKeepsArraysAndPrettyPrintedObjects) {
  std::size_t at = 0;
  std::uint64_t line = 0;
  EXPECT_FALSE(ingest::json_reader::is_json_lines("[\n{\"a\":1},\n{\"a\":2}\n]\n", at, line));
  EXPECT_FALSE(ingest::json_reader::is_json_lines("{\n  \"a\": 1\n}\n{\n  \"a\": 2\n}\n", at, line));
  EXPECT_TRUE(ingest::json_reader::is_json_lines("\xEF\xBB\xBF\n\n{\"a\":1}\n", at, line));
  EXPECT_EQ(line, 3u);
  EXPECT_FALSE(ingest::json_reader::sniff("# README\nsome text\n{not json}\nmore text\n"));
  EXPECT_FALSE(ingest::json_reader::sniff("plain text\n"));
}

// Segments end at line ends and cover the text; numbered on two threads (a
// later segment's number() waits for the earlier ones), each first line is
// the line its first byte is on.
TEST(LineSegmenter, NumbersSegmentsInOrderFromAnyThread) {
  std::string text;
  for (int k = 0; k < 400; ++k) text += std::string(static_cast<std::size_t>(k % 37), 'x') + (k % 5 ? "\n" : "\n\n");
  const std::uint64_t body_line = 3;
  ingest::line_segmenter seg(text, 0, body_line, 64);
  std::vector<ingest::line_segment> segs;
  for (ingest::line_segment s; seg.next(s);) segs.push_back(s);
  ASSERT_GT(segs.size(), 50u);
  ASSERT_EQ(segs.front().begin, 0u);
  ASSERT_EQ(segs.back().end, text.size());
  for (std::size_t k = 0; k < segs.size(); ++k) {
    EXPECT_EQ(segs[k].seq, k);
    EXPECT_EQ(text[segs[k].end - 1], '\n');
    if (k) {
      EXPECT_EQ(segs[k].begin, segs[k - 1].end);
    }
  }
  // Each segment's newlines, as its reader counts them.
  auto newlines = [&](const ingest::line_segment& s) {
    event_batch b;
    std::vector<ingest::input_problem> problems;
    ingest::json_reader r;
    std::string padded = text + std::string(simdjson::SIMDJSON_PADDING, '\0');
    auto stats = r.read_lines("t", simdjson::padded_string_view(padded.data(), text.size(), padded.size()), s.begin, s.end,
                              1, 0, b, nullptr, nullptr, problems);
    return stats.newlines;
  };
  // One thread numbers the odd segments, the other the even ones, each in
  // order: nearly every call waits for the other thread's last one.
  std::thread odd([&] {
    for (std::size_t k = 1; k < segs.size(); k += 2) seg.number(segs[k], newlines(segs[k]));
  });
  for (std::size_t k = 0; k < segs.size(); k += 2) seg.number(segs[k], newlines(segs[k]));
  odd.join();
  for (const auto& s : segs)
    EXPECT_EQ(s.first_line, body_line + static_cast<std::uint64_t>(std::count(text.begin(), text.begin() + s.begin, '\n')));
}

// try_number() numbers a segment only when every earlier one is numbered,
// and leaves it to be numbered later otherwise.
TEST(LineSegmenter, TryNumberDoesNotWaitForEarlierSegments) {
  const std::string text = "a\nb\nc\nd\ne\nf\n";
  ingest::line_segmenter seg(text, 0, 1, 4);
  std::vector<ingest::line_segment> segs;
  for (ingest::line_segment s; seg.next(s);) segs.push_back(s);
  ASSERT_EQ(segs.size(), 3u);  // "a\nb\n", "c\nd\n", "e\nf\n"
  EXPECT_FALSE(seg.try_number(segs[1], 2));
  EXPECT_FALSE(seg.try_number(segs[2], 2));
  EXPECT_TRUE(seg.try_number(segs[0], 2));
  EXPECT_EQ(segs[0].first_line, 1u);
  EXPECT_FALSE(seg.try_number(segs[2], 2));
  EXPECT_TRUE(seg.try_number(segs[1], 2));
  EXPECT_EQ(segs[1].first_line, 3u);
  seg.number(segs[2], 2);
  EXPECT_EQ(segs[2].first_line, 5u);
}

// Records of varying shapes (fields reordered, missing, added, nested, a
// name at a new place) keep every field under its own name: the reader's
// memo of which name followed which is only a first guess.
TEST(JsonReader, FieldsKeepTheirNamesWhateverTheOrder) {
  const std::vector<std::string> lines = {
      R"({"ja":1,"jb":"x","jc":true})",     R"({"ja":2,"jb":"y","jc":false})", R"({"jb":"z","ja":3})",
      R"({"ja":4,"jd":"w","jc":true})",     R"({"jc":false,"jb":"v","ja":5})", R"({"ja":6,"jn":{"jb":"inner"},"jb":"u"})",
      R"({"jbb":"long","ja":7,"jb":"t"})", R"({"ja":8,"jb":"s","jc":true})"};
  std::string text;
  for (const auto& l : lines) text += l + "\n";
  event_batch b;
  std::vector<ingest::input_problem> problems;
  test::read_events(text, b, problems);
  ASSERT_TRUE(problems.empty());
  ASSERT_EQ(b.size(), lines.size());
  std::vector<std::string> got;
  for (const auto& ev : b.events()) {
    std::string row;
    for (const auto& f : b.fields(ev)) {
      std::string scratch;
      row += std::string(field_names().name(f.id)) + "=" + std::string(value_text(f.val, scratch)) + " ";
    }
    got.push_back(row);
  }
  const std::vector<std::string> want = {
      "ja=1 jb=x jc=true ",  "ja=2 jb=y jc=false ",         "jb=z ja=3 ",           "ja=4 jd=w jc=true ",
      "jc=false jb=v ja=5 ", "ja=6 jn.jb=inner jb=u ", "jbb=long ja=7 jb=t ", "ja=8 jb=s jc=true "};
  EXPECT_EQ(got, want);
}

TEST(JsonReader, TruncatedLineIsReportedAndSkipped) {
  event_batch b;
  std::vector<ingest::input_problem> problems;
  test::read_events("{\"a\":1}\n{\"a\":\n{\"a\":3}\nnot json\n", b, problems);
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(field(b, b.events()[1], "a"), "3");
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_EQ(problems[0].where, "input.json:2");
  EXPECT_EQ(problems[0].reason, "bad-json");
  EXPECT_EQ(problems[1].where, "input.json:4");
}

TEST(JsonReader, ArrayAndConcatenatedPrettyObjects) {
  event_batch b;
  std::vector<ingest::input_problem> problems;
  test::read_events("[\n {\"a\": 1},\n {\"a\": 2}\n]", b, problems);
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b.events()[1].source.record, 3u);
  event_batch c;
  test::read_events("{\n  \"a\": \"x}\"\n}\n{\n  \"a\": 2\n}\n", c, problems);
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(field(c, c.events()[0], "a"), "x}");
  EXPECT_EQ(c.events()[1].source.record, 4u);
  EXPECT_TRUE(problems.empty());
}

TEST(JsonReader, TruncatedPrettyObjectDoesNotLoseTheNext) {
  event_batch b;
  std::vector<ingest::input_problem> problems;
  test::read_events("{\n  \"a\": 1,\n  \"b\": \n{\n  \"a\": 2\n}\n", b, problems);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(field(b, b.events()[0], "a"), "2");
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].where, "input.json:1");
}

TEST(JsonReader, EvtxDumpLayout) {
  const char* json = R"({"Event":{"#attributes":{"xmlns":"x"},"System":{
    "Provider":{"#attributes":{"Name":"Microsoft-Windows-Sysmon","Guid":"G"}},
    "EventID":{"#attributes":{"Qualifiers":16384},"#text":7045},
    "TimeCreated":{"#attributes":{"SystemTime":"2026-04-17T05:24:53.092051Z"}},
    "Channel":"System","Computer":"host1","Security":{"#attributes":{"UserID":"S-1-5-18"}}},
    "EventData":{"Source Name":"x","Data":{"#text":["one","two"]}},
    "UserData":{"Op":{"#attributes":{"xmlns":"y"},"Operation":"Start","Inner":{"Leaf":"v"}}}}})";
  event_batch b;
  std::vector<ingest::input_problem> problems;
  test::read_events(json, b, problems);
  ASSERT_EQ(b.size(), 1u);
  const event& ev = b.events()[0];
  EXPECT_EQ(field(b, ev, "Provider_Name"), "Microsoft-Windows-Sysmon");
  EXPECT_EQ(field(b, ev, "EventID"), "7045");
  EXPECT_EQ(field(b, ev, "EventID_Qualifiers"), "16384");
  EXPECT_EQ(field(b, ev, "Security_UserID"), "S-1-5-18");
  EXPECT_EQ(field(b, ev, "SourceName"), "x");  // spaces removed
  EXPECT_EQ(field(b, ev, "Operation"), "Start");
  EXPECT_EQ(field(b, ev, "Leaf"), "v");
  EXPECT_EQ(format_rfc3339(ev.time), "2026-04-17T05:24:53.092051000Z");
  std::size_t data_values = 0;
  for (const auto& f : b.fields(ev))
    if (f.id == field_names().find("Data")) ++data_values;
  EXPECT_EQ(data_values, 2u);
  EXPECT_EQ(logsource_value_name(ev.logsource.service), "system");
}

TEST(JsonReader, WinlogbeatLayout) {
  const char* json = R"({"@timestamp":"2021-01-01T00:00:00Z","winlog":{"channel":"Security","event_id":4688,
    "computer_name":"ws1","event_data":{"NewProcessName":"C:\\x.exe","CommandLine":"x"}}})";
  event_batch b;
  std::vector<ingest::input_problem> problems;
  test::read_events(json, b, problems);
  ASSERT_EQ(b.size(), 1u);
  const event& ev = b.events()[0];
  EXPECT_EQ(field(b, ev, "Image"), "C:\\x.exe");
  EXPECT_EQ(field(b, ev, "Computer"), "ws1");
  EXPECT_EQ(logsource_value_name(ev.logsource.product), "windows");
  EXPECT_TRUE(ev.logsource.has_category(intern_logsource_value("process_creation")));
}

TEST(JsonReader, DeepNestingIsCutNotCrashed) {
  std::string deep;
  for (int k = 0; k < 500; ++k) deep += "{\"a\":";
  deep += "1";
  for (int k = 0; k < 500; ++k) deep += "}";
  event_batch b;
  std::vector<ingest::input_problem> problems;
  test::read_events(deep + "\n{\"b\":1}\n", b, problems);
  EXPECT_EQ(b.size(), 2u);
  ASSERT_FALSE(problems.empty());
  EXPECT_EQ(problems[0].reason, "too-deep");
}

TEST(JsonReader, HugeFieldIsKept) {
  std::string big(4 << 20, 'x');
  event_batch b;
  std::vector<ingest::input_problem> problems;
  test::read_events("{\"big\":\"" + big + "\"}\n", b, problems);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(field(b, b.events()[0], "big").size(), big.size());
}

}  // namespace
}  // namespace ariadne

#include "ariadne/normalize/normalizer.hpp"

#include <gtest/gtest.h>

#include "test_support.hpp"

namespace ariadne {
namespace {

bool has_cat(const event& ev, std::string_view c) { return ev.logsource.has_category(intern_logsource_value(c)); }

TEST(Normalizer, BuiltinMappingLoads) {
  // builtin() asserts on a broken embedded file; loading it here proves it is valid.
  const auto& n = normalizer::builtin();
  (void)n;
  auto bad = normalizer::from_yaml("categories:\n  - {category: x}\n", "m.yml");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().message, "category entry needs 'category' and 'channel'");
}

TEST(Normalizer, SysmonAndSecurityCategories) {
  event_batch b;
  std::vector<ingest::input_problem> problems;
  test::read_events(R"({"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":1}
{"Channel":"security","EventID":"4688","NewProcessName":"a","ParentProcessName":"b"}
{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":12,"EventType":"CreateKey"}
{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":13}
{"Channel":"Microsoft-Windows-PowerShell/Operational","EventID":4104}
{"Channel":"Security","EventID":4624}
{"Channel":"Linux-Sysmon/Operational","EventID":1}
{"SomethingElse":1})",
                    b, problems);
  ASSERT_EQ(b.size(), 8u);
  auto ev = b.events();
  EXPECT_TRUE(has_cat(ev[0], "process_creation"));
  EXPECT_EQ(logsource_value_name(ev[0].logsource.service), "sysmon");
  EXPECT_TRUE(has_cat(ev[1], "process_creation"));
  EXPECT_EQ(logsource_value_name(ev[1].logsource.service), "security");
  std::string scratch;
  EXPECT_EQ(value_text(*b.find(ev[1], field_names().find("Image")), scratch), "a");
  EXPECT_EQ(value_text(*b.find(ev[1], field_names().find("ParentImage")), scratch), "b");
  EXPECT_TRUE(has_cat(ev[2], "registry_add"));
  EXPECT_TRUE(has_cat(ev[2], "registry_event"));
  EXPECT_FALSE(has_cat(ev[2], "registry_delete"));
  EXPECT_TRUE(has_cat(ev[3], "registry_set"));
  EXPECT_TRUE(has_cat(ev[4], "ps_script"));
  EXPECT_EQ(logsource_value_name(ev[4].logsource.service), "powershell");
  EXPECT_EQ(ev[5].logsource.n_categories, 0);
  EXPECT_EQ(logsource_value_name(ev[6].logsource.product), "linux");
  EXPECT_TRUE(has_cat(ev[6], "process_creation"));
  EXPECT_EQ(ev[7].logsource.product, 0);
}

}  // namespace
}  // namespace ariadne

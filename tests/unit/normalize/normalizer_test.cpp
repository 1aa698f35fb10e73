#include "ariadne/normalize/normalizer.hpp"

#include <gtest/gtest.h>

#include "ariadne/core/text.hpp"
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

// Many channels interleaved (more than the per-thread memo holds), each
// event ids of its own, and two normalizers with different mappings used
// by turns on one thread: every event gets what its own mapping says.
TEST(Normalizer, InterleavedChannelsAndTwoMappingsStayApart) {
  auto custom = normalizer::from_yaml(
      "windows_when_field: [Channel]\nservices:\n  custom-sec: [Security]\ncategories:\n"
      "  - {category: custom_logon, channel: Security, event_ids: [4624]}\n",
      "custom.yml");
  ASSERT_TRUE(custom.has_value()) << custom.error().message;
  const std::vector<std::string> channels = {"Microsoft-Windows-Sysmon/Operational",
                                             "Security",
                                             "System",
                                             "Application",
                                             "Microsoft-Windows-PowerShell/Operational",
                                             "Windows PowerShell",
                                             "Microsoft-Windows-TaskScheduler/Operational",
                                             "Microsoft-Windows-WMI-Activity/Operational",
                                             "Microsoft-Windows-Windows Defender/Operational",
                                             "Microsoft-Windows-NTLM/Operational",
                                             "Linux-Sysmon/Operational"};
  field_id ch = field_names().intern("Channel"), eid = field_names().intern("EventID");
  for (int round = 0; round < 3; ++round)
    for (std::size_t k = 0; k < channels.size(); ++k)
      for (std::int64_t id : {1, 4624, 4104}) {
        const normalizer* both[] = {&normalizer::builtin(), &*custom};
        for (const normalizer* n : both) {
          event_batch b;
          b.begin_event(0, 1);
          b.add_string(ch, (round % 2) ? channels[k] : to_lower_ascii(channels[k]));
          b.add_value(eid, value::make_int(id));
          b.end_event();
          n->apply(b, b.events().back());
          const event& got = b.events().back();
          const std::string& c = channels[k];
          SCOPED_TRACE(c + " " + std::to_string(id) + (n == &*custom ? " custom" : " builtin"));
          if (n == &*custom) {
            EXPECT_EQ(logsource_value_name(got.logsource.service), c == "Security" ? "custom-sec" : "");
            EXPECT_EQ(has_cat(got, "custom_logon"), c == "Security" && id == 4624);
            EXPECT_EQ(got.logsource.n_categories, c == "Security" && id == 4624 ? 1 : 0);
          } else {
            EXPECT_FALSE(has_cat(got, "custom_logon"));
            EXPECT_EQ(has_cat(got, "process_creation"),
                      id == 1 && (c == "Microsoft-Windows-Sysmon/Operational" || c == "Linux-Sysmon/Operational"));
            EXPECT_EQ(has_cat(got, "ps_script"), id == 4104 && c == "Microsoft-Windows-PowerShell/Operational");
            EXPECT_EQ(logsource_value_name(got.logsource.product), c == "Linux-Sysmon/Operational" ? "linux" : "windows");
            if (c == "Security") {
              EXPECT_EQ(logsource_value_name(got.logsource.service), "security");
            }
            if (c == "Windows PowerShell") {
              EXPECT_EQ(logsource_value_name(got.logsource.service), "powershell-classic");
            }
          }
        }
      }
}

}  // namespace
}  // namespace ariadne

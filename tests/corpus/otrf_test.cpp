// The OTRF Security-Datasets exports are zipped JSON lines in a flat layout;
// they are read without unzipping by hand and their events get the right
// logsource.
#include <gtest/gtest.h>

#include "ariadne/ingest/json_reader.hpp"
#include "ariadne/normalize/normalizer.hpp"
#include "test_support.hpp"

namespace ariadne {
namespace {

TEST(Otrf, ZippedFlatLayoutGetsLogsources) {
  ARIADNE_REQUIRE_SHARED();
  std::string zip = test::shared("attacks/otrf-security-datasets/atomic/windows/credential_access/host/"
                                 "empire_shell_rubeus_asktgt_ptt.zip");
  std::vector<ingest::input_problem> problems;
  std::size_t events = 0, sysmon_proc = 0, logons = 0, security_svc = 0;
  field_id image = field_names().intern("Image");
  ls_id proc = intern_logsource_value("process_creation");
  ls_id security = intern_logsource_value("security");
  ls_id sysmon = intern_logsource_value("sysmon");
  field_id eid = field_names().intern("EventID");
  bool ok = ingest::for_each_member(
      zip,
      [&](const ingest::member& m) {
        EXPECT_NE(m.name.find(".zip!"), std::string::npos);
        ingest::json_reader reader;
        event_batch batch;
        auto consume = [&](event_batch& b) {
          for (const auto& ev : b.events()) {
            ++events;
            if (ev.logsource.service == security) ++security_svc;
            if (ev.logsource.has_category(proc)) {
              EXPECT_NE(b.find(ev, image), nullptr);  // 4688 NewProcessName mapped to Image
              if (ev.logsource.service == sysmon) ++sysmon_proc;
            }
            const value* v = b.find(ev, eid);
            if (v && v->kind == value_kind::integer && v->integer == 4624 && ev.logsource.service == security) ++logons;
          }
          b.clear();
        };
        reader.read(m.name, *m.data, 0, batch, [](event_batch& b, event& ev) { normalizer::builtin().apply(b, ev); },
                    consume, problems);
        consume(batch);
      },
      problems);
  ASSERT_TRUE(ok);
  EXPECT_TRUE(problems.empty());
  EXPECT_EQ(events, 1179u);  // MANIFEST.tsv records for this file
  EXPECT_GT(sysmon_proc, 0u);
  EXPECT_EQ(logons, 7u);
  // Channel "Security" and "security" both occur; both are the security service.
  EXPECT_EQ(security_svc, 306u);
}

}  // namespace
}  // namespace ariadne

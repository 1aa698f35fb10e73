// The details column and alert groups: which fields an event kind shows,
// which of them make two alerts repeats, and the embedded profile.
#include "ariadne/report/details.hpp"

#include <gtest/gtest.h>

#include "ariadne/normalize/normalizer.hpp"

namespace ariadne {
namespace {

struct built {
  event_batch batch;
  const event* ev = nullptr;
};

// An event of `channel`/`id` with the given fields, normalised as hunt does.
void make(built& b, std::string_view channel, int id, std::initializer_list<std::pair<const char*, const char*>> fields) {
  auto& names = field_names();
  event& ev = b.batch.begin_event(0, 1);
  b.batch.add_string(names.intern("Channel"), channel);
  b.batch.add_value(names.intern("EventID"), value::make_int(id));
  for (const auto& [k, v] : fields) b.batch.add_string(names.intern(k), v);
  b.batch.end_event();
  normalizer::builtin().apply(b.batch, b.batch.events()[0]);
  (void)ev;
  b.ev = &b.batch.events()[0];
}

TEST(Details, FailedLogonShowsUserSourceAndTypeButGroupsWithoutTheRandomWorkstation) {
  built a, b;
  make(a, "Security", 4625,
       {{"TargetUserName", "Administrator"}, {"IpAddress", "192.168.198.149"}, {"LogonType", "3"},
        {"WorkstationName", "6hgtmVlrrFuWtO65"}, {"TargetDomainName", "."}});
  make(b, "Security", 4625,
       {{"TargetUserName", "Administrator"}, {"IpAddress", "192.168.198.149"}, {"LogonType", "3"},
        {"WorkstationName", "gC4ymsKbxVGScMgY"}, {"TargetDomainName", "."}});
  const auto& p = report::details_profile::builtin();
  auto da = p.render(a.batch, *a.ev), db = p.render(b.batch, *b.ev);
  EXPECT_EQ(da.text,
            "User: Administrator \xC2\xA6 Domain: . \xC2\xA6 Type: 3 \xC2\xA6 SrcIP: 192.168.198.149 \xC2\xA6 SrcComp: "
            "6hgtmVlrrFuWtO65");
  EXPECT_NE(da.text, db.text);
  EXPECT_EQ(da.key, db.key);  // the workstation is not a key: one row
  EXPECT_EQ(report::group_id("r1", "HOST", da.key), report::group_id("r1", "host", db.key));
  EXPECT_NE(report::group_id("r1", "HOST", da.key), report::group_id("r2", "HOST", da.key));
}

// A process: its command line and image are the key (Security 4688 keys the
// same way, so a process both report is one row); values stay on one line.
TEST(Details, OtherCommandIsAnotherGroupAndValuesStayOnOneLine) {
  built a, b;
  make(a, "Microsoft-Windows-Sysmon/Operational", 1,
       {{"CommandLine", "cmd.exe /c\r\n  whoami\t/all"}, {"Image", "C:\\Windows\\System32\\cmd.exe"}, {"User", "CORP\\bob"}});
  make(b, "Microsoft-Windows-Sysmon/Operational", 1,
       {{"CommandLine", "cmd.exe /c whoami /priv"}, {"Image", "C:\\Windows\\System32\\cmd.exe"}, {"User", "CORP\\bob"}});
  const auto& p = report::details_profile::builtin();
  auto da = p.render(a.batch, *a.ev);
  EXPECT_EQ(da.text.find('\n'), std::string::npos);
  EXPECT_EQ(da.text.rfind("Cmd: cmd.exe /c whoami /all \xC2\xA6 Proc: ", 0), 0u) << da.text;
  EXPECT_NE(da.key, p.render(b.batch, *b.ev).key);
  built c, d;
  make(c, "Security", 4688, {{"CommandLine", "whoami /all"}, {"NewProcessName", "C:\\w.exe"}, {"SubjectUserName", "bob"}});
  make(d, "Microsoft-Windows-Sysmon/Operational", 1,
       {{"CommandLine", "whoami /all"}, {"Image", "C:\\w.exe"}, {"User", "CORP\\bob"}});
  EXPECT_EQ(p.render(c.batch, *c.ev).key, p.render(d.batch, *d.ev).key);
}

TEST(Details, UnknownKindsFallBackToTheDefaultEntry) {
  built a;
  make(a, "Some-Other/Channel", 77, {{"CommandLine", "x.exe"}, {"Unrelated", "y"}});
  auto d = report::details_profile::builtin().render(a.batch, *a.ev);
  EXPECT_EQ(d.text, "Cmd: x.exe");
}

TEST(Details, ProfileErrorsNameTheirLine) {
  auto bad = report::details_profile::parse("default:\n  fields: {A: X}\nevents:\n  - channel: Security\n    fields: {B: Y}\n",
                                            "p.yml");
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().to_string().find("p.yml:4"), std::string::npos) << bad.error().to_string();
  auto key = report::details_profile::parse(
      "default:\n  fields: {A: X}\nevents:\n  - category: process_creation\n    fields: {B: Y}\n    key: [C]\n", "p.yml");
  ASSERT_FALSE(key.has_value());
  EXPECT_NE(key.error().message.find("key 'C'"), std::string::npos);
}

}  // namespace
}  // namespace ariadne

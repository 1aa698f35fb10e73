// Entity graph, incidents and traces on small events shaped like the real
// ones (field names and values as Sysmon, Security and the OTRF exports
// write them). The corpus tests run the same code on whole datasets.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "ariadne/graph/anomaly.hpp"
#include "ariadne/graph/baseline.hpp"
#include "ariadne/graph/graph.hpp"
#include "ariadne/graph/incident.hpp"
#include "ariadne/graph/narrative.hpp"
#include "test_support.hpp"

namespace ariadne {
namespace {

constexpr const char* k_sysmon = "Microsoft-Windows-Sysmon/Operational";

std::string ev(const std::string& channel, int id, const std::string& host, const std::string& time,
               const std::string& fields) {
  return R"({"Channel":")" + channel + R"(","EventID":)" + std::to_string(id) + R"(,"Computer":")" + host +
         R"(","TimeCreated":"2023-08-15T)" + time + R"(Z")" + (fields.empty() ? "" : "," + fields) + "}\n";
}

// A Sysmon process creation.
std::string proc(const std::string& host, const std::string& time, const std::string& guid, int pid,
                 const std::string& image, const std::string& cmd, const std::string& pguid, int ppid,
                 const std::string& pimage, const std::string& logon = "0x62f2d") {
  return ev(k_sysmon, 1, host, time,
            R"("ProcessGuid":")" + guid + R"(","ProcessId":")" + std::to_string(pid) + R"(","Image":")" + image +
                R"(","CommandLine":")" + cmd + R"(","User":"LAB\\alice","LogonId":")" + logon +
                R"(","ParentProcessGuid":")" + pguid + R"(","ParentProcessId":")" + std::to_string(ppid) +
                R"(","ParentImage":")" + pimage + R"(")");
}

struct built {
  graph::graph g;
  std::vector<graph::incident> incidents;
  std::uint32_t entity(graph::entity_kind k, const std::string& needle, const std::string& host = "") const {
    for (std::uint32_t e = 0; e < g.entities.size(); ++e) {
      const auto& x = g.entities[e];
      if (x.kind != k || (!host.empty() && x.host != host)) continue;
      if (x.image.find(needle) != std::string::npos || x.name.find(needle) != std::string::npos ||
          x.key.find(needle) != std::string::npos)
        return e;
    }
    return graph::k_none;
  }
  bool has_edge(std::uint32_t from, std::uint32_t to, const std::string& kind) const {
    if (from == graph::k_none || to == graph::k_none) return false;
    for (const auto& e : g.edges)
      if (e.from == from && e.to == to && g.edge_kind_name(e.kind) == kind) return true;
    return false;
  }
  const graph::incident* incident_of(const std::string& alert_id) const {
    for (const auto& inc : incidents)
      for (auto a : inc.alerts)
        if (g.alerts[a].id == alert_id) return &inc;
    return nullptr;
  }
};

// Builds the graph of `jsonl`; `alerts` puts an alert (id, tactic) on the
// event with that 0-based index.
built build(const std::string& jsonl, const std::vector<std::tuple<std::size_t, std::string, std::string>>& alerts = {},
            graph::incident_options opts = {}) {
  event_batch batch;
  std::vector<ingest::input_problem> problems;
  test::read_events(jsonl, batch, problems);
  EXPECT_TRUE(problems.empty());
  graph::builder b(graph::mapping::builtin());
  auto subjects = b.observe(batch, [&](const event& e) {
    const value* v = batch.find(e, field_names().intern("Computer"));
    return v ? v->text : std::string_view();
  });
  for (const auto& [idx, id, tactic] : alerts) {
    graph::alert_rule r;
    r.id = "rule-" + id;
    r.title = "alert " + id;
    r.level = "high";
    r.severity = 3;
    r.tactics = {tactic};
    graph::alert_ref a;
    const value* host = batch.find(batch.events()[idx], field_names().intern("Computer"));
    a.id = id;
    a.rule = b.rule(r);
    a.time = batch.events()[idx].time;
    b.attach(subjects[idx], std::move(a), host ? host->text : std::string_view());
  }
  built out;
  out.g = b.finish();
  out.incidents = graph::find_incidents(out.g, opts);
  return out;
}

// The campaign shape of OTRF LSASS_campaign_01: the browser writes the
// payload, the user starts it from explorer, it opens a shell that runs
// discovery, and reads LSASS memory. Plus a diagnostics script under
// svchost that runs systeminfo too (background).
std::string campaign() {
  std::string s;
  s += proc("PC1", "09:50:00.000", "{e0}", 4544, "C:\\\\Windows\\\\explorer.exe", "C:\\\\Windows\\\\Explorer.EXE",
            "{00}", 600, "C:\\\\Windows\\\\System32\\\\userinit.exe");                       // 0
  s += proc("PC1", "09:53:48.000", "{b0}", 7448, "C:\\\\Program Files\\\\Edge\\\\msedge.exe", "msedge.exe", "{e0}",
            4544, "C:\\\\Windows\\\\explorer.exe");                                          // 1
  s += ev(k_sysmon, 11, "PC1", "09:54:12.007",
          R"("ProcessGuid":"{b0}","ProcessId":"7448","Image":"C:\\Program Files\\Edge\\msedge.exe","TargetFilename":"C:\\Users\\alice\\Downloads\\winx64_payload.exe")");  // 2
  s += proc("PC1", "09:54:30.987", "{p0}", 1988, "C:\\\\Users\\\\alice\\\\Downloads\\\\winx64_payload.exe",
            "\\\"C:\\\\Users\\\\alice\\\\Downloads\\\\winx64_payload.exe\\\"", "{e0}", 4544,
            "C:\\\\Windows\\\\explorer.exe");                                                // 3
  s += proc("PC1", "09:54:54.690", "{c0}", 7588, "C:\\\\Windows\\\\System32\\\\cmd.exe", "C:\\\\Windows\\\\system32\\\\cmd.exe",
            "{p0}", 1988, "C:\\\\Users\\\\alice\\\\Downloads\\\\winx64_payload.exe");       // 4
  s += proc("PC1", "09:55:07.041", "{w0}", 6116, "C:\\\\Windows\\\\System32\\\\whoami.exe", "whoami", "{c0}", 7588,
            "C:\\\\Windows\\\\System32\\\\cmd.exe");                                        // 5
  s += ev(k_sysmon, 10, "PC1", "09:57:25.693",
          R"("SourceProcessGUID":"{p0}","SourceProcessId":"1988","SourceImage":"C:\\Users\\alice\\Downloads\\winx64_payload.exe","TargetProcessGUID":"{l0}","TargetProcessId":"628","TargetImage":"C:\\Windows\\system32\\lsass.exe","GrantedAccess":"0x1010")");  // 6
  s += proc("PC1", "09:40:00.000", "{s0}", 1140, "C:\\\\Windows\\\\System32\\\\svchost.exe", "svchost.exe -k netsvcs",
            "{sv}", 604, "C:\\\\Windows\\\\System32\\\\services.exe", "0x3e7");               // 7
  s += proc("PC1", "09:59:29.000", "{g0}", 3468, "C:\\\\Windows\\\\System32\\\\cmd.exe", "cmd /c gatherNetworkInfo.vbs",
            "{s0}", 1140, "C:\\\\Windows\\\\System32\\\\svchost.exe", "0x3e7");              // 8
  s += proc("PC1", "09:59:39.000", "{g1}", 1224, "C:\\\\Windows\\\\System32\\\\systeminfo.exe", "systeminfo", "{g0}", 3468,
            "C:\\\\Windows\\\\System32\\\\cmd.exe", "0x3e7");                                 // 9
  s += proc("PC1", "09:54:58.252", "{w1}", 5464, "C:\\\\Windows\\\\System32\\\\systeminfo.exe", "systeminfo", "{c0}",
            7588, "C:\\\\Windows\\\\System32\\\\cmd.exe");                                  // 10
  return s;
}

TEST(GraphMapping, BuiltinLoadsAndCoversTheChannels) {
  const auto& m = graph::mapping::builtin();
  EXPECT_NE(m.find("microsoft-windows-sysmon/operational", 1), nullptr);
  EXPECT_NE(m.find("security", 4688), nullptr);
  EXPECT_NE(m.find("security", 4624), nullptr);
  EXPECT_NE(m.find("security", 4742), nullptr);  // channel-wide entry
  EXPECT_NE(m.find("system", 7045), nullptr);
  EXPECT_NE(m.find("microsoft-windows-powershell/operational", 4104), nullptr);
  EXPECT_EQ(m.find("application", 1000), nullptr);
  EXPECT_FALSE(m.tactics.empty());
}

TEST(GraphMapping, ErrorsNameTheLine) {
  auto bad_kind = graph::mapping::parse("events:\n  - name: x\n    entities:\n      a: {kind: planet}\n", "m.yml");
  ASSERT_FALSE(bad_kind);
  EXPECT_EQ(bad_kind.error().where.line, 4U);
  EXPECT_NE(bad_kind.error().message.find("known kind"), std::string::npos);
  auto bad_attr =
      graph::mapping::parse("events:\n  - name: x\n    entities:\n      a: {kind: file, colour: Image}\n", "m.yml");
  ASSERT_FALSE(bad_attr);
  EXPECT_NE(bad_attr.error().message.find("no attribute 'colour'"), std::string::npos);
  auto bad_subject = graph::mapping::parse(
      "events:\n  - name: x\n    entities:\n      a: {kind: file, path: F}\n    subject: [b]\n", "m.yml");
  ASSERT_FALSE(bad_subject);
  EXPECT_NE(bad_subject.error().message.find("subject 'b'"), std::string::npos);
}

TEST(GraphBuild, ProcessCreationMakesParentChildImageAndSession) {
  auto b = build(campaign());
  auto payload = b.entity(graph::entity_kind::process, "winx64_payload.exe");
  auto cmd = b.entity(graph::entity_kind::process, "cmd.exe");
  auto explorer = b.entity(graph::entity_kind::process, "explorer.exe");
  auto file = b.entity(graph::entity_kind::file, "winx64_payload.exe");
  auto session = b.entity(graph::entity_kind::session, "0x62f2d");
  ASSERT_NE(payload, graph::k_none);
  EXPECT_TRUE(b.has_edge(explorer, payload, "spawned"));
  EXPECT_TRUE(b.has_edge(payload, cmd, "spawned"));
  EXPECT_TRUE(b.has_edge(payload, file, "executes"));
  EXPECT_TRUE(b.has_edge(session, payload, "runs"));
  EXPECT_EQ(b.g.entities[payload].pid, 1988);
  EXPECT_EQ(b.g.entities[payload].command_line, "\"C:\\Users\\alice\\Downloads\\winx64_payload.exe\"");
  EXPECT_TRUE(b.g.entities[explorer].user_shell);
  EXPECT_TRUE(b.g.entities[explorer].hub);
  // The browser wrote the payload's image: the file is marked written.
  auto edge = b.entity(graph::entity_kind::process, "msedge.exe");
  EXPECT_TRUE(b.has_edge(edge, file, "wrote"));
  EXPECT_TRUE(b.g.entities[file].written);
  // Access to LSASS.
  auto lsass = b.entity(graph::entity_kind::process, "lsass.exe");
  EXPECT_TRUE(b.has_edge(payload, lsass, "accessed"));
  EXPECT_TRUE(b.g.entities[lsass].hub);
}

TEST(GraphBuild, SecurityProcessCreationIsTheSameProcessAsSysmons) {
  // Security 4688 writes pids in hex; Sysmon 1 in decimal with a guid. The
  // two records of one process start become one entity, in either order.
  std::string sysmon = proc("PC1", "09:54:30.987", "{p0}", 7448, "C:\\\\x\\\\a.exe", "a.exe", "{e0}", 4544,
                            "C:\\\\Windows\\\\explorer.exe");
  std::string security = ev("Security", 4688, "PC1", "09:54:30.880",
                            R"("NewProcessId":"0x1d18","NewProcessName":"C:\\x\\a.exe","ProcessId":"0x11c0","ParentProcessName":"C:\\Windows\\explorer.exe","SubjectLogonId":"0x62f2d","TargetLogonId":"0x0","CommandLine":"a.exe")");
  for (const auto& text : {sysmon + security, security + sysmon}) {
    auto b = build(text);
    std::size_t n = 0;
    for (const auto& e : b.g.entities)
      if (e.kind == graph::entity_kind::process && e.image == "C:\\x\\a.exe") ++n;
    EXPECT_EQ(n, 1U) << text;
  }
}

TEST(GraphBuild, EachEventKindMakesItsEdges) {
  std::string s;
  s += ev(k_sysmon, 3, "PC1", "10:00:00.000",
          R"("ProcessGuid":"{a}","ProcessId":"10","Image":"C:\\a.exe","SourceIp":"192.168.1.41","DestinationIp":"10.0.5.13","DestinationPort":"8080")");
  s += ev(k_sysmon, 7, "PC1", "10:00:01.000",
          R"("ProcessGuid":"{r}","ProcessId":"11","Image":"C:\\Windows\\System32\\rundll32.exe","ImageLoaded":"C:\\Temp\\x.dll")");
  s += ev(k_sysmon, 8, "PC1", "10:00:02.000",
          R"("SourceProcessGuid":"{a}","SourceProcessId":"10","SourceImage":"C:\\a.exe","TargetProcessGuid":"{v}","TargetProcessId":"1400","TargetImage":"C:\\Windows\\System32\\svchost.exe")");
  s += ev(k_sysmon, 13, "PC1", "10:00:03.000",
          R"("ProcessGuid":"{a}","ProcessId":"10","Image":"C:\\a.exe","TargetObject":"HKU\\S-1\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\\x")");
  s += ev(k_sysmon, 22, "PC1", "10:00:04.000",
          R"("ProcessGuid":"{a}","ProcessId":"10","Image":"C:\\a.exe","QueryName":"evil.example")");
  s += ev("Security", 4624, "DC1", "10:00:05.000",
          R"("TargetLogonId":"0x4da32af","TargetUserName":"admmig","TargetDomainName":"OFFSEC","LogonType":"3","IpAddress":"10.23.123.11","WorkstationName":"-")");
  s += ev("Security", 5140, "DC1", "10:00:06.000",
          R"("SubjectLogonId":"0x4da32af","SubjectUserName":"admmig","SubjectDomainName":"OFFSEC","IpAddress":"10.23.123.11","ShareName":"\\\\*\\ADMIN$")");
  s += ev("Security", 4697, "DC1", "10:00:07.000",
          R"("SubjectLogonId":"0x4da32af","SubjectUserName":"admmig","ServiceName":"BTOBTO","ServiceFileName":"%COMSPEC% /Q /c echo cd > \\\\127.0.0.1\\C$\\__output")");
  s += ev("Security", 4688, "DC1", "10:00:07.500",
          R"("NewProcessId":"0x738","NewProcessName":"C:\\Windows\\System32\\cmd.exe","ProcessId":"0x260","ParentProcessName":"C:\\Windows\\System32\\services.exe","SubjectLogonId":"0x3e7","TargetLogonId":"0x0","CommandLine":"cmd.exe /Q /c echo cd")");
  s += ev("Security", 4698, "DC1", "10:00:08.000", R"("SubjectLogonId":"0x4da32af","TaskName":"\\Updater")");
  s += ev("System", 7045, "DC1", "10:00:09.000", R"("ServiceName":"rtcpef","ImagePath":"rundll32.exe C:\\x.dll,a")");
  s += ev("Microsoft-Windows-PowerShell/Operational", 4104, "PC1", "10:00:10.000",
          R"("ScriptBlockId":"14cc25cc-ccd9","ScriptBlockText":"whoami","Execution_ProcessID":"10")");
  s += ev("Security", 4674, "FS1", "10:00:11.000",
          R"("SubjectLogonId":"0x5ba37","SubjectUserName":"admmig","SubjectDomainName":"OFFSEC","ObjectType":"Printer","ObjectName":"Kiwi Legit Printer","ProcessId":"0x1e0","ProcessName":"C:\\Windows\\System32\\spoolsv.exe")");
  s += ev("Security", 5142, "FS1", "10:00:11.100",
          R"("SubjectLogonId":"0x3e7","SubjectUserName":"FS1$","ShareName":"\\\\*\\Kiwi Legit Printer")");
  auto b = build(s);
  using k = graph::entity_kind;
  auto a = b.entity(k::process, "C:\\a.exe");
  EXPECT_TRUE(b.has_edge(a, b.entity(k::ip, "10.0.5.13"), "connected"));
  EXPECT_EQ(b.g.address_host.at("192.168.1.41"), "pc1");
  EXPECT_TRUE(b.has_edge(b.entity(k::process, "rundll32"), b.entity(k::file, "x.dll"), "loaded"));
  EXPECT_TRUE(b.has_edge(a, b.entity(k::process, "svchost"), "injected"));
  EXPECT_TRUE(b.has_edge(a, b.entity(k::registry, "currentversion\\run"), "set"));
  EXPECT_TRUE(b.has_edge(a, b.entity(k::domain, "evil.example"), "resolved"));
  auto session = b.entity(k::session, "0x4da32af");
  ASSERT_NE(session, graph::k_none);
  EXPECT_EQ(b.g.entities[session].source, "10.23.123.11");
  EXPECT_EQ(b.g.entities[session].logon_type, "3");
  EXPECT_TRUE(b.has_edge(b.entity(k::ip, "10.23.123.11"), session, "logon"));
  EXPECT_TRUE(b.has_edge(session, b.entity(k::user, "admmig"), "as"));
  auto svc = b.entity(k::service, "btobto");
  EXPECT_TRUE(b.has_edge(session, svc, "created"));
  // services.exe started cmd.exe for the service (%COMSPEC%) half a second later.
  EXPECT_TRUE(b.has_edge(svc, b.entity(k::process, "cmd.exe"), "started"));
  EXPECT_TRUE(b.has_edge(session, b.entity(k::task, "updater"), "created"));
  EXPECT_NE(b.entity(k::service, "rtcpef"), graph::k_none);
  EXPECT_TRUE(b.has_edge(a, b.entity(k::script, "14cc25cc"), "ran"));
  // A privileged operation and a share event name the same printer.
  auto printer = b.entity(k::object, "kiwi legit printer");
  EXPECT_TRUE(b.has_edge(b.entity(k::session, "0x5ba37"), printer, "used"));
  EXPECT_TRUE(b.has_edge(b.entity(k::session, "0x3e7", "fs1"), printer, "used"));
  EXPECT_TRUE(b.g.entities[b.entity(k::session, "0x3e7", "fs1")].hub);
}

TEST(Incidents, HubsDoNotGlueAndUnwrittenFilesDoNotJoin) {
  // Alerts on the payload, its whoami and its systeminfo; one on the
  // background systeminfo under svchost (same image file, never written in
  // the logs); one on msedge, which wrote the payload.
  auto b = build(campaign(), {{3, "payload", "execution"},
                              {5, "whoami", "discovery"},
                              {10, "attack-systeminfo", "discovery"},
                              {9, "background-systeminfo", "discovery"},
                              {6, "lsass", "credential-access"},
                              {2, "download", "initial-access"}});
  const auto* attack = b.incident_of("payload");
  ASSERT_NE(attack, nullptr);
  EXPECT_EQ(b.incident_of("whoami"), attack);
  EXPECT_EQ(b.incident_of("attack-systeminfo"), attack);
  EXPECT_EQ(b.incident_of("lsass"), attack);
  EXPECT_EQ(b.incident_of("download"), attack);
  EXPECT_NE(b.incident_of("background-systeminfo"), attack);
  EXPECT_EQ(attack->alerts.size(), 5U);
  // Tactics in kill-chain order; the root is the payload the user started.
  EXPECT_EQ(attack->tactics, (std::vector<std::string>{"initial-access", "execution", "credential-access", "discovery"}));
  ASSERT_NE(attack->root, graph::k_none);
  EXPECT_NE(b.g.entities[attack->root].image.find("winx64_payload.exe"), std::string::npos);
  EXPECT_EQ(attack->hosts, std::vector<std::string>{"PC1"});
  EXPECT_EQ(b.incidents.front().id, attack->id);  // most severe first
}

TEST(Incidents, TwoProgramsTheUserStartedAreTwoIncidents) {
  // Both run in the desktop session (explorer's): that session joins nothing.
  std::string s = campaign();
  s += proc("PC1", "09:58:00.000", "{n0}", 999, "C:\\\\Windows\\\\notepad.exe", "notepad", "{e0}", 4544,
            "C:\\\\Windows\\\\explorer.exe");  // 11
  auto b = build(s, {{3, "payload", "execution"}, {11, "notepad", "execution"}});
  EXPECT_NE(b.incident_of("payload"), b.incident_of("notepad"));
}

TEST(Incidents, ManyChildrenMakeAProcessAHub) {
  // A process with more children than max_degree (64) stops gluing them.
  std::string s = proc("PC1", "09:00:00.000", "{h0}", 100, "C:\\\\agent.exe", "agent", "{00}", 4, "System");
  for (int k = 0; k < 70; ++k)
    s += proc("PC1", "09:00:01.000", "{h" + std::to_string(k + 1) + "}", 200 + k, "C:\\\\Windows\\\\cscript.exe",
              "cscript job.vbs", "{h0}", 100, "C:\\\\agent.exe");
  auto b = build(s, {{1, "first", "execution"}, {2, "second", "execution"}});
  EXPECT_TRUE(b.g.entities[b.entity(graph::entity_kind::process, "agent.exe")].hub);
  EXPECT_NE(b.incident_of("first"), b.incident_of("second"));
  // With fewer children it is one story.
  std::string few = proc("PC1", "09:00:00.000", "{h0}", 100, "C:\\\\agent.exe", "agent", "{00}", 4, "System");
  for (int k = 0; k < 3; ++k)
    few += proc("PC1", "09:00:01.000", "{h" + std::to_string(k + 1) + "}", 200 + k, "C:\\\\Windows\\\\cscript.exe",
                "cscript job.vbs", "{h0}", 100, "C:\\\\agent.exe");
  auto c = build(few, {{1, "first", "execution"}, {2, "second", "execution"}});
  EXPECT_EQ(c.incident_of("first"), c.incident_of("second"));
}

TEST(Incidents, ManyDistinctNeighboursMakeAFileAHub) {
  // A file has max_degree 12: more distinct neighbours make it a hub. One
  // process writing it again and again, or writing and loading it (two
  // edges), is one neighbour.
  auto touched = [](int processes, bool load) {
    std::string s;
    for (int p = 0; p < processes; ++p) {
      std::string who = R"("ProcessGuid":"{m)" + std::to_string(p) + R"(}","ProcessId":")" + std::to_string(300 + p) +
                        R"(","Image":"C:\\tools\\w.exe",)";
      for (int k = 0; k < 3; ++k) s += ev(k_sysmon, 11, "PC1", "09:00:02.000", who + R"("TargetFilename":"C:\\shared\\drop.dll")");
      if (load) s += ev(k_sysmon, 7, "PC1", "09:00:03.000", who + R"("ImageLoaded":"C:\\shared\\drop.dll")");
    }
    auto b = build(s);
    auto f = b.entity(graph::entity_kind::file, "drop.dll");
    EXPECT_NE(f, graph::k_none);
    std::size_t edges = 0;
    for (const auto& e : b.g.edges) edges += e.to == f;
    EXPECT_EQ(edges, static_cast<std::size_t>(load ? 2 * processes : processes));
    return f != graph::k_none && b.g.entities[f].hub;
  };
  EXPECT_TRUE(touched(13, false));
  EXPECT_FALSE(touched(12, false));  // at the limit, not above it
  EXPECT_FALSE(touched(7, true));    // 14 edges, 7 neighbours
  EXPECT_TRUE(touched(13, true));
}

TEST(Incidents, ALongQuietGapSplitsAnIncident) {
  std::string s = campaign();
  s += proc("PC1", "13:00:00.000", "{w9}", 6117, "C:\\\\Windows\\\\System32\\\\whoami.exe", "whoami", "{c0}", 7588,
            "C:\\\\Windows\\\\System32\\\\cmd.exe");  // 11, three hours later
  auto b = build(s, {{5, "early", "discovery"}, {11, "late", "discovery"}});
  EXPECT_NE(b.incident_of("early"), b.incident_of("late"));
  graph::incident_options wide;
  wide.max_gap = 4LL * 3600 * 1'000'000'000;
  auto c = build(s, {{5, "early", "discovery"}, {11, "late", "discovery"}}, wide);
  EXPECT_EQ(c.incident_of("early"), c.incident_of("late"));
}

TEST(Incidents, RemoteLogonsLinkIncidentsAcrossHosts) {
  // WS1 (192.168.1.41, from its Sysmon network event) logs on to SRV1.
  std::string s;
  s += proc("WS1", "10:00:00.000", "{x0}", 10, "C:\\\\tools\\\\psexec.exe", "psexec \\\\\\\\srv1 cmd", "{e0}", 4544,
            "C:\\\\Windows\\\\explorer.exe");  // 0
  s += ev(k_sysmon, 3, "WS1", "10:00:01.000",
          R"("ProcessGuid":"{x0}","ProcessId":"10","Image":"C:\\tools\\psexec.exe","SourceIp":"192.168.1.41","DestinationIp":"192.168.1.50","DestinationPort":"445")");
  s += ev("Security", 4624, "SRV1", "10:00:02.000",
          R"("TargetLogonId":"0x77","TargetUserName":"bob","TargetDomainName":"LAB","LogonType":"3","IpAddress":"192.168.1.41")");  // 2
  auto b = build(s, {{0, "ws", "execution"}, {2, "srv", "lateral-movement"}});
  const auto* ws = b.incident_of("ws");
  const auto* srv = b.incident_of("srv");
  ASSERT_NE(ws, srv);
  ASSERT_EQ(srv->links.size(), 1U);
  EXPECT_EQ(b.incidents[srv->links[0].incident].id, ws->id);
  EXPECT_NE(srv->links[0].via.find("ws1"), std::string::npos);
  ASSERT_EQ(ws->links.size(), 1U);
  EXPECT_EQ(b.incidents[ws->links[0].incident].id, srv->id);
  // The server incident's root is the remote logon and its source address.
  EXPECT_EQ(b.g.entities[srv->root].kind, graph::entity_kind::session);
  EXPECT_EQ(b.g.entities[srv->root].source, "192.168.1.41");
}

TEST(Trace, BackToThePayloadAndForwardToTheImpact) {
  auto b = build(campaign(), {{5, "whoami", "discovery"}, {6, "lsass", "credential-access"}});
  auto whoami = b.entity(graph::entity_kind::process, "whoami.exe");
  std::string why;
  auto chain = graph::back_chain(b.g, whoami, &why);
  ASSERT_EQ(chain.size(), 3U);  // whoami <- cmd <- payload
  EXPECT_NE(b.g.entities[chain.back()].image.find("winx64_payload.exe"), std::string::npos);
  EXPECT_EQ(why, "started by the user from explorer.exe");
  auto s = graph::trace(b.g, {whoami}, false);
  EXPECT_EQ(s.root, chain.back());
  EXPECT_NE(s.root_reason.find("written by msedge.exe"), std::string::npos);
  // Forward from the payload reaches the shell, whoami, systeminfo and LSASS.
  auto f = graph::trace(b.g, {chain.back()}, true);
  std::vector<std::string> reached;
  for (const auto& st : f.steps)
    if (st.impact) reached.push_back(graph::base_name_lower(b.g.entities[st.entity].image));
  for (const char* want : {"cmd.exe", "whoami.exe", "systeminfo.exe", "lsass.exe"})
    EXPECT_NE(std::find(reached.begin(), reached.end(), want), reached.end()) << want;
  // JSON for tools: root with kind, image and command line; steps in time order.
  auto json = graph::story_json(b.g, s, "whoami", "alert");
  EXPECT_NE(json.find(R"("root":{"id":)"), std::string::npos);
  EXPECT_NE(json.find(R"("kind":"process")"), std::string::npos);
  EXPECT_NE(json.find(R"("command_line":"\"C:\\Users\\alice\\Downloads\\winx64_payload.exe\"")"), std::string::npos);
  EXPECT_NE(json.find(R"("alerts":["whoami"])"), std::string::npos);
  for (std::size_t k = 1; k < s.steps.size(); ++k) EXPECT_LE(s.steps[k - 1].time, s.steps[k].time);
  auto dot = graph::story_dot(b.g, s);
  EXPECT_EQ(dot.rfind("digraph trace {", 0), 0U);
  EXPECT_NE(dot.find("-> "), std::string::npos);
  auto text = graph::story_text(b.g, s, false);
  EXPECT_NE(text.find("Root cause: process C:\\Users\\alice\\Downloads\\winx64_payload.exe"), std::string::npos);
}

TEST(Trace, InjectionIntoASystemProcessLeadsBackToTheInjector) {
  // meterpreter's migrate: the payload injects into svchost, which then runs
  // rundll32 comsvcs.dll MiniDump.
  std::string s = campaign();
  s += ev(k_sysmon, 8, "PC1", "09:58:00.000",
          R"("SourceProcessGuid":"{p0}","SourceProcessId":"1988","SourceImage":"C:\\Users\\alice\\Downloads\\winx64_payload.exe","TargetProcessGuid":"{s0}","TargetProcessId":"1140","TargetImage":"C:\\Windows\\System32\\svchost.exe")");  // 11
  s += proc("PC1", "09:59:00.000", "{d0}", 7580, "C:\\\\Windows\\\\System32\\\\rundll32.exe",
            "rundll32.exe comsvcs.dll MiniDump 628 lsass.dmp full", "{s0}", 1140,
            "C:\\\\Windows\\\\System32\\\\svchost.exe", "0x3e7");  // 12
  auto b = build(s, {{3, "payload", "execution"}, {12, "dump", "credential-access"}});
  auto dump = b.entity(graph::entity_kind::process, "rundll32.exe");
  auto root = graph::root_cause(b.g, dump);
  EXPECT_NE(b.g.entities[root].image.find("winx64_payload.exe"), std::string::npos);
  EXPECT_EQ(b.incident_of("payload"), b.incident_of("dump"));
}

}  // namespace
}  // namespace ariadne

namespace ariadne {
namespace {

TEST(Trace, EventsWithoutATimeRender) {
  // Found by json_reader_fuzz: an alert whose event has no time broke the
  // text rendering.
  std::string s =
      R"({"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":1,"Computer":"PC1","ProcessGuid":"{a}","ProcessId":"5","Image":"C:\\a.exe","ParentProcessGuid":"{b}","ParentProcessId":"4","ParentImage":"C:\\b.exe"})"
      "\n";
  auto b = build(s, {{0, "untimed", "execution"}});
  ASSERT_EQ(b.incidents.size(), 1U);
  EXPECT_EQ(b.incidents[0].first, k_no_time);
  auto st = graph::trace(b.g, b.incidents[0].entities, true);
  auto text = graph::story_text(b.g, st, false);
  EXPECT_NE(text.find("- [high] alert untimed"), std::string::npos) << text;
  auto line = graph::incident_to_jsonl(b.g, b.incidents, b.incidents[0]);
  EXPECT_NE(line.find(R"("first":null)"), std::string::npos);
}

}  // namespace
}  // namespace ariadne

namespace ariadne {
namespace {

TEST(Incidents, RepeatsOfOneRuleOnAHubAreOneIncident) {
  // Failed network logons carry the null session (0x0, a hub): the same
  // rule firing on them again and again is one incident per rule, not one
  // per alert, and not one with another rule's alerts.
  std::string s;
  for (int k = 0; k < 5; ++k)
    s += ev("Security", 4625, "DC1", "10:00:0" + std::to_string(k) + ".000",
            R"("TargetLogonId":"0x0","TargetUserName":"admin","LogonType":"3","IpAddress":"-")");
  event_batch batch;
  std::vector<ingest::input_problem> problems;
  test::read_events(s, batch, problems);
  graph::builder b(graph::mapping::builtin());
  auto subjects = b.observe(batch, [](const event&) { return std::string_view("dc1"); });
  for (std::size_t k = 0; k < batch.size(); ++k) {
    graph::alert_rule r;
    r.id = k < 4 ? "brute-force" : "other-rule";
    graph::alert_ref a;
    a.id = "a" + std::to_string(k);
    a.rule = b.rule(r);
    a.time = batch.events()[k].time;
    b.attach(subjects[k], std::move(a), "dc1");
  }
  auto g = b.finish();
  auto incidents = graph::find_incidents(g, {});
  ASSERT_EQ(incidents.size(), 2U);
  std::vector<std::size_t> sizes{incidents[0].alerts.size(), incidents[1].alerts.size()};
  std::sort(sizes.begin(), sizes.end());
  EXPECT_EQ(sizes, (std::vector<std::size_t>{1, 4}));
}

// ---- the incident score (docs/decisions/0004-incident-score.md) ----------
//
// Two incidents on two hosts that differ in one thing only: the factor named
// must rank them, so the test fails if that factor is removed (equal scores)
// or its sign flipped (the wrong one first). Each alert is (host, process
// number, time, rule); processes p0.. on each host are siblings under one
// parent that is no hub, so a host's alerts are one incident.

struct rule_spec {
  std::string id;
  int severity = 3;
  std::vector<std::string> tactics = {"execution"};
  std::vector<std::string> techniques = {"T1059"};
};
struct alert_spec {
  std::string host;
  int process = 0;
  std::string time;  // hh:mm:ss.mmm on 2023-08-15
  rule_spec rule;
  std::string program = "tool";  // the process's image, C:\tools\PROGRAM.exe
};

// `extra`: more events (processes without alerts) before the alerts' own.
std::vector<graph::incident> scored(const std::vector<alert_spec>& alerts, graph::graph* keep = nullptr,
                                    const std::string& extra = "") {
  std::string s = extra;
  std::map<std::pair<std::string, int>, std::size_t> event_of;
  for (const auto& a : alerts) {
    auto key = std::make_pair(a.host, a.process);
    if (event_of.count(key)) continue;
    event_of[key] = event_of.size();
    // The same program with another argument: every start is as common as
    // every other, so rarity ranks nothing here (its own test below).
    std::string n = std::to_string(a.process);
    s += proc(a.host, "08:00:0" + std::to_string(a.process % 10) + ".000", "{" + a.host + "-p" + n + "}", 100 + a.process,
              "C:\\\\tools\\\\" + a.program + ".exe", a.program + " " + n, "{" + a.host + "-parent}", 50,
              "C:\\\\tools\\\\parent.exe");
  }
  event_batch batch;
  std::vector<ingest::input_problem> problems;
  test::read_events(s, batch, problems);
  EXPECT_TRUE(problems.empty());
  graph::builder b(graph::mapping::builtin());
  auto subjects = b.observe(batch, [&](const event& e) {
    const value* v = batch.find(e, field_names().intern("Computer"));
    return v ? v->text : std::string_view();
  });
  int k = 0;
  const std::size_t skip = extra.empty() ? 0 : static_cast<std::size_t>(std::count(extra.begin(), extra.end(), '\n'));
  for (const auto& a : alerts) {
    graph::alert_rule r;
    r.id = a.rule.id;
    r.title = a.rule.id;
    r.severity = a.rule.severity;
    r.level = a.rule.severity >= 3 ? "high" : "medium";
    r.tactics = a.rule.tactics;
    r.techniques = a.rule.techniques;
    graph::alert_ref ar;
    ar.id = "alert-" + std::to_string(k++);
    ar.rule = b.rule(r);
    ar.time = *parse_timestamp("2023-08-15T" + a.time + "Z");
    b.attach(subjects[skip + event_of.at({a.host, a.process})], std::move(ar), a.host);
  }
  auto g = b.finish();
  auto incidents = graph::find_incidents(g, {});
  for (const auto& inc : incidents) {
    double sum = 0;
    for (const auto& [name, v] : inc.score_factors) sum += v;
    EXPECT_NEAR(sum, inc.score, 1e-9) << "score_factors do not sum to score";
  }
  if (keep) *keep = std::move(g);
  return incidents;
}

double factor(const graph::incident& inc, const std::string& name) {
  for (const auto& [n, v] : inc.score_factors)
    if (n == name) return v;
  return 0;
}

// The incident on `host` among `incs`.
const graph::incident& on(const std::vector<graph::incident>& incs, const std::string& host) {
  for (const auto& i : incs)
    if (!i.hosts.empty() && i.hosts[0] == host) return i;
  ADD_FAILURE() << "no incident on " << host;
  return incs.front();
}

// `a` scores more than `b`, and `name` is the only factor that differs.
void only_factor_ranks(const std::vector<graph::incident>& incs, const std::string& name) {
  ASSERT_EQ(incs.size(), 2U);
  const auto& a = on(incs, "A");
  const auto& b = on(incs, "B");
  EXPECT_GT(a.score, b.score) << name;
  EXPECT_GT(factor(a, name), factor(b, name)) << name;
  for (const auto& [n, v] : a.score_factors) {
    if (n != name) {
      EXPECT_DOUBLE_EQ(v, factor(b, n)) << name << ": " << n << " differs too";
    }
  }
}

TEST(IncidentScore, SeverityOfTheMostSevereRule) {
  rule_spec high{"r-high", 3}, medium{"r-medium", 2};
  only_factor_ranks(scored({{"A", 0, "08:01:00.000", high}, {"B", 0, "08:01:00.000", medium}}), "severity");
}

TEST(IncidentScore, OtherRulesCountHalf) {
  rule_spec main{"r-main", 3}, extra{"r-extra", 1};
  only_factor_ranks(scored({{"A", 0, "08:01:00.000", main}, {"A", 1, "08:02:00.000", extra},
                            {"B", 0, "08:01:00.000", main}, {"B", 1, "08:02:00.000", main}}),
                    "other_rules");
}

TEST(IncidentScore, KillChainProgression) {
  rule_spec exec{"r-exec", 3, {"execution"}}, persist{"r-persist", 3, {"persistence"}}, exec2{"r-exec2", 3, {"execution"}};
  only_factor_ranks(scored({{"A", 0, "08:01:00.000", exec}, {"A", 1, "08:02:00.000", persist},
                            {"B", 0, "08:01:00.000", exec}, {"B", 1, "08:02:00.000", exec2}}),
                    "kill_chain");
}

TEST(IncidentScore, ObjectivesAndARuleTaggingEveryTacticIsNotAKillChain) {
  rule_spec cred{"r-cred", 3, {"credential-access"}}, disc{"r-disc", 3, {"discovery"}};
  only_factor_ranks(scored({{"A", 0, "08:01:00.000", cred}, {"B", 0, "08:01:00.000", disc}}), "objectives");
  // One rule tagging eight tactics gives each an eighth.
  rule_spec shotgun{"r-shotgun", 2, {"collection", "discovery", "persistence", "credential-access", "privilege-escalation",
                                     "execution", "stealth", "defense-impairment"}};
  auto incs = scored({{"A", 0, "08:01:00.000", shotgun}});
  ASSERT_EQ(incs.size(), 1U);
  EXPECT_DOUBLE_EQ(factor(incs[0], "kill_chain"), 0.0);
  EXPECT_DOUBLE_EQ(factor(incs[0], "objectives"), 2.0);
}

TEST(IncidentScore, VolumeOnALogScale) {
  rule_spec r{"r-brute", 3, {"credential-access"}};
  std::vector<alert_spec> many;
  for (int k = 0; k < 30; ++k) many.push_back({"A", 0, fmt::format("08:{:02}:{:02}.000", 1 + k / 30, k * 2 % 60), r});
  many.push_back({"B", 0, "08:01:00.000", r});
  auto incs = scored(many);
  only_factor_ranks(incs, "volume");
  EXPECT_NEAR(factor(on(incs, "A"), "volume"), 4.0 * std::log2(31.0), 0.05);
}

TEST(IncidentScore, SensitiveTargets) {
  rule_spec dump{"r-dump", 3, {"execution"}, {"T1003.001"}}, plain{"r-plain", 3, {"execution"}, {"T1059.001"}};
  only_factor_ranks(scored({{"A", 0, "08:01:00.000", dump}, {"B", 0, "08:01:00.000", plain}}), "sensitive_targets");
}

TEST(IncidentScore, SpreadOverEntities) {
  rule_spec r{"r-spread", 3};
  only_factor_ranks(scored({{"A", 0, "08:01:00.000", r}, {"A", 1, "08:02:00.000", r},
                            {"B", 0, "08:01:00.000", r}, {"B", 0, "08:02:00.000", r}}),
                    "spread");
}

TEST(IncidentScore, RarityOfTheProcessStartsAlertsAreOn) {
  // B's program starts six times on C (no alerts there): common; A's once.
  std::string extra;
  for (int k = 0; k < 5; ++k)
    extra += proc("C", "07:00:0" + std::to_string(k) + ".000", "{C-x" + std::to_string(k) + "}", 900 + k,
                  "C:\\\\tools\\\\common.exe", "common " + std::to_string(k), "{C-parent}", 50,
                  "C:\\\\tools\\\\parent.exe");
  rule_spec r{"r-any", 3};
  alert_spec a{"A", 0, "08:01:00.000", r, "rare"}, b{"B", 0, "08:01:00.000", r, "common"};
  only_factor_ranks(scored({a, b}, nullptr, extra), "rarity");
}

TEST(IncidentScore, RoutineRulesAreDemotedNotHidden) {
  // The same rule on host A in three distinct hours (a job), on B within one.
  rule_spec job{"r-job", 3};
  auto incs = scored({{"A", 0, "08:40:00.000", job}, {"A", 0, "09:20:00.000", job}, {"A", 0, "10:00:00.000", job},
                      {"A", 0, "10:30:00.000", job}, {"B", 0, "08:40:00.000", job}, {"B", 0, "08:45:00.000", job},
                      {"B", 0, "08:50:00.000", job}, {"B", 0, "08:55:00.000", job}});
  ASSERT_EQ(incs.size(), 2U);
  const auto& a = on(incs, "A");
  const auto& b = on(incs, "B");
  EXPECT_LT(a.score, b.score);
  EXPECT_LT(factor(a, "routine"), 0.0);
  EXPECT_DOUBLE_EQ(factor(b, "routine"), 0.0);
  EXPECT_EQ(a.alerts.size(), 4U);  // demoted, not hidden
  EXPECT_EQ(a.routine_rules, std::vector<std::string>{"r-job"});
  for (const auto& [n, v] : a.score_factors) {
    if (n != "routine") {
      EXPECT_DOUBLE_EQ(v, factor(b, n)) << n;
    }
  }
}

TEST(IncidentScore, HousekeepingHeadlinesOnlyAlone) {
  rule_spec clear{"r-log-clear", 3, {"defense-impairment"}, {"T1070.001"}}, tool{"r-tool", 2, {"execution"}, {"T1059"}};
  graph::graph g;
  auto incs = scored({{"A", 0, "08:01:00.000", clear}, {"A", 1, "08:02:00.000", tool}, {"B", 0, "08:01:00.000", clear}}, &g);
  EXPECT_EQ(graph::title_of(g.alerts[on(incs, "A").headline]), "r-tool");
  EXPECT_EQ(graph::title_of(g.alerts[on(incs, "B").headline]), "r-log-clear");
}

TEST(Baseline, RoundTripsAndKeepsAtMostTheHoursThatMakeARuleRoutine) {
  graph::baseline b;
  for (int h = 0; h < 10; ++h) b.note("r1", "HOST1", *parse_timestamp("2023-08-15T0" + std::to_string(h % 10) + ":30:00Z"));
  b.note("r2", "host2", *parse_timestamp("2023-08-15T01:00:00Z"));
  ASSERT_NE(b.hours("r1", "host1"), nullptr);
  EXPECT_EQ(b.hours("r1", "host1")->size(), graph::k_routine_hours);
  auto again = graph::baseline::parse(b.to_text(), "b.tsv");
  ASSERT_TRUE(again.has_value()) << again.error().to_string();
  EXPECT_EQ(again->to_text(), b.to_text());
  EXPECT_EQ(again->hours("r2", "HOST2")->size(), 1U);
}

TEST(Baseline, BadFilesAreErrorsWithTheirLine) {
  auto notours = graph::baseline::parse("hello\n", "x.tsv");
  ASSERT_FALSE(notours.has_value());
  EXPECT_NE(notours.error().to_string().find("x.tsv:1"), std::string::npos);
  auto bad = graph::baseline::parse("# ariadne baseline 1\nrule\tr1\thost\t12,x\n", "x.tsv");
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().to_string().find("x.tsv:2"), std::string::npos);
  EXPECT_FALSE(graph::baseline::parse("", "x.tsv").has_value());
}

// ------------------------------------------------------------- anomalies

struct anomalous {
  graph::graph g;
  std::vector<graph::anomaly> found;
  std::vector<std::string> kinds() const {
    std::vector<std::string> k;
    for (const auto& a : found) k.push_back(a.kind);
    return k;
  }
};

anomalous anomalies_of(const std::string& jsonl, const graph::baseline* base = nullptr,
                       const graph::anomaly_spec& spec = graph::anomaly_spec::builtin()) {
  event_batch batch;
  std::vector<ingest::input_problem> problems;
  test::read_events(jsonl, batch, problems);
  EXPECT_TRUE(problems.empty());
  graph::builder b(graph::mapping::builtin());
  (void)b.observe(batch, [&](const event& e) {
    const value* v = batch.find(e, field_names().intern("Computer"));
    return v ? v->text : std::string_view();
  });
  anomalous out;
  out.g = b.finish();
  out.found = graph::add_anomalies(out.g, base, spec);
  return out;
}

// `n` starts of C:\tools\child<k>.exe by one parent image, child 0 mostly.
std::string starts(const std::string& host, int n, const std::string& parent = "runner.exe") {
  std::string s;
  for (int k = 0; k < n; ++k)
    s += proc(host, fmt::format("07:{:02}:{:02}.000", k / 60, k % 60), fmt::format("{{{}-c{}}}", host, k), 2000 + k,
              "C:\\\\tools\\\\child" + std::to_string(k % 3 == 2 ? 1 : 0) + ".exe", "child", "{" + host + "-p}", 40,
              "C:\\\\tools\\\\" + parent);
  return s;
}

TEST(Anomaly, TheBuiltinKindsLoadWithTheirTechniques) {
  const auto& spec = graph::anomaly_spec::builtin();
  ASSERT_EQ(spec.kinds.size(), 5U);
  EXPECT_EQ(spec.find("rare_destination")->rule.tactics, std::vector<std::string>{"command-and-control"});
  ASSERT_NE(spec.find("new_service"), nullptr);
  EXPECT_EQ(spec.find("new_service")->rule.techniques, std::vector<std::string>{"T1543.003"});
  EXPECT_EQ(spec.find("new_logon_source")->rule.techniques, std::vector<std::string>{"T1021"});
  EXPECT_EQ(spec.find("rare_lsass_access")->rule.tactics, std::vector<std::string>{"credential-access"});
  EXPECT_EQ(spec.find("rare_spawn")->rule.severity, 1);
}

TEST(Anomaly, BadSpecsAreErrorsWithTheirLine) {
  auto unknown = graph::anomaly_spec::parse("kinds:\n  odd_kind: {id: x, title: y, level: low}\n", "a.yml");
  ASSERT_FALSE(unknown.has_value());
  EXPECT_NE(unknown.error().to_string().find("a.yml:2"), std::string::npos) << unknown.error().to_string();
  auto level = graph::anomaly_spec::parse("kinds:\n  rare_spawn: {id: x, title: y, level: loud}\n", "a.yml");
  EXPECT_FALSE(level.has_value());
  auto share = graph::anomaly_spec::parse("kinds: {}\nthresholds: {parent_variety: 2}\n", "a.yml");
  EXPECT_FALSE(share.has_value());
}

TEST(Anomaly, ARareChildOfAWellKnownParentOnce) {
  std::string s = starts("PC1", 12);
  s += proc("PC1", "08:00:00.000", "{PC1-new}", 3000, "C:\\\\tools\\\\odd.exe", "odd", "{PC1-p}", 40,
            "C:\\\\tools\\\\runner.exe");
  s += proc("PC1", "08:00:05.000", "{PC1-new2}", 3001, "C:\\\\tools\\\\odd.exe", "odd", "{PC1-p}", 40,
            "C:\\\\tools\\\\runner.exe");
  auto a = anomalies_of(s);
  ASSERT_EQ(a.kinds(), std::vector<std::string>{"rare_spawn"});
  const auto& odd = a.g.entities[a.found[0].entity];
  EXPECT_EQ(odd.pid, 3000);  // the first start, not the second
  EXPECT_EQ(odd.command_line, "odd");
  EXPECT_EQ(a.found[0].seen_before, 12U);
  const auto& al = a.g.alerts[a.found[0].alert];
  EXPECT_EQ(al.entity, a.found[0].entity);
  EXPECT_EQ(al.rule->title, graph::anomaly_spec::builtin().find("rare_spawn")->rule.title);
  // A parent seen too little is no reference.
  std::string few = starts("PC2", 5);
  few += proc("PC2", "08:00:00.000", "{PC2-new}", 3000, "C:\\\\tools\\\\odd.exe", "odd", "{PC2-p}", 40,
              "C:\\\\tools\\\\runner.exe");
  EXPECT_TRUE(anomalies_of(few).found.empty());
}

TEST(Anomaly, ABaselineThatSawThePairSilencesIt) {
  std::string s = starts("PC1", 12);
  s += proc("PC1", "08:00:00.000", "{PC1-new}", 3000, "C:\\\\tools\\\\odd.exe", "odd", "{PC1-p}", 40,
            "C:\\\\tools\\\\runner.exe");
  auto first = anomalies_of(s);
  ASSERT_EQ(first.found.size(), 1U);
  graph::baseline base;
  base.learn(first.g);
  auto again = graph::baseline::parse(base.to_text(), "b.tsv");
  ASSERT_TRUE(again.has_value()) << again.error().to_string();
  EXPECT_TRUE(anomalies_of(s, &*again).found.empty());
}

TEST(Anomaly, ADestinationAProgramNeverContacted) {
  auto conn = [](const std::string& time, const std::string& guid, const std::string& image, const std::string& to) {
    return ev(k_sysmon, 3, "PC1", time,
              R"("ProcessGuid":")" + guid + R"(","ProcessId":"10","Image":")" + image +
                  R"(","SourceIp":"192.168.1.41","DestinationIp":")" + to + R"(","DestinationPort":"443")");
  };
  std::string s;
  for (int k = 0; k < 24; ++k)
    s += conn(fmt::format("08:00:{:02}.000", k), "{u" + std::to_string(k) + "}", "C:\\\\agent\\\\updater.exe",
              k % 2 ? "10.1.1.1" : "10.1.1.2");
  s += conn("09:00:00.000", "{u99}", "C:\\\\agent\\\\updater.exe", "203.0.113.9");
  s += conn("09:00:01.000", "{u98}", "C:\\\\agent\\\\updater.exe", "203.0.113.9");  // seen now
  s += conn("09:00:02.000", "{n1}", "C:\\\\tools\\\\new.exe", "203.0.113.10");      // no history
  auto a = anomalies_of(s);
  ASSERT_EQ(a.kinds(), std::vector<std::string>{"rare_destination"});
  EXPECT_EQ(a.found[0].seen_before, 24U);
  EXPECT_NE(a.found[0].detail.find("203.0.113.9"), std::string::npos);
  graph::baseline base;
  base.learn(a.g);
  EXPECT_TRUE(anomalies_of(s, &base).found.empty());
}

std::string logon(const std::string& host, const std::string& time, const std::string& id, const std::string& user,
                  const std::string& from, const std::string& type = "3") {
  return ev("Security", 4624, host, time,
            R"("TargetLogonId":")" + id + R"(","TargetUserName":")" + user + R"(","TargetDomainName":"LAB","LogonType":")" +
                type + R"(","IpAddress":")" + from + R"(")");
}

TEST(Anomaly, ARemoteLogonFromASourceNeverSeenForTheAccount) {
  std::string s;
  for (int k = 0; k < 4; ++k) s += logon("SRV1", fmt::format("08:0{}:00.000", k), fmt::format("0x1{}", k), "alice", "10.0.0.1");
  s += logon("SRV1", "09:00:00.000", "0x20", "alice", "10.0.0.9");
  s += logon("SRV1", "09:00:01.000", "0x21", "alice", "10.0.0.9");      // seen now
  s += logon("SRV1", "09:00:02.000", "0x22", "bob", "10.0.0.9");        // bob has no history
  s += logon("SRV1", "09:00:03.000", "0x23", "alice", "10.0.0.7", "2");  // interactive: not remote
  for (int k = 0; k < 4; ++k) s += logon("SRV1", fmt::format("08:1{}:00.000", k), fmt::format("0x3{}", k), "WS1$", "10.0.0.1");
  s += logon("SRV1", "09:00:04.000", "0x40", "WS1$", "10.0.0.8");  // machine accounts are not people
  auto a = anomalies_of(s);
  ASSERT_EQ(a.kinds(), std::vector<std::string>{"new_logon_source"});
  EXPECT_EQ(a.g.entities[a.found[0].entity].key, "0x20");
  EXPECT_EQ(a.found[0].seen_before, 4U);
  EXPECT_NE(a.found[0].detail.find("10.0.0.9"), std::string::npos);
  graph::baseline base;
  base.see("logon", "alice|10.0.0.9");
  EXPECT_TRUE(anomalies_of(s, &base).found.empty());
}

TEST(Anomaly, AServiceNeverInstalledBeforeAndAScriptOfThemIsOne) {
  std::string s;
  s += ev("System", 7045, "A", "10:00:00.000", R"("ServiceName":"agent","ImagePath":"C:\\agent\\agent.exe")");
  s += ev("System", 7045, "B", "10:00:00.000", R"("ServiceName":"agent","ImagePath":"C:\\agent\\agent.exe")");
  s += ev("System", 7045, "A", "10:01:00.000", R"("ServiceName":"rtcpef","ImagePath":"rundll32.exe C:\\x.dll,a")");
  for (int k = 0; k < 3; ++k)
    s += ev("System", 7045, "A", fmt::format("10:02:0{}.000", k),
            R"("ServiceName":"chunk)" + std::string(1, static_cast<char>('a' + k)) +
                R"(","ImagePath":"cmd.exe /c powershell -command \"Get-Service part )" + std::string(1, static_cast<char>('a' + k)) + R"(\"")");
  auto a = anomalies_of(s);
  ASSERT_EQ(a.kinds(), (std::vector<std::string>{"new_service", "new_service"}));
  EXPECT_EQ(a.g.entities[a.found[0].entity].name, "rtcpef");
  EXPECT_EQ(a.g.entities[a.found[1].entity].name, "chunka");
  EXPECT_EQ(a.found[1].seen_before, 2U);  // two more like it
  graph::baseline base;
  base.learn(a.g);
  EXPECT_TRUE(anomalies_of(s, &base).found.empty());
}

TEST(Anomaly, ARareProcessReadingLsass) {
  auto access = [](const std::string& host, const std::string& time, const std::string& guid, const std::string& image) {
    return ev(k_sysmon, 10, host, time,
              R"("SourceProcessGUID":")" + guid + R"(","SourceProcessId":"77","SourceImage":")" + image +
                  R"(","TargetProcessGUID":"{l-)" + host + R"(}","TargetProcessId":"628","TargetImage":"C:\\Windows\\system32\\lsass.exe","GrantedAccess":"0x1010")");
  };
  std::string s;
  s += access("PC1", "10:00:00.000", "{m}", "C:\\\\tools\\\\mimikatz.exe");
  s += access("PC1", "10:00:01.000", "{m}", "C:\\\\tools\\\\mimikatz.exe");
  s += access("PC1", "10:00:02.000", "{sv}", "C:\\\\Windows\\\\System32\\\\svchost.exe");  // expected
  s += access("PC1", "10:00:03.000", "{av1}", "C:\\\\av\\\\scanner.exe");
  s += access("PC2", "10:00:03.000", "{av2}", "C:\\\\av\\\\scanner.exe");  // on two hosts: the estate's own
  auto a = anomalies_of(s);
  ASSERT_EQ(a.kinds(), std::vector<std::string>{"rare_lsass_access"});
  EXPECT_NE(a.g.entities[a.found[0].entity].image.find("mimikatz"), std::string::npos);
  EXPECT_EQ(a.g.alerts[a.found[0].alert].rule->techniques, std::vector<std::string>{"T1003.001"});
}

TEST(Anomaly, AnomaliesJoinIncidentsAndTheirJsonNamesTheEntity) {
  std::string s = starts("PC1", 12);
  s += proc("PC1", "08:00:00.000", "{PC1-new}", 3000, "C:\\\\tools\\\\odd.exe", "odd", "{PC1-p}", 40,
            "C:\\\\tools\\\\runner.exe");
  s += proc("PC1", "08:00:09.000", "{PC1-kid}", 3100, "C:\\\\Windows\\\\System32\\\\whoami.exe", "whoami", "{PC1-new}", 3000,
            "C:\\\\tools\\\\odd.exe");
  auto a = anomalies_of(s);
  ASSERT_EQ(a.found.size(), 1U);
  // A rule's alert on the child: one incident holds both.
  graph::alert_rule r{"r-whoami", "whoami", "medium", 2, {"discovery"}, {"T1033"}};
  a.g.rules.push_back(r);
  graph::alert_ref al;
  al.id = "w1";
  al.rule = &a.g.rules.back();
  al.host = a.g.alerts[a.found[0].alert].host;
  for (std::uint32_t e = 0; e < a.g.entities.size(); ++e)
    if (a.g.entities[e].command_line == "whoami") al.entity = e;
  ASSERT_NE(al.entity, graph::k_none);
  al.candidates = {al.entity};
  al.time = *parse_timestamp("2023-08-15T08:00:09Z");
  a.g.alerts.push_back(al);
  a.g.index();
  auto incs = graph::find_incidents(a.g, {});
  ASSERT_EQ(incs.size(), 1U);
  EXPECT_EQ(incs[0].alerts.size(), 2U);
  std::string line = graph::anomaly_to_jsonl(a.g, a.found[0]);
  EXPECT_EQ(line.rfind(R"({"type":"anomaly","id":")", 0), 0U) << line;
  EXPECT_NE(line.find(R"("kind":"rare_spawn")"), std::string::npos);
  EXPECT_NE(line.find("odd.exe"), std::string::npos);
  EXPECT_NE(line.find(R"("seen_before":12)"), std::string::npos);
}

TEST(Baseline, CountsRoundTripAndUnknownKindsAreErrors) {
  graph::baseline b;
  b.see("logon", "alice|10.0.0.9", 3);
  b.see("service", "agent|c:\\agent.exe");
  auto again = graph::baseline::parse(b.to_text(), "b.tsv");
  ASSERT_TRUE(again.has_value()) << again.error().to_string();
  EXPECT_EQ(again->seen("logon", "alice|10.0.0.9"), 3U);
  EXPECT_EQ(again->to_text(), b.to_text());
  auto bad = graph::baseline::parse("# ariadne baseline 1\nseen\tfoo\tx\t1\n", "x.tsv");
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().to_string().find("x.tsv:2"), std::string::npos);
}

// ------------------------------------------------------------ narratives

TEST(Narrative, TheCampaignToldFromItsEventsWithEveryFactChecked) {
  std::string s = campaign();
  s += ev(k_sysmon, 3, "PC1", "09:55:00.000",
          R"("ProcessGuid":"{p0}","ProcessId":"1988","Image":"C:\\Users\\alice\\Downloads\\winx64_payload.exe","SourceIp":"192.168.1.41","DestinationIp":"10.0.5.13","DestinationPort":"4433")");
  s += ev(k_sysmon, 15, "PC1", "09:54:12.100",
          R"("ProcessGuid":"{b0}","ProcessId":"7448","Image":"C:\\Program Files\\Edge\\msedge.exe","TargetFilename":"C:\\Users\\alice\\Downloads\\winx64_payload.exe:Zone.Identifier","Contents":"[ZoneTransfer]  ZoneId=3  ReferrerUrl=http://10.0.5.13/  HostUrl=http://10.0.5.13/winx64_payload.exe  ")");
  auto b = build(s, {{3, "payload", "execution"}, {5, "whoami", "discovery"}, {6, "lsass", "credential-access"}});
  const auto* attack = b.incident_of("payload");
  ASSERT_NE(attack, nullptr);
  const auto& n = attack->story;
  std::string text = n.text();
  EXPECT_NE(text.find("On pc1, LAB\\alice ran winx64_payload.exe at 2023-08-15 09:54:30 UTC."), std::string::npos) << text;
  EXPECT_NE(text.find("winx64_payload.exe had been downloaded by msedge.exe from http://10.0.5.13/winx64_payload.exe."),
            std::string::npos) << text;
  EXPECT_NE(text.find("It started cmd.exe, systeminfo.exe and whoami.exe."), std::string::npos) << text;
  EXPECT_NE(text.find("winx64_payload.exe connected to 10.0.5.13:4433."), std::string::npos) << text;
  EXPECT_NE(text.find("winx64_payload.exe read the memory of LSASS, first at 2023-08-15 09:57:25 UTC"), std::string::npos) << text;
  EXPECT_TRUE(test::narrative_problems(b.g, b.incidents, *attack, n).empty());
  for (const auto& p : test::narrative_problems(b.g, b.incidents, *attack, n)) ADD_FAILURE() << p;
  // Every kind of fact the story tells is checked: bend one and the check fails.
  for (std::size_t si = 0; si < n.sentences.size(); ++si)
    for (std::size_t fi = 0; fi < n.sentences[si].facts.size(); ++fi) {
      graph::narrative bent = n;
      auto& f = bent.sentences[si].facts[fi];
      f.value = f.field == "count" || f.field == "items" ? "999" : f.value + "x";
      EXPECT_FALSE(test::narrative_problems(b.g, b.incidents, *attack, bent).empty()) << f.slot << " " << f.field;
    }
  // The long form tells at least as much; JSON carries each fact's evidence.
  graph::narrative_options lo;
  lo.long_form = true;
  auto all = graph::tell(b.g, b.incidents, *attack, lo);
  EXPECT_GE(all.text().size(), text.size());
  std::string json = graph::narrative_json(n);
  EXPECT_NE(json.find(R"("field":"destination","evidence":[")"), std::string::npos) << json;
}

TEST(Narrative, OneAlertIsOneSentence) {
  auto b = build(campaign(), {{9, "background-systeminfo", "discovery"}});
  ASSERT_EQ(b.incidents.size(), 1U);
  const auto& n = b.incidents[0].story;
  ASSERT_EQ(n.sentences.size(), 1U);
  EXPECT_EQ(n.text(), "On PC1 at 2023-08-15 09:59:39 UTC, alert background-systeminfo fired on process "
                      "C:\\Windows\\System32\\systeminfo.exe (pid 1224).");
}

TEST(Narrative, TemplatesLeaveOutWhatTheLogsDoNotSay) {
  auto t = graph::narrative_templates::parse(
      "and: und\nsentences:\n  single: \"Auf {host}[ um {time}]: {alert}[ an {entity}].\"\n", "de.yml");
  ASSERT_TRUE(t.has_value()) << t.error().to_string();
  // An alert without a time and without an entity.
  graph::graph g;
  g.rules.push_back({"r", "Regel", "high", 3, {}, {}});
  g.hosts.push_back("H1");
  graph::alert_ref a;
  a.id = "a1";
  a.rule = &g.rules.back();
  a.host = g.hosts.back();
  g.alerts.push_back(a);
  g.index();
  graph::incident inc;
  inc.alerts = {0};
  inc.distinct_alerts = 1;
  inc.headline = 0;
  graph::narrative_options o;
  o.templates = &*t;
  auto n = graph::tell(g, {inc}, inc, o);
  ASSERT_EQ(n.sentences.size(), 0U);  // "single_alone" is not in this file: no sentence rather than a wrong one
  t->sentences["single_alone"] = "Auf {host}[ um {time}]: {alert}.";
  n = graph::tell(g, {inc}, inc, o);
  ASSERT_EQ(n.sentences.size(), 1U);
  EXPECT_EQ(n.text(), "Auf H1: Regel.");
  ASSERT_EQ(n.sentences[0].facts.size(), 2U);  // no fact for the time left out
  auto bad = graph::narrative_templates::parse("sentences:\n  single: \"{host\"\n", "x.yml");
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().to_string().find("x.yml:2"), std::string::npos) << bad.error().to_string();
  EXPECT_FALSE(graph::narrative_templates::parse("sentences: 3\n", "x.yml").has_value());
  EXPECT_FALSE(graph::narrative_templates::builtin().sentences.empty());
}

TEST(IncidentTechniques, ARuleTaggingManySubTechniquesGivesWhatOthersNameElseTheParent) {
  graph::alert_rule dropped{"r1", "Cred Dump Tools Dropped Files", "high", 3, {"credential-access"},
                            {"T1003.001", "T1003.002", "T1003.003", "T1003.004", "T1003.005"}};
  graph::alert_rule lsass{"r2", "LSASS Process Memory Dump Files", "high", 3, {"credential-access"}, {"T1003.001"}};
  graph::alert_rule ps{"r3", "Two interpreters", "medium", 2, {"execution"}, {"T1059.001", "T1059.003"}};
  EXPECT_EQ(graph::observed_techniques({&dropped, &lsass}), (std::set<std::string>{"T1003.001"}));
  EXPECT_EQ(graph::observed_techniques({&dropped}), (std::set<std::string>{"T1003"}));
  EXPECT_EQ(graph::observed_techniques({&ps, &dropped}), (std::set<std::string>{"T1003", "T1059.001", "T1059.003"}));
}

TEST(Narrative, ProcessesTheLogsNameNoProgramForAreLeftOutNotTold) {
  // The payload injects into a process no event names the program of, and
  // that process connects out (no Image either): the story must not invent
  // a name, nor stop.
  std::string s = campaign();
  s += ev(k_sysmon, 8, "PC1", "09:56:00.000",
          R"("SourceProcessGuid":"{p0}","SourceProcessId":"1988","SourceImage":"C:\\Users\\alice\\Downloads\\winx64_payload.exe","TargetProcessGuid":"{q0}","TargetProcessId":"777")");
  s += ev(k_sysmon, 3, "PC1", "09:56:05.000",
          R"("ProcessGuid":"{q0}","ProcessId":"777","SourceIp":"192.168.1.41","DestinationIp":"10.9.9.9","DestinationPort":"443")");
  auto b = build(s, {{3, "payload", "execution"}, {6, "lsass", "credential-access"}});
  const auto* attack = b.incident_of("payload");
  ASSERT_NE(attack, nullptr);
  std::string text = attack->story.text();
  EXPECT_EQ(text.find("10.9.9.9"), std::string::npos) << text;
  EXPECT_TRUE(test::narrative_problems(b.g, b.incidents, *attack, attack->story).empty());
  graph::narrative_options lo;
  lo.long_form = true;
  auto all = graph::tell(b.g, b.incidents, *attack, lo);
  EXPECT_TRUE(test::narrative_problems(b.g, b.incidents, *attack, all).empty());
}

}  // namespace
}  // namespace ariadne

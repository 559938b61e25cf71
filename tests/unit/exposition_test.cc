// Rendering a hand-made Snapshot into the Prometheus text exposition, checked line by line against
// the metric table.

#include "exporter/render/exposition.h"

#include <gtest/gtest.h>
#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>
#include <zlib.h>

#include <algorithm>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "exporter/render/metric_table.h"
#include "tests/support/test_sandboxes.h"

namespace evonic::exporter {
namespace {

using Labels = std::vector<std::pair<std::string, std::string>>;

// The table's families as prometheus-cpp would collect them (families without samples left out,
// no timestamps): the reference ExpositionText is held equal to through TextSerializer.
std::vector<prometheus::MetricFamily> TableFamilies(const RenderInput& input) {
  std::vector<prometheus::MetricFamily> families;
  for (const MetricDef& def : MetricTable()) {
    prometheus::MetricFamily family;
    family.name = def.name;
    family.help = def.help;
    family.type = def.type;
    if (def.per_sandbox != nullptr) {
      for (const model::Sandbox& s : input.snapshot.sandboxes) {
        std::optional<double> v = def.per_sandbox(s);
        if (!v) continue;
        prometheus::ClientMetric m;
        m.label = {{kAgentLabel, s.agent_id}, {kSessionLabel, input.labeler.SessionLabel(s)}};
        if (def.type == prometheus::MetricType::Counter) {
          m.counter.value = *v;
        } else {
          m.gauge.value = *v;
        }
        family.metric.push_back(std::move(m));
      }
    } else {
      def.samples(input, family.metric);
    }
    if (!family.metric.empty()) families.push_back(std::move(family));
  }
  return families;
}

struct Series {
  std::string name;
  Labels labels;
  std::string value;
};

struct ParsedText {
  std::map<std::string, std::string> help, type;
  std::vector<Series> series;
};

// Parses one sample line strictly: name, optional {k="v",...} with \\ \" \n escapes, one space,
// exactly one value token (so a timestamp would fail the test).
bool ParseSample(const std::string& line, Series& s, std::string& why) {
  std::size_t i = 0;
  while (i < line.size() && line[i] != '{' && line[i] != ' ') ++i;
  s.name = line.substr(0, i);
  if (i < line.size() && line[i] == '{') {
    ++i;
    while (i < line.size() && line[i] != '}') {
      std::size_t eq = line.find('=', i);
      if (eq == std::string::npos || eq + 1 >= line.size() || line[eq + 1] != '"') {
        why = "bad label";
        return false;
      }
      std::string key = line.substr(i, eq - i), value;
      i = eq + 2;
      for (; i < line.size() && line[i] != '"'; ++i) {
        if (line[i] == '\\' && i + 1 < line.size()) {
          char e = line[++i];
          value += e == 'n' ? '\n' : e;
        } else {
          value += line[i];
        }
      }
      if (i >= line.size()) {
        why = "unterminated label value";
        return false;
      }
      ++i;  // closing quote
      s.labels.emplace_back(key, value);
      if (i < line.size() && line[i] == ',') ++i;
    }
    if (i >= line.size()) {
      why = "unterminated label set";
      return false;
    }
    ++i;  // '}'
  }
  if (i >= line.size() || line[i] != ' ') {
    why = "no value";
    return false;
  }
  s.value = line.substr(i + 1);
  if (s.value.empty() || s.value.find(' ') != std::string::npos) {
    why = "expected exactly one value token (no timestamp): '" + s.value + "'";
    return false;
  }
  return true;
}

ParsedText ParseText(const std::string& text) {
  ParsedText out;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    if (line.rfind("# HELP ", 0) == 0) {
      std::size_t sp = line.find(' ', 7);
      out.help[line.substr(7, sp - 7)] = sp == std::string::npos ? "" : line.substr(sp + 1);
      continue;
    }
    if (line.rfind("# TYPE ", 0) == 0) {
      std::size_t sp = line.find(' ', 7);
      out.type[line.substr(7, sp - 7)] = line.substr(sp + 1);
      continue;
    }
    EXPECT_NE(line[0], '#') << line;
    Series s;
    std::string why;
    EXPECT_TRUE(ParseSample(line, s, why)) << why << ": " << line;
    out.series.push_back(std::move(s));
  }
  return out;
}

std::string Label(const Series& s, const std::string& key) {
  for (const auto& [k, v] : s.labels) {
    if (k == key) return v;
  }
  return "<none>";
}

std::vector<std::string> Keys(const Series& s) {
  std::vector<std::string> keys;
  for (const auto& kv : s.labels) keys.push_back(kv.first);
  return keys;
}

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

const std::string kWeird = "we\"ird\\path\nx";  // a quote, a backslash and a newline

std::shared_ptr<model::Snapshot> TwoSandboxes() {
  auto snap = std::make_shared<model::Snapshot>();
  snap->generation = 7;
  model::Sandbox a = test::SandboxOf("data-analyst", "data-analyst-e0d4d663")
                         .Id("58a261e59700f53aba5560db9ba4700c5aa273a7d53a88fbe554328f67a4bb92")
                         .EvonicName()
                         .Image("evonic-sandbox:test")
                         .NetworkMode("none")
                         .Matched()
                         .Limits(1, 536870912, 256)
                         .StartedAt(1795697378.994098385)
                         .Usage(test::UsageOf()
                                    .CpuSeconds(2.025995812, 2.01, 0.01)
                                    .CpuRatio(1.003678789)
                                    .Throttling(23, 1, 0.25)
                                    .Memory(524288, 536870912)
                                    .MemoryBreakdown(1048576, 53248, 995328, 4096, 3)
                                    .Network({1, 2, 3, 4, 5, 6, 7, 8})
                                    .Block(4096, 8192)
                                    .Pids(2)
                                    .Build())
                         .Build();
  // No usage, no limits, no start time: only its info series.
  model::Sandbox b = test::SandboxOf("unknown", kWeird)
                         .Id("738a1598226385dfe2089031bcbf0b7d132592ad6b6de6565011f739c0d9a6af")
                         .Name(kWeird)
                         .Image("evonic-sandbox:test")
                         .Build();
  snap->sandboxes = {a, b};
  snap->pool_max_containers = 10;
  snap->status.docker_up = true;
  snap->status.api_version = "1.41";
  snap->status.stats_source = "cgroupfs";
  snap->status.stats_checks_agreed_total = 7;
  snap->status.collect_duration_seconds = 0.012;
  snap->status.collect_interval_seconds = 5;
  snap->status.last_collect_timestamp_seconds = 1795697400;
  snap->status.collect_errors_total = 3;
  snap->status.collect_overruns_total = 1;
  snap->status.unmatched_containers = 1;
  snap->status.sessions_not_in_evonic_db = 1;
  auto view = std::make_shared<model::EvonicView>();  // as with --evonic.root
  view->db_up = true;
  snap->evonic = view;
  auto events = std::make_shared<model::EventsView>();  // as the event processor publishes it
  model::AgentEventCounters& agent = events->agents["data-analyst"];
  agent.created = 2;
  agent.oom_kills = 1;
  agent.tools[0].runs = 3;
  agent.tools[0].failures = 1;
  agent.tools[0].seconds = 1.25;
  agent.tools[0].bucket_counts = {0, 1, 0, 1, 0, 1};
  events->agents["quiet-agent"];  // seen, nothing counted yet: all at 0
  events->status.up = true;
  events->status.tracked_objects = 3;
  snap->events = events;
  return snap;
}

ProcessStats FullProcess() {
  ProcessStats p;
  p.cpu_seconds = 1.5;
  p.resident_memory_bytes = 12345678;
  p.virtual_memory_bytes = 98765432;
  p.open_fds = 12;
  p.max_fds = 1024;
  p.start_time_seconds = 1795697000;
  return p;
}

// Whether a series name belongs to the family `def` (a histogram's _bucket, _sum and _count).
bool SeriesOf(const std::string& series, const MetricDef& def) {
  if (series == def.name) return true;
  if (def.type != prometheus::MetricType::Histogram) return false;
  for (const char* suffix : {"_bucket", "_sum", "_count"}) {
    if (series == std::string(def.name) + suffix) return true;
  }
  return false;
}

TEST(ExpositionEvents, PerAgentCountersAndTheToolHistogram) {
  auto text = Render(TwoSandboxes(), FullProcess(), BuildInfo{"0.1.0", "9eb93de"})->text;
  for (const char* line : {
           "evonic_sandbox_oom_kills_total{agent_id=\"data-analyst\"} 1\n",
           "evonic_sandbox_oom_kills_total{agent_id=\"quiet-agent\"} 0\n",
           "evonic_sandbox_tool_executions_total{agent_id=\"data-analyst\",tool=\"bash\"} 3\n",
           "evonic_sandbox_tool_failures_total{agent_id=\"data-analyst\",tool=\"bash\"} 1\n",
           "evonic_sandbox_tool_executions_total{agent_id=\"quiet-agent\",tool=\"python\"} 0\n",
           "evonic_sandbox_tool_duration_seconds_bucket{agent_id=\"data-analyst\",tool=\"bash\","
           "le=\"0.05\"} 0\n",
           "evonic_sandbox_tool_duration_seconds_bucket{agent_id=\"data-analyst\",tool=\"bash\","
           "le=\"0.5\"} 2\n",
           "evonic_sandbox_tool_duration_seconds_bucket{agent_id=\"data-analyst\",tool=\"bash\","
           "le=\"+Inf\"} 3\n",
           "evonic_sandbox_tool_duration_seconds_sum{agent_id=\"data-analyst\",tool=\"bash\"} "
           "1.25\n",
           "evonic_sandbox_exporter_events_up 1\n",
           "evonic_sandbox_exporter_events_tracked_objects 3\n",
       }) {
    EXPECT_NE(text.find(line), std::string::npos) << line;
  }
  EXPECT_EQ(text.find("session_id=\"data-analyst-e0d4d663\",tool"), std::string::npos);
}

class ExpositionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auth_.wrong_password = 7;
    auth_.unknown_user = 2;
    auth_.address_throttled = 3;
    history_.writes = 12;
    history_.write_errors = 1;
    history_.last_write_seconds = 1795737600;
    connections_.accepted = 40;
    connections_.active = 2;
    connections_.waiting = 5;
    connections_.expired = 3;
    exposition_ = Render(TwoSandboxes(), FullProcess(), BuildInfo{"0.1.0", "9eb93de"},
                         SessionLabeler(), nullptr, &auth_, &history_, &connections_);
    ASSERT_NE(exposition_, nullptr);
    parsed_ = ParseText(exposition_->text);
  }
  const Series* Find(const std::string& name, const std::string& session) const {
    for (const Series& s : parsed_.series) {
      if (s.name == name && Label(s, "session_id") == session) return &s;
    }
    return nullptr;
  }
  double Value(const std::string& name, const std::string& session = "<none>") const {
    const Series* s = Find(name, session);
    EXPECT_NE(s, nullptr) << name;
    return s == nullptr ? -1 : std::stod(s->value);
  }
  model::AuthCounts auth_;
  model::HistoryCounts history_;
  model::ConnectionCounts connections_;
  std::shared_ptr<const Exposition> exposition_;
  ParsedText parsed_;
};

TEST_F(ExpositionTest, AuthenticationCountsByReasonAndCause) {
  const std::string& text = exposition_->text;
  for (const char* line : {
           "evonic_sandbox_exporter_auth_failures_total{reason=\"wrong_password\"} 7\n",
           "evonic_sandbox_exporter_auth_failures_total{reason=\"unknown_user\"} 2\n",
           "evonic_sandbox_exporter_auth_failures_total{reason=\"missing_credentials\"} 0\n",
           "evonic_sandbox_exporter_auth_overload_rejections_total{cause=\"address_throttled\"} "
           "3\n",
           "evonic_sandbox_exporter_auth_overload_rejections_total{cause=\"bcrypt_busy\"} 0\n",
       }) {
    EXPECT_NE(text.find(line), std::string::npos) << line;
  }
  // Without a web server (no counts given) there are no such series.
  auto bare = Render(TwoSandboxes(), FullProcess(), BuildInfo{"0.1.0", "9eb93de"});
  EXPECT_EQ(bare->text.find("evonic_sandbox_exporter_auth_"), std::string::npos);
}

TEST_F(ExpositionTest, HistoryCountsOnlyWhenHistoryIsOn) {
  const std::string& text = exposition_->text;
  for (const char* line : {"evonic_sandbox_exporter_history_writes_total 12\n",
                           "evonic_sandbox_exporter_history_write_errors_total 1\n",
                           "evonic_sandbox_exporter_history_last_write_timestamp_seconds "
                           "1795737600\n"}) {
    EXPECT_NE(text.find(line), std::string::npos) << line;
  }
  auto off = Render(TwoSandboxes(), FullProcess(), BuildInfo{"0.1.0", "9eb93de"}, SessionLabeler(),
                    nullptr, &auth_);
  EXPECT_EQ(off->text.find("evonic_sandbox_exporter_history_"), std::string::npos);
}

TEST_F(ExpositionTest, ConnectionGateCounts) {
  const std::string& text = exposition_->text;
  for (const char* line : {
           "evonic_sandbox_exporter_http_connections{state=\"active\"} 2\n",
           "evonic_sandbox_exporter_http_connections{state=\"waiting\"} 5\n",
           "evonic_sandbox_exporter_http_connections_accepted_total 40\n",
           "evonic_sandbox_exporter_http_connections_closed_unserved_total{reason=\"timeout\"} 3\n",
           "evonic_sandbox_exporter_http_connections_closed_unserved_total{reason=\"capacity\"} "
           "0\n",
       }) {
    EXPECT_NE(text.find(line), std::string::npos) << line;
  }
}

TEST_F(ExpositionTest, StatsSourceAndItsChecks) {
  const std::string& text = exposition_->text;
  for (const char* line : {
           "evonic_sandbox_exporter_stats_source{source=\"cgroupfs\"} 1\n",
           "evonic_sandbox_exporter_stats_source{source=\"engine\"} 0\n",
           "evonic_sandbox_exporter_stats_source_checks_total{result=\"agreed\"} 7\n",
           "evonic_sandbox_exporter_stats_source_checks_total{result=\"disagreed\"} 0\n",
       }) {
    EXPECT_NE(text.find(line), std::string::npos) << line;
  }
}

TEST_F(ExpositionTest, EveryTableMetricAppearsWithHelpAndType) {
  ASSERT_FALSE(MetricTable().empty());
  for (const MetricDef& def : MetricTable()) {
    SCOPED_TRACE(def.name);
    ASSERT_EQ(parsed_.help.count(def.name), 1u);
    EXPECT_EQ(parsed_.help.at(def.name), def.help);
    ASSERT_EQ(parsed_.type.count(def.name), 1u);
    EXPECT_EQ(parsed_.type.at(def.name), def.type == prometheus::MetricType::Counter ? "counter"
                                         : def.type == prometheus::MetricType::Histogram
                                             ? "histogram"
                                             : "gauge");
    bool has_series = false;
    for (const Series& s : parsed_.series) has_series |= SeriesOf(s.name, def);
    EXPECT_TRUE(has_series);
  }
  // And nothing that is not in the table.
  for (const Series& s : parsed_.series) {
    bool known = false;
    for (const MetricDef& def : MetricTable()) known |= SeriesOf(s.name, def);
    EXPECT_TRUE(known) << s.name;
  }
}

TEST_F(ExpositionTest, CounterNamesEndInTotal) {
  for (const auto& [name, type] : parsed_.type) {
    if (type == "counter") {
      EXPECT_TRUE(EndsWith(name, "_total")) << name;
      EXPECT_FALSE(EndsWith(name, "_total_total")) << name;
    } else {
      EXPECT_FALSE(EndsWith(name, "_total")) << name << " is a " << type;
    }
  }
  for (const MetricDef& def : MetricTable()) {
    EXPECT_EQ(def.type == prometheus::MetricType::Counter, EndsWith(def.name, "_total"))
        << def.name;
  }
}

TEST_F(ExpositionTest, PerSandboxSeriesCarryExactlyAgentAndSession) {
  const std::vector<std::string> agent_session = {"agent_id", "session_id"};
  int per_sandbox_series = 0;
  for (const MetricDef& def : MetricTable()) {
    if (def.per_sandbox == nullptr) continue;
    for (const Series& s : parsed_.series) {
      if (s.name != def.name) continue;
      ++per_sandbox_series;
      EXPECT_EQ(Keys(s), agent_session) << s.name;
    }
  }
  EXPECT_GT(per_sandbox_series, 20);
}

TEST_F(ExpositionTest, InfoSeries) {
  std::vector<const Series*> info;
  for (const Series& s : parsed_.series) {
    if (s.name == "evonic_sandbox_info") info.push_back(&s);
  }
  ASSERT_EQ(info.size(), 2u);
  const std::set<std::string> keys = {"agent_id", "session_id", "container_id", "container_name",
                                      "image"};
  for (const Series* s : info) {
    std::vector<std::string> k = Keys(*s);
    EXPECT_EQ(std::set<std::string>(k.begin(), k.end()), keys);
    EXPECT_EQ(k.size(), keys.size());
    EXPECT_EQ(Label(*s, "container_id").size(), 12u);
    EXPECT_EQ(s->value, "1");
  }
  const Series* a = Find("evonic_sandbox_info", "data-analyst-e0d4d663");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(Label(*a, "agent_id"), "data-analyst");
  EXPECT_EQ(Label(*a, "container_id"), "58a261e59700");
  EXPECT_EQ(Label(*a, "container_name"), "evonic-data-analyst-e0d4d663");
  EXPECT_EQ(Label(*a, "image"), "evonic-sandbox:test");
  const Series* b = Find("evonic_sandbox_info", kWeird);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(Label(*b, "agent_id"), "unknown");
  EXPECT_EQ(Label(*b, "container_id"), "738a15982263");
  EXPECT_EQ(Label(*b, "container_name"), kWeird);
}

TEST_F(ExpositionTest, SandboxWithoutUsageHasOnlyItsInfo) {
  for (const Series& s : parsed_.series) {
    if (Label(s, "session_id") == kWeird) {
      EXPECT_EQ(s.name, "evonic_sandbox_info");
    }
  }
  // While the other sandbox has its usage series.
  EXPECT_NE(Find("evonic_sandbox_memory_working_set_bytes", "data-analyst-e0d4d663"), nullptr);
}

TEST_F(ExpositionTest, Values) {
  const std::string a = "data-analyst-e0d4d663";
  EXPECT_DOUBLE_EQ(Value("evonic_sandbox_cpu_usage_seconds_total", a), 2.025995812);
  EXPECT_DOUBLE_EQ(Value("evonic_sandbox_cpu_user_seconds_total", a), 2.01);
  EXPECT_DOUBLE_EQ(Value("evonic_sandbox_cpu_system_seconds_total", a), 0.01);
  EXPECT_DOUBLE_EQ(Value("evonic_sandbox_cpu_utilization_ratio", a), 1.003678789);
  EXPECT_DOUBLE_EQ(Value("evonic_sandbox_cpu_limit_cores", a), 1);
  EXPECT_DOUBLE_EQ(Value("evonic_sandbox_cpu_periods_total", a), 23);
  EXPECT_DOUBLE_EQ(Value("evonic_sandbox_cpu_throttled_periods_total", a), 1);
  EXPECT_DOUBLE_EQ(Value("evonic_sandbox_cpu_throttled_seconds_total", a), 0.25);
  // The working set is docker stats' "used"; usage is cAdvisor's, with all the cache.
  EXPECT_DOUBLE_EQ(Value("evonic_sandbox_memory_working_set_bytes", a), 524288);
  EXPECT_DOUBLE_EQ(Value("evonic_sandbox_memory_usage_bytes", a), 1048576);
  EXPECT_DOUBLE_EQ(Value("evonic_sandbox_memory_rss_bytes", a), 53248);
  EXPECT_DOUBLE_EQ(Value("evonic_sandbox_memory_cache_bytes", a), 995328);
  EXPECT_DOUBLE_EQ(Value("evonic_sandbox_memory_swap_bytes", a), 4096);
  EXPECT_DOUBLE_EQ(Value("evonic_sandbox_memory_limit_hits_total", a), 3);
  EXPECT_DOUBLE_EQ(Value("evonic_sandbox_memory_limit_bytes", a), 536870912);
  EXPECT_DOUBLE_EQ(Value("evonic_sandbox_network_receive_bytes_total", a), 1);
  EXPECT_DOUBLE_EQ(Value("evonic_sandbox_network_transmit_bytes_total", a), 2);
  EXPECT_DOUBLE_EQ(Value("evonic_sandbox_network_receive_packets_total", a), 3);
  EXPECT_DOUBLE_EQ(Value("evonic_sandbox_network_transmit_packets_total", a), 4);
  EXPECT_DOUBLE_EQ(Value("evonic_sandbox_network_receive_errors_total", a), 5);
  EXPECT_DOUBLE_EQ(Value("evonic_sandbox_network_transmit_errors_total", a), 6);
  EXPECT_DOUBLE_EQ(Value("evonic_sandbox_network_receive_dropped_total", a), 7);
  EXPECT_DOUBLE_EQ(Value("evonic_sandbox_network_transmit_dropped_total", a), 8);
  EXPECT_DOUBLE_EQ(Value("evonic_sandbox_block_read_bytes_total", a), 4096);
  EXPECT_DOUBLE_EQ(Value("evonic_sandbox_block_write_bytes_total", a), 8192);
  EXPECT_DOUBLE_EQ(Value("evonic_sandbox_pids", a), 2);
  EXPECT_DOUBLE_EQ(Value("evonic_sandbox_pids_limit", a), 256);
  EXPECT_NEAR(Value("evonic_sandbox_start_time_seconds", a), 1795697378.994098385, 1e-6);
  EXPECT_DOUBLE_EQ(Value("evonic_sandbox_pool_containers"), 2);
  EXPECT_DOUBLE_EQ(Value("evonic_sandbox_pool_max_containers"), 10);
  EXPECT_DOUBLE_EQ(Value("evonic_sandbox_exporter_docker_up"), 1);
  EXPECT_DOUBLE_EQ(Value("evonic_sandbox_exporter_collect_errors_total"), 3);
  EXPECT_DOUBLE_EQ(Value("evonic_sandbox_exporter_collect_overruns_total"), 1);
  EXPECT_DOUBLE_EQ(Value("evonic_sandbox_exporter_unmatched_containers"), 1);
  EXPECT_DOUBLE_EQ(Value("evonic_sandbox_exporter_collect_interval_seconds"), 5);
  EXPECT_DOUBLE_EQ(Value("process_resident_memory_bytes"), 12345678);
  EXPECT_DOUBLE_EQ(Value("process_max_fds"), 1024);
}

TEST_F(ExpositionTest, BuildInfo) {
  const Series* s = Find("evonic_sandbox_exporter_build_info", "<none>");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(Label(*s, "version"), "0.1.0");
  EXPECT_EQ(Label(*s, "revision"), "9eb93de");
  EXPECT_EQ(s->value, "1");
}

TEST_F(ExpositionTest, SnapshotHelpSaysValuesRefreshEveryCollection) {
  for (const MetricDef& def : MetricTable()) {
    const std::string name = def.name;
    const bool snapshot_value = def.per_sandbox != nullptr || name == "evonic_sandbox_info" ||
                                name.rfind("evonic_sandbox_pool_", 0) == 0;
    if (!snapshot_value) continue;
    EXPECT_NE(parsed_.help.at(name).find("every collection"), std::string::npos)
        << name << ": " << parsed_.help.at(name);
  }
}

TEST_F(ExpositionTest, LabelValuesEscaped) {
  // Text format: \ -> \\, " -> \", newline -> \n inside label values.
  EXPECT_NE(exposition_->text.find(R"(session_id="we\"ird\\path\nx")"), std::string::npos)
      << exposition_->text;
  EXPECT_NE(exposition_->text.find(R"(container_name="we\"ird\\path\nx")"), std::string::npos);
}

TEST_F(ExpositionTest, NoDuplicateSeries) {
  std::set<std::string> seen;
  for (const Series& s : parsed_.series) {
    std::string key = s.name;
    Labels sorted = s.labels;
    std::sort(sorted.begin(), sorted.end());
    for (const auto& [k, v] : sorted) key += "\x1f" + k + "=" + v;
    EXPECT_TRUE(seen.insert(key).second) << "duplicate " << key;
  }
  // 2 info + every per-sandbox metric for sandbox A + the others once each.
  EXPECT_EQ(seen.size(), parsed_.series.size());
}

// Render() writes the text itself from the table; it must be, byte for byte, what prometheus-cpp's
// serializer writes of the same table's families (every row here: the fixture sets every count).
TEST_F(ExpositionTest, TextIsWhatTheSerializerWritesOfTheTableFamilies) {
  const ProcessStats process = FullProcess();
  const BuildInfo build{"0.1.0", "9eb93de"};
  const SessionLabeler labeler;
  const RenderInput input{
      *exposition_->snapshot, process, build, labeler, nullptr, &auth_, &history_, &connections_};
  EXPECT_EQ(exposition_->text, prometheus::TextSerializer().Serialize(TableFamilies(input)));
}

// The same over per-sandbox values in every number format and hostile identities, with the
// session label dropped (container ids as session_id).
TEST(Exposition, TextIsWhatTheSerializerWritesForAnyValue) {
  auto snap = std::make_shared<model::Snapshot>();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  int i = 0;
  for (double v : {0.0, -0.0, 0.1, 1.0 / 3, 1e-7, 1e15, 1e16, 12345678901234567.0,
                   18446744073709551615.0, 1e300, -2.5, nan, inf, -inf}) {
    const std::string agent = i % 2 ? kWeird : "agent\\" + std::to_string(i);
    snap->sandboxes.push_back(test::SandboxOf(agent, kWeird + std::to_string(i))
                                  .Id(static_cast<char>('a' + i))
                                  .Name(kWeird)
                                  .Image("im\"age")
                                  .Limits(v, v, v)
                                  .StartedAt(v)
                                  .Usage(test::UsageOf()
                                             .CpuSeconds(v, v, v)
                                             .CpuRatio(v)
                                             .Throttling(v, v, v)
                                             .Memory(v, v)
                                             .Network({v, v, v, v, v, v, v, v})
                                             .Block(v, v)
                                             .Pids(v)
                                             .Build())
                                  .Build());
    ++i;
  }
  snap->status.docker_up = true;
  std::string error;
  for (const std::string mode : {"raw", "drop"}) {
    const SessionLabeler labeler = *SessionLabeler::Create(mode, "", &error);
    const ProcessStats process = FullProcess();
    const BuildInfo build{"0.1.0", "x"};
    const RenderInput input{*snap, process, build, labeler};
    EXPECT_EQ(ExpositionText(input), prometheus::TextSerializer().Serialize(TableFamilies(input)))
        << mode;
  }
}

TEST_F(ExpositionTest, GzipMemberInflatesToTheText) {
  const std::string& gz = exposition_->gzip;
  ASSERT_GE(gz.size(), 18u);
  EXPECT_EQ(static_cast<unsigned char>(gz[0]), 0x1f);
  EXPECT_EQ(static_cast<unsigned char>(gz[1]), 0x8b);
  z_stream zs{};
  ASSERT_EQ(inflateInit2(&zs, 15 + 16), Z_OK);
  std::string out(exposition_->text.size() + 1024, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  zs.avail_in = static_cast<uInt>(gz.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  int rc = inflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  EXPECT_EQ(zs.avail_in, 0u);  // nothing after the member
  inflateEnd(&zs);
  EXPECT_EQ(rc, Z_STREAM_END);
  EXPECT_EQ(out, exposition_->text);
}

TEST(Exposition, EngineDownAndNoSandboxes) {
  auto snap = std::make_shared<model::Snapshot>();
  snap->pool_max_containers = 10;
  auto e = Render(snap, ProcessStats{}, BuildInfo{"0.1.0", "x"});
  ParsedText p = ParseText(e->text);
  std::set<std::string> names;
  for (const Series& s : p.series) names.insert(s.name);
  EXPECT_EQ(names.count("evonic_sandbox_info"), 0u);
  EXPECT_EQ(names.count("evonic_sandbox_pool_containers"), 0u);  // unknown while the engine is down
  EXPECT_EQ(names.count("evonic_sandbox_exporter_unmatched_containers"), 0u);
  EXPECT_EQ(names.count("process_open_fds"), 0u);  // absent figures are left out, not zero
  EXPECT_EQ(p.help.count("process_open_fds"), 0u);
  ASSERT_EQ(names.count("evonic_sandbox_exporter_docker_up"), 1u);
  for (const Series& s : p.series) {
    if (s.name == "evonic_sandbox_exporter_docker_up") {
      EXPECT_EQ(s.value, "0");
    }
  }
}

TEST(Gzip, EmptyInputIsAValidMember) {
  std::string gz = Gzip("");
  ASSERT_GE(gz.size(), 18u);
  EXPECT_EQ(static_cast<unsigned char>(gz[0]), 0x1f);
}

}  // namespace
}  // namespace evonic::exporter

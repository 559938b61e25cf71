// The REST API's request path and headers: RestAnswer on a fixed snapshot with the input as the
// path (and as an agent id inside the agent path), IsPlausibleAgentId, and the HTTP server's
// AcceptsGzip (Accept-Encoding) and ParseListenAddress (--web.listen-address), ClientKey and
// ExamineFirstRequestLine (the gate's look at a request line) and RequestStream (its look at the
// later ones: the same output however the bytes are split, and no more growth than it promises);
// the history query string.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <set>
#include <string>

#include "exporter/render/exposition.h"
#include "exporter/render/history_query.h"
#include "exporter/render/rest_api.h"
#include "exporter/web/connection_gate.h"
#include "exporter/web/first_request_line.h"
#include "exporter/web/http_server.h"
#include "exporter/web/request_stream.h"
#include "model/snapshot.h"
#include "tests/fuzz/fuzz_input.h"

using namespace evonic;

namespace {

constexpr double kNow = 1800000000;

model::Sandbox MakeSandbox(const std::string& agent, const std::string& session, char id_char) {
  model::Sandbox s;
  s.container_id = std::string(64, id_char);
  s.container_name = "evonic-" + session;
  s.image = "evonic-sandbox:latest";
  s.agent_id = agent;
  s.session_id = session;
  s.identity_matched = true;
  s.limits = {1.0, 536870912.0, 256.0};
  model::SandboxUsage u;
  u.cpu_utilization_ratio = 0.15312;
  u.memory_used_bytes = 142.0 * 1048576;
  u.memory_limit_bytes = 25276502016.0;
  u.network = model::NetworkCounters{2.1e6, 4.8e6, 0, 0, 0, 0, 0, 0};
  u.block_read_bytes = 8.3e6;
  u.block_write_bytes = 12.5e6;
  u.pids = 28;
  s.usage = u;
  return s;
}

const exporter::Exposition& Fixed() {
  static const exporter::Exposition exposition = [] {
    auto snap = std::make_shared<model::Snapshot>();
    snap->pool_max_containers = 10;
    snap->status.docker_up = true;
    snap->status.collect_interval_seconds = 5;
    snap->status.last_collect_timestamp_seconds = kNow - 1;
    snap->sandboxes = {MakeSandbox("admin", "admin-6f07b262", 'a'),
                       MakeSandbox("admin", "admin-0badc0de", 'b'),
                       MakeSandbox("data-analyst", "data-analyst-e0d4d663", 'c')};
    snap->sandboxes[1].usage.reset();
    snap->known_agents = std::make_shared<std::set<std::string>>(
        std::set<std::string>{"admin", "data-analyst", "gone-agent"});
    auto view = std::make_shared<model::EvonicView>();
    view->db_up = true;
    view->agents["admin"] = {"admin", "Admin Assistant", true};
    view->agents["data-analyst"] = {"data-analyst", "Data Analyst", true};
    view->agents["locked"] = {"locked", "Locked Agent", false};
    view->sessions["admin-6f07b262"] = {"admin-6f07b262", "admin", "user@example.com"};
    snap->evonic = view;
    exporter::Exposition e;
    e.snapshot = snap;
    return e;
  }();
  return exposition;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(fuzz::AsText(data, size));
  exporter::RestAnswer(Fixed(), text, kNow);
  exporter::RestAnswer(Fixed(), "/api/agents/" + text + "/sandbox/stats", kNow);
  exporter::IsPlausibleAgentId(text);
  exporter::AcceptsGzip(text);
  sockaddr_storage address{};
  socklen_t length = 0;
  std::string error;
  exporter::ParseListenAddress(text, &address, &length, &error);
  exporter::ClientKey(text);
  exporter::ExamineFirstRequestLine(text);
  {
    std::string whole, split;
    exporter::RequestStream a(false), b(false);
    a.Feed(text, whole);
    a.Finish(whole);
    const std::size_t cut = size > 0 ? data[0] % (size + 1) : 0;
    b.Feed(std::string_view(text).substr(0, cut), split);
    b.Feed(std::string_view(text).substr(cut), split);
    b.Finish(split);
    if (whole != split || whole.size() > text.size() + exporter::RequestStream::kMaxGrowth) {
      std::abort();
    }
  }
  std::string query_error;
  exporter::ParseHistoryQuery(text, &query_error);
  exporter::HistoryAnswer(Fixed(), "/api/agents/" + text + "/sandbox/stats/history", text, nullptr);
  return 0;
}

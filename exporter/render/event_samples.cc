#include "exporter/render/event_samples.h"

#include <limits>

namespace evonic::exporter::event_samples {

namespace {
using prometheus::ClientMetric;

ClientMetric Counter(double value, std::vector<ClientMetric::Label> labels) {
  ClientMetric m;
  m.label = std::move(labels);
  m.counter.value = value;
  return m;
}
}  // namespace

void PerAgent(const RenderInput& in, Samples& out, double model::AgentEventCounters::*field) {
  if (!in.snapshot.events) return;
  for (const auto& [agent, counters] : in.snapshot.events->agents) {
    out.push_back(Counter(counters.*field, {{kAgentLabel, agent}}));
  }
}

void PerAgentEnding(const RenderInput& in, Samples& out) {
  if (!in.snapshot.events) return;
  for (const auto& [agent, counters] : in.snapshot.events->agents) {
    for (std::size_t r = 0; r < model::kEndingCount; ++r) {
      out.push_back(
          Counter(counters.endings[r], {{kAgentLabel, agent}, {"reason", model::kEndingNames[r]}}));
    }
  }
}

void PerAgentTool(const RenderInput& in, Samples& out, double model::ToolCounters::*field) {
  if (!in.snapshot.events) return;
  for (const auto& [agent, counters] : in.snapshot.events->agents) {
    for (std::size_t t = 0; t < model::kToolCount; ++t) {
      out.push_back(Counter(counters.tools[t].*field,
                            {{kAgentLabel, agent}, {"tool", model::kToolNames[t]}}));
    }
  }
}

void ToolDurationHistogram(const RenderInput& in, Samples& out) {
  if (!in.snapshot.events) return;
  for (const auto& [agent, counters] : in.snapshot.events->agents) {
    for (std::size_t t = 0; t < model::kToolCount; ++t) {
      const model::ToolCounters& c = counters.tools[t];
      ClientMetric m;
      m.label = {{kAgentLabel, agent}, {"tool", model::kToolNames[t]}};
      m.histogram.sample_count = static_cast<std::uint64_t>(c.runs);
      m.histogram.sample_sum = c.seconds;
      std::uint64_t cumulative = 0;
      for (std::size_t b = 0; b < model::kToolDurationBuckets.size(); ++b) {
        cumulative += static_cast<std::uint64_t>(c.bucket_counts[b]);
        ClientMetric::Bucket bucket;
        bucket.cumulative_count = cumulative;
        bucket.upper_bound = model::kToolDurationBuckets[b];
        m.histogram.bucket.push_back(bucket);
      }
      ClientMetric::Bucket inf;
      inf.cumulative_count = static_cast<std::uint64_t>(c.runs);
      inf.upper_bound = std::numeric_limits<double>::infinity();
      m.histogram.bucket.push_back(inf);
      out.push_back(std::move(m));
    }
  }
}

void Status(const RenderInput& in, Samples& out, prometheus::MetricType type,
            double model::EventsStatus::*field) {
  if (!in.snapshot.events) return;
  ClientMetric m;
  if (type == prometheus::MetricType::Counter) {
    m.counter.value = in.snapshot.events->status.*field;
  } else {
    m.gauge.value = in.snapshot.events->status.*field;
  }
  out.push_back(std::move(m));
}

void Up(const RenderInput& in, Samples& out) {
  if (!in.snapshot.events) return;
  ClientMetric m;
  m.gauge.value = in.snapshot.events->status.up ? 1 : 0;
  out.push_back(std::move(m));
}

}  // namespace evonic::exporter::event_samples

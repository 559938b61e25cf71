#pragma once
// Sample builders for the metrics that come from the engine's event stream (the per-agent
// counters and the stream's health). Used by the metric table; pure functions of a RenderInput.

#include "exporter/render/metric_table.h"
#include "model/events_view.h"

namespace evonic::exporter::event_samples {

/// One counter per agent, labelled agent_id, from AgentEventCounters::*field.
void PerAgent(const RenderInput& in, Samples& out, double model::AgentEventCounters::*field);
/// One counter per agent and ending reason (removed, oom, error, clean), every reason at 0 too.
void PerAgentEnding(const RenderInput& in, Samples& out);
/// One counter per agent and tool (bash, python, other), from ToolCounters::*field.
void PerAgentTool(const RenderInput& in, Samples& out, double model::ToolCounters::*field);
/// The tool duration histogram per agent and tool.
void ToolDurationHistogram(const RenderInput& in, Samples& out);
/// A value of the stream's status (absent when events are not followed).
void Status(const RenderInput& in, Samples& out, prometheus::MetricType type,
            double model::EventsStatus::*field);
/// evonic_sandbox_exporter_events_up.
void Up(const RenderInput& in, Samples& out);

}  // namespace evonic::exporter::event_samples

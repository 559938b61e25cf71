#pragma once
// The Prometheus text format written straight into one string, byte for byte as prometheus-cpp
// 1.0.1's TextSerializer writes it: sample values as printf's "%.16g" in the C locale, "Nan",
// "+Inf" and "-Inf"; label values with backslash, double quote and newline escaped; help text as
// given. No MetricFamily, ClientMetric or stream is needed per sample, so the renderer can write
// the per-sandbox series from the snapshot and escape each sandbox's labels once
// (tests/unit/exposition_text_test.cc holds both writers' output equal).
//
// Free functions over the caller's string: safe from any thread on distinct strings.

#include <prometheus/client_metric.h>
#include <prometheus/metric_type.h>

#include <string>
#include <string_view>

namespace evonic::exporter::text {

/// Appends a sample value.
void AppendValue(std::string& out, double value);

/// Appends `value` escaped as the inside of a quoted label value.
void AppendLabelValue(std::string& out, std::string_view value);

/// Appends "# HELP" (unless `help` is empty) and "# TYPE" lines of a family.
void AppendFamilyHead(std::string& out, std::string_view name, std::string_view help,
                      prometheus::MetricType type);

/// Appends the line(s) of one sample of family `name`: one for a counter, gauge or untyped value;
/// _count, _sum and the quantiles of a summary; _count, _sum and the buckets of a histogram (with
/// the +Inf bucket added when the last is not +Inf). A timestamp is written when set.
void AppendSample(std::string& out, std::string_view name, prometheus::MetricType type,
                  const prometheus::ClientMetric& sample);

}  // namespace evonic::exporter::text

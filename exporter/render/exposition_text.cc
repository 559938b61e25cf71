#include "exporter/render/exposition_text.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>

namespace evonic::exporter::text {

namespace {

using prometheus::ClientMetric;
using prometheus::MetricType;

template <typename Int>
void AppendInteger(std::string& out, Int value) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  out.append(buf, end);
}

// "name_suffix{labels,extra="..."} " of one line.
template <typename Extra>
void AppendHead(std::string& out, std::string_view name, std::string_view suffix,
                const ClientMetric& sample, std::string_view extra_name, Extra extra_value) {
  out += name;
  out += suffix;
  if (!sample.label.empty() || !extra_name.empty()) {
    char separator = '{';
    for (const ClientMetric::Label& label : sample.label) {
      out += separator;
      out += label.name;
      out += "=\"";
      AppendLabelValue(out, label.value);
      out += '"';
      separator = ',';
    }
    if (!extra_name.empty()) {
      out += separator;
      out += extra_name;
      out += "=\"";
      extra_value(out);
      out += '"';
    }
    out += '}';
  }
  out += ' ';
}

void AppendHead(std::string& out, std::string_view name, std::string_view suffix,
                const ClientMetric& sample) {
  AppendHead(out, name, suffix, sample, {}, [](std::string&) {});
}

void AppendTail(std::string& out, const ClientMetric& sample) {
  if (sample.timestamp_ms != 0) {
    out += ' ';
    AppendInteger(out, sample.timestamp_ms);
  }
  out += '\n';
}

void AppendValueLine(std::string& out, std::string_view name, const ClientMetric& sample,
                     double value) {
  AppendHead(out, name, {}, sample);
  AppendValue(out, value);
  AppendTail(out, sample);
}

// _count and _sum of a summary or histogram.
void AppendCountAndSum(std::string& out, std::string_view name, const ClientMetric& sample,
                       std::uint64_t count, double sum) {
  AppendHead(out, name, "_count", sample);
  AppendInteger(out, count);
  AppendTail(out, sample);
  AppendHead(out, name, "_sum", sample);
  AppendValue(out, sum);
  AppendTail(out, sample);
}

const char* TypeName(MetricType type) {
  switch (type) {
    case MetricType::Counter:
      return "counter";
    case MetricType::Gauge:
      return "gauge";
    case MetricType::Summary:
      return "summary";
    case MetricType::Untyped:
      return "untyped";
    case MetricType::Histogram:
      return "histogram";
  }
  return "untyped";
}

}  // namespace

void AppendValue(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "Nan";
    return;
  }
  if (std::isinf(value)) {
    out += value < 0 ? "-Inf" : "+Inf";
    return;
  }
  // Most values are whole numbers (bytes, counts) below 1e16, which "%.16g" writes as integers;
  // -0 is not one of them ("%.16g" writes "-0").
  if (std::fabs(value) < 1e16 && value == std::trunc(value) &&
      !(value == 0 && std::signbit(value))) {
    AppendInteger(out, static_cast<std::int64_t>(value));
    return;
  }
  // to_chars with a format and precision writes what printf does in the C locale.
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::general, 16);
  out.append(buf, end);
}

void AppendLabelValue(std::string& out, std::string_view value) {
  for (;;) {
    const std::size_t special = value.find_first_of("\\\"\n");
    if (special == std::string_view::npos) {
      out += value;
      return;
    }
    out.append(value.data(), special);
    out += value[special] == '\n' ? "\\n" : value[special] == '"' ? "\\\"" : "\\\\";
    value.remove_prefix(special + 1);
  }
}

void AppendFamilyHead(std::string& out, std::string_view name, std::string_view help,
                      MetricType type) {
  if (!help.empty()) {
    out += "# HELP ";
    out += name;
    out += ' ';
    out += help;
    out += '\n';
  }
  out += "# TYPE ";
  out += name;
  out += ' ';
  out += TypeName(type);
  out += '\n';
}

void AppendSample(std::string& out, std::string_view name, MetricType type,
                  const ClientMetric& sample) {
  switch (type) {
    case MetricType::Counter:
      AppendValueLine(out, name, sample, sample.counter.value);
      return;
    case MetricType::Gauge:
      AppendValueLine(out, name, sample, sample.gauge.value);
      return;
    case MetricType::Untyped:
      AppendValueLine(out, name, sample, sample.untyped.value);
      return;
    case MetricType::Summary:
      AppendCountAndSum(out, name, sample, sample.summary.sample_count, sample.summary.sample_sum);
      for (const ClientMetric::Quantile& q : sample.summary.quantile) {
        AppendHead(out, name, {}, sample, "quantile",
                   [&](std::string& o) { AppendValue(o, q.quantile); });
        AppendValue(out, q.value);
        AppendTail(out, sample);
      }
      return;
    case MetricType::Histogram: {
      const ClientMetric::Histogram& h = sample.histogram;
      AppendCountAndSum(out, name, sample, h.sample_count, h.sample_sum);
      double last = -std::numeric_limits<double>::infinity();
      for (const ClientMetric::Bucket& b : h.bucket) {
        AppendHead(out, name, "_bucket", sample, "le",
                   [&](std::string& o) { AppendValue(o, b.upper_bound); });
        last = b.upper_bound;
        AppendInteger(out, b.cumulative_count);
        AppendTail(out, sample);
      }
      if (last != std::numeric_limits<double>::infinity()) {
        AppendHead(out, name, "_bucket", sample, "le", [](std::string& o) { o += "+Inf"; });
        AppendInteger(out, h.sample_count);
        AppendTail(out, sample);
      }
      return;
    }
  }
}

}  // namespace evonic::exporter::text

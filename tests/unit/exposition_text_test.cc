// The direct text writer against prometheus-cpp's TextSerializer: the same families must give the
// same bytes, whatever the label values and numbers.

#include "exporter/render/exposition_text.h"

#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace evonic::exporter {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

constexpr double kInf = std::numeric_limits<double>::infinity();

// Values whose writing differs between naive formats: fractions with 16 and 17 significant
// digits, whole numbers on both sides of 1e16, doubles above 2^53 and 2^64, -0, the extremes.
const std::vector<double> kValues = {0,
                                     -0.0,
                                     1,
                                     -1,
                                     0.1,
                                     0.150098793,
                                     1.0 / 3,
                                     -2.5,
                                     1e-7,
                                     1e15,
                                     9999999999999998.0,
                                     1e16,
                                     1e17,
                                     12345678901234567.0,
                                     9007199254740993.0,
                                     18446744073709551615.0,
                                     1e20,
                                     1e300,
                                     -1e300,
                                     5e-324,
                                     std::numeric_limits<double>::max(),
                                     std::numeric_limits<double>::quiet_NaN(),
                                     -std::numeric_limits<double>::quiet_NaN(),
                                     kInf,
                                     -kInf,
                                     536870912,
                                     1795697378.994098385};

const std::vector<std::string> kLabelValues = {"",   "plain", "we\"ird\\path\nx", "\\",     "\"",
                                               "\n", "\\n",   "ends with \\",     "ünïcode"};

std::string Reference(const std::vector<MetricFamily>& families) {
  return prometheus::TextSerializer().Serialize(families);
}

// The writer's functions over whole families, as the renderer calls them for each family.
std::string Write(const std::vector<MetricFamily>& families) {
  std::string out;
  for (const MetricFamily& family : families) {
    text::AppendFamilyHead(out, family.name, family.help, family.type);
    for (const ClientMetric& sample : family.metric) {
      text::AppendSample(out, family.name, family.type, sample);
    }
  }
  return out;
}

MetricFamily Family(const char* name, const char* help, MetricType type) {
  MetricFamily f;
  f.name = name;
  f.help = help;
  f.type = type;
  return f;
}

TEST(ExpositionText, ValuesAsTheSerializerWritesThem) {
  std::vector<MetricFamily> families = {Family("g", "a gauge", MetricType::Gauge),
                                        Family("c_total", "a counter", MetricType::Counter),
                                        Family("u", "", MetricType::Untyped)};
  for (double v : kValues) {
    ClientMetric m;
    m.gauge.value = m.counter.value = m.untyped.value = v;
    for (MetricFamily& f : families) f.metric.push_back(m);
  }
  EXPECT_EQ(Write(families), Reference(families));
}

TEST(ExpositionText, LabelValuesEscapedAsTheSerializerDoes) {
  MetricFamily f = Family("evonic_x", "help with \\ and \" kept as they are", MetricType::Gauge);
  for (const std::string& value : kLabelValues) {
    ClientMetric m;
    m.label = {{"agent_id", value}, {"session_id", value + value}};
    m.gauge.value = 1;
    f.metric.push_back(m);
  }
  ClientMetric unlabelled;
  f.metric.push_back(unlabelled);
  EXPECT_EQ(Write({f}), Reference({f}));
  // The escaping itself, not only the agreement.
  std::string out;
  text::AppendLabelValue(out, "we\"ird\\path\nx");
  EXPECT_EQ(out, R"(we\"ird\\path\nx)");
}

TEST(ExpositionText, HistogramsAndSummariesAsTheSerializerWritesThem) {
  MetricFamily h = Family("d_seconds", "a histogram", MetricType::Histogram);
  for (bool with_inf : {true, false}) {
    ClientMetric m;
    m.label = {{"tool", with_inf ? "bash" : "py\"thon"}};
    m.histogram.sample_count = 18446744073709551615u;  // written as an integer, not a double
    m.histogram.sample_sum = 1.25;
    std::uint64_t cumulative = 0;
    for (double bound : {0.05, 0.1, 0.5, 1.0, 2.5, 1e17}) {
      ClientMetric::Bucket b;
      b.upper_bound = bound;
      b.cumulative_count = cumulative += 3;
      m.histogram.bucket.push_back(b);
    }
    if (with_inf) {
      ClientMetric::Bucket b;
      b.upper_bound = kInf;
      b.cumulative_count = cumulative;
      m.histogram.bucket.push_back(b);
    }
    h.metric.push_back(m);
  }
  MetricFamily s = Family("s", "a summary", MetricType::Summary);
  ClientMetric m;
  m.summary.sample_count = 9;
  m.summary.sample_sum = 0.1;
  for (double q : {0.5, 0.99}) {
    ClientMetric::Quantile quantile;
    quantile.quantile = q;
    quantile.value = q / 3;
    m.summary.quantile.push_back(quantile);
  }
  s.metric.push_back(m);
  EXPECT_EQ(Write({h, s}), Reference({h, s}));
}

TEST(ExpositionText, TimestampsAndEmptyFamiliesAsTheSerializerWritesThem) {
  MetricFamily f = Family("t", "stamped", MetricType::Counter);
  ClientMetric m;
  m.counter.value = 2;
  m.timestamp_ms = 1795697400123;
  f.metric.push_back(m);
  MetricFamily empty = Family("e", "no samples", MetricType::Gauge);
  EXPECT_EQ(Write({f, empty}), Reference({f, empty}));
}

}  // namespace
}  // namespace evonic::exporter

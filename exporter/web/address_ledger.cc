#include "exporter/web/address_ledger.h"

#include <algorithm>
#include <vector>

namespace evonic::exporter {

AddressLedger::Admission AddressLedger::Admit(const std::string& address,
                                              std::optional<Ticket>* ticket) {
  const auto now = Clock::now();
  std::lock_guard<std::mutex> lock(mu_);
  auto [it, added] = entries_.try_emplace(address);
  Entry& e = it->second;
  e.last_seen = now;
  if (added || now - e.window_start >= options_.window) {
    e.window_start = now;
    e.failures = 0;
  }
  if (e.failures >= options_.max_failures) return Admission::kAddressThrottled;
  if (e.in_flight >= options_.max_in_flight) return Admission::kAddressBusy;
  ++e.in_flight;
  if (entries_.size() > options_.max_addresses) ForgetIdleLocked();
  ticket->emplace(Ticket(this, address));
  return Admission::kAdmitted;
}

int AddressLedger::RetryAfterSeconds(const std::string& address) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(address);
  if (it == entries_.end()) return 1;
  const auto left = options_.window - (Clock::now() - it->second.window_start);
  return std::max<int>(1, static_cast<int>(std::chrono::ceil<std::chrono::seconds>(left).count()));
}

std::size_t AddressLedger::addresses() const {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_.size();
}

void AddressLedger::End(const std::string& address, bool failed) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(address);
  if (it == entries_.end()) return;
  --it->second.in_flight;
  if (failed) ++it->second.failures;
}

void AddressLedger::ForgetIdleLocked() {
  // The oldest half of the idle entries go: amortised, the scan runs once per many admissions.
  std::vector<std::pair<Clock::time_point, std::string>> idle;
  for (const auto& [address, e] : entries_) {
    if (e.in_flight == 0) idle.emplace_back(e.last_seen, address);
  }
  std::sort(idle.begin(), idle.end());
  const std::size_t drop = std::max<std::size_t>(1, idle.size() / 2);
  for (std::size_t i = 0; i < drop && i < idle.size(); ++i) entries_.erase(idle[i].second);
}

}  // namespace evonic::exporter

#pragma once
// Per client address accounting for password checks, so that one address flooding wrong
// passwords can neither take every bcrypt slot nor keep the CPU busy with them.

#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace evonic::exporter {

/// \brief Bcrypt checks in flight and recent failures, by client address.
///
/// Admit() lets an address start a bcrypt check while it has fewer than `max_in_flight` running
/// (so with two slots, a flood from one address leaves one free for everyone else) and fewer than
/// `max_failures` failures in its current `window`; after that the address is refused without any
/// bcrypt until the window ends. Entries of idle addresses are forgotten beyond `max_addresses`
/// (the oldest first), so the ledger's memory is bounded whatever the number of addresses. The
/// class is thread-safe; a Ticket ends its check when destroyed.
class AddressLedger {
 public:
  using Clock = std::chrono::steady_clock;
  struct Options {
    int max_in_flight = 1;
    int max_failures = 10;
    std::chrono::seconds window{10};
    std::size_t max_addresses = 4096;
  };
  enum class Admission { kAdmitted, kAddressBusy, kAddressThrottled };

  class Ticket {
   public:
    Ticket(Ticket&& other) noexcept
        : ledger_(other.ledger_), address_(std::move(other.address_)), failed_(other.failed_) {
      other.ledger_ = nullptr;
    }
    Ticket(const Ticket&) = delete;
    Ticket& operator=(const Ticket&) = delete;
    Ticket& operator=(Ticket&&) = delete;
    ~Ticket() {
      if (ledger_ != nullptr) ledger_->End(address_, failed_);
    }
    /// The check refused the credentials: counts towards the address's failures.
    void Failed() { failed_ = true; }

   private:
    friend class AddressLedger;
    Ticket(AddressLedger* ledger, std::string address)
        : ledger_(ledger), address_(std::move(address)) {}
    AddressLedger* ledger_;
    std::string address_;
    bool failed_ = false;
  };

  explicit AddressLedger(Options options) : options_(options) {}
  AddressLedger(const AddressLedger&) = delete;
  AddressLedger& operator=(const AddressLedger&) = delete;

  /// kAdmitted and a ticket in `ticket`, or why not (`ticket` is then left empty).
  Admission Admit(const std::string& address, std::optional<Ticket>* ticket);
  /// Seconds until a throttled address may try again (at least 1).
  int RetryAfterSeconds(const std::string& address);
  std::size_t addresses() const;

 private:
  struct Entry {
    int in_flight = 0;
    int failures = 0;
    Clock::time_point window_start{};
    Clock::time_point last_seen{};
  };
  void End(const std::string& address, bool failed);
  void ForgetIdleLocked();

  const Options options_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace evonic::exporter

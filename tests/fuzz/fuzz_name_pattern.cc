// Name rules: NamePattern::Compile on the first line, Match on the rest (up to 1 MiB; run with
// -max_len=1048576), and an IdentityResolver with that rule on the rest as a container name.

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include "collectors/identity/identity.h"
#include "collectors/identity/name_pattern.h"
#include "tests/fuzz/fuzz_input.h"

using namespace evonic;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = fuzz::AsText(data, size);
  const std::size_t newline = text.find('\n');
  const std::string_view pattern = text.substr(0, newline);
  const std::string_view input =
      newline == std::string_view::npos ? std::string_view() : text.substr(newline + 1);
  std::string error;
  std::optional<collectors::NamePattern> compiled =
      collectors::NamePattern::Compile(pattern, &error);
  if (compiled) {
    bool exhausted = false;
    compiled->Match(input, &exhausted);
  }
  // The same rule as an identity rule (it needs a named group "session"), the input as the name
  // and as the values of the identity labels.
  collectors::IdentityResolver::Options options{
      "evonic.agent_id", "evonic.session_id", {std::string(pattern), collectors::kDefaultNameRule}};
  std::optional<collectors::IdentityResolver> resolver =
      collectors::IdentityResolver::Create(options, &error);
  if (!resolver) {
    options.name_rules = {collectors::kDefaultNameRule};
    resolver = collectors::IdentityResolver::Create(options, &error);
  }
  if (resolver) {
    const std::string name(input);
    resolver->Resolve(name, {});
    const std::size_t half = name.size() / 2;
    resolver->Resolve(name, {{"evonic.agent_id", name.substr(0, half)},
                             {"evonic.session_id", name.substr(half)}});
    resolver->Resolve(name, {{"evonic.session_id", name}});
  }
  return 0;
}

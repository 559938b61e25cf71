#include "collectors/identity/name_pattern.h"

namespace evonic::collectors {

std::optional<NamePattern::Captures> NamePattern::Match(std::string_view input,
                                                        bool* exhausted) const {
  if (exhausted != nullptr) *exhausted = false;
  const std::size_t n = input.size();
  const std::size_t slots_count = 2 * (static_cast<std::size_t>(group_count_) + 1);
  std::vector<long> slots(slots_count, -1);
  // A branch to try (pc >= 0), or a capture slot to restore on the way back (pc < 0).
  struct Entry {
    int pc;
    long value;  // the position (branch) or the old slot value (restore)
    int slot;
  };
  std::vector<Entry> stack;
  stack.push_back({0, 0, 0});
  // Without back references, whether (pc, pos) can lead to a match does not depend on captures:
  // each pair is tried once.
  std::vector<bool> visited;
  if (!has_backrefs_) visited.assign(program_.size() * (n + 1), false);
  std::size_t steps = 0;
  while (!stack.empty()) {
    Entry e = stack.back();
    stack.pop_back();
    if (e.pc < 0) {
      slots[static_cast<std::size_t>(e.slot)] = e.value;
      continue;
    }
    int pc = e.pc;
    std::size_t pos = static_cast<std::size_t>(e.value);
    for (;;) {
      if (++steps > kStepBudget) {
        if (exhausted != nullptr) *exhausted = true;
        return std::nullopt;
      }
      if (!has_backrefs_) {
        const std::size_t key = static_cast<std::size_t>(pc) * (n + 1) + pos;
        if (visited[key]) break;
        visited[key] = true;
      }
      const name_pattern_detail::Inst& in = program_[static_cast<std::size_t>(pc)];
      bool ok = true;
      using name_pattern_detail::Op;
      switch (in.op) {
        case Op::kChar:
          ok = pos < n && static_cast<unsigned char>(input[pos]) == in.c;
          ++pos, ++pc;
          break;
        case Op::kAny:
          ok = pos < n && input[pos] != '\n' && input[pos] != '\r';
          ++pos, ++pc;
          break;
        case Op::kClass:
          ok = pos < n &&
               classes_[static_cast<std::size_t>(in.x)].Has(static_cast<unsigned char>(input[pos]));
          ++pos, ++pc;
          break;
        case Op::kSplit:
          stack.push_back({in.y, static_cast<long>(pos), 0});
          pc = in.x;
          break;
        case Op::kJump:
          pc = in.x;
          break;
        case Op::kSave:
          stack.push_back({-1, slots[static_cast<std::size_t>(in.x)], in.x});
          slots[static_cast<std::size_t>(in.x)] = static_cast<long>(pos);
          ++pc;
          break;
        case Op::kBegin:
          ok = pos == 0;
          ++pc;
          break;
        case Op::kEnd:
          ok = pos == n;
          ++pc;
          break;
        case Op::kBackref: {
          const long b = slots[2 * static_cast<std::size_t>(in.x)];
          const long end = slots[2 * static_cast<std::size_t>(in.x) + 1];
          if (b >= 0 && end >= b) {  // an unset group matches the empty string
            const std::size_t len = static_cast<std::size_t>(end - b);
            ok = n - pos >= len && input.substr(pos, len) == input.substr(b, len);
            pos += ok ? len : 0;
          }
          ++pc;
          break;
        }
        case Op::kMatch: {
          if (pos != n) {
            ok = false;
            break;
          }
          Captures out(static_cast<std::size_t>(group_count_) + 1);
          for (std::size_t g = 0; g < out.size(); ++g) {
            const long b = slots[2 * g], end = slots[2 * g + 1];
            if (b >= 0 && end >= b) {
              out[g] = input.substr(static_cast<std::size_t>(b), static_cast<std::size_t>(end - b));
            }
          }
          return out;
        }
      }
      if (!ok) break;
    }
  }
  return std::nullopt;
}

}  // namespace evonic::collectors

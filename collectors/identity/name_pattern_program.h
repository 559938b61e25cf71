#pragma once
// Internals of NamePattern shared by its parser, its emitter and its matcher: the syntax tree and
// the compiled program. Not for use outside collectors/identity/name_pattern*.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace evonic::collectors::name_pattern_detail {

inline constexpr int kMaxDepth = 64;               // nested groups
inline constexpr int kMaxRepeat = 1000;            // {n,m} bounds
inline constexpr std::size_t kMaxProgram = 20000;  // instructions after expanding {n,m}
inline constexpr int kMaxGroups = 99;

enum class Op : std::uint8_t {
  kChar,
  kAny,
  kClass,
  kSplit,
  kJump,
  kSave,
  kBegin,
  kEnd,
  kBackref,
  kMatch
};

/// One instruction of the backtracking program.
struct Inst {
  Op op = Op::kMatch;
  unsigned char c = 0;
  int x = 0;  // kSplit/kJump: first target; kSave: slot; kClass: class index; kBackref: group
  int y = 0;  // kSplit: second target
};

/// A set of bytes.
struct CharClass {
  std::uint64_t bits[4] = {0, 0, 0, 0};
  bool Has(unsigned char c) const { return (bits[c >> 6] >> (c & 63)) & 1u; }
  void Add(unsigned char c) { bits[c >> 6] |= std::uint64_t{1} << (c & 63); }
};

/// The parsed pattern.
struct Node {
  enum class Kind {
    kEmpty,
    kChar,
    kAny,
    kClass,
    kCat,
    kAlt,
    kRepeat,
    kGroup,
    kBegin,
    kEnd,
    kBackref
  };
  Kind kind = Kind::kEmpty;
  unsigned char c = 0;
  int index = 0;         // class index, group number (kGroup: -1 for non-capturing), back reference
  int min = 0, max = 0;  // kRepeat; max -1: unbounded
  bool greedy = true;
  std::vector<Node> kids;
};

/// Appends the program for `root` (whole-match captures, then kMatch) to `program`; false when it
/// would exceed kMaxProgram instructions.
bool EmitProgram(const Node& root, std::vector<Inst>* program);

}  // namespace evonic::collectors::name_pattern_detail

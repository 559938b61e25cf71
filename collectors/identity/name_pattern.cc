#include "collectors/identity/name_pattern.h"

#include <memory>
#include <utility>

namespace evonic::collectors {

namespace {

constexpr int kMaxDepth = 64;               // nested groups
constexpr int kMaxRepeat = 1000;            // {n,m} bounds
constexpr std::size_t kMaxProgram = 20000;  // instructions after expanding {n,m}
constexpr int kMaxGroups = 99;

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

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

/// Parses a pattern into Nodes, then emits NamePattern's program. Operator input: recursion over
/// the pattern's nesting is bounded by kMaxDepth.
class NamePatternCompiler {
 public:
  NamePatternCompiler(std::string_view pattern, NamePattern& out) : p_(pattern), out_(out) {}

  bool Run(std::string* error) {
    Node root;
    if (!ParseAlt(root, 0)) {
      *error = error_;
      return false;
    }
    if (i_ < p_.size()) {
      *error = "unmatched ')' at offset " + std::to_string(i_);
      return false;
    }
    for (const auto& [name, number] : pending_refs_) {
      if (number > out_.group_count_) {
        *error = "back reference \\" + std::to_string(number) + " to a group that does not exist";
        return false;
      }
    }
    // Group 0 is the whole match.
    Emit({NamePattern::Op::kSave, 0, 0, 0});
    if (!EmitNode(root)) {
      *error = "pattern too large once its repetitions are expanded";
      return false;
    }
    Emit({NamePattern::Op::kSave, 0, 1, 0});
    Emit({NamePattern::Op::kMatch, 0, 0, 0});
    if (out_.program_.size() > kMaxProgram) {
      *error = "pattern too large once its repetitions are expanded";
      return false;
    }
    return true;
  }

 private:
  bool Fail(const std::string& why) {
    error_ = why + " at offset " + std::to_string(i_);
    return false;
  }
  bool More() const { return i_ < p_.size(); }
  char Peek() const { return p_[i_]; }

  bool ParseAlt(Node& out, int depth) {
    if (depth > kMaxDepth) return Fail("groups nested too deeply");
    Node alt;
    alt.kind = Node::Kind::kAlt;
    for (;;) {
      Node cat;
      cat.kind = Node::Kind::kCat;
      while (More() && Peek() != '|' && Peek() != ')') {
        if (!ParseRepeat(cat, depth)) return false;
      }
      alt.kids.push_back(std::move(cat));
      if (!More() || Peek() != '|') break;
      ++i_;
    }
    out = alt.kids.size() == 1 ? std::move(alt.kids[0]) : std::move(alt);
    return true;
  }

  bool ParseNumber(int* n) {
    if (!More() || !IsDigit(Peek())) return false;
    long v = 0;
    while (More() && IsDigit(Peek())) {
      v = v * 10 + (Peek() - '0');
      if (v > kMaxRepeat) return Fail("repetition count above " + std::to_string(kMaxRepeat));
      ++i_;
    }
    *n = static_cast<int>(v);
    return true;
  }

  bool ParseRepeat(Node& cat, int depth) {
    Node atom;
    if (!ParseAtom(atom, depth)) return false;
    if (More() && (Peek() == '*' || Peek() == '+' || Peek() == '?' || Peek() == '{')) {
      if (atom.kind == Node::Kind::kBegin || atom.kind == Node::Kind::kEnd) {
        return Fail("nothing to repeat");
      }
      Node rep;
      rep.kind = Node::Kind::kRepeat;
      const char q = p_[i_++];
      if (q == '*') {
        rep.min = 0, rep.max = -1;
      } else if (q == '+') {
        rep.min = 1, rep.max = -1;
      } else if (q == '?') {
        rep.min = 0, rep.max = 1;
      } else {
        if (!ParseNumber(&rep.min))
          return error_.empty() ? Fail("expected a count after '{'") : false;
        rep.max = rep.min;
        if (More() && Peek() == ',') {
          ++i_;
          rep.max = -1;
          if (More() && IsDigit(Peek()) && !ParseNumber(&rep.max)) return false;
        }
        if (!More() || Peek() != '}') return Fail("expected '}'");
        ++i_;
        if (rep.max != -1 && rep.max < rep.min) return Fail("{n,m} with m below n");
      }
      if (More() && Peek() == '?') {
        rep.greedy = false;
        ++i_;
      }
      if (More() && (Peek() == '*' || Peek() == '+' || Peek() == '?' || Peek() == '{')) {
        return Fail("nothing to repeat");
      }
      rep.kids.push_back(std::move(atom));
      atom = std::move(rep);
    }
    cat.kids.push_back(std::move(atom));
    return true;
  }

  bool ParseGroup(Node& out, int depth) {
    ++i_;  // '('
    out.kind = Node::Kind::kGroup;
    out.index = -1;
    if (More() && Peek() == '?') {
      ++i_;
      if (More() && Peek() == ':') {
        ++i_;
      } else if (More() && Peek() == '<' && i_ + 1 < p_.size() && p_[i_ + 1] != '=' &&
                 p_[i_ + 1] != '!') {
        const std::size_t close = p_.find('>', i_);
        if (close == std::string_view::npos) return Fail("unterminated group name");
        std::string name(p_.substr(i_ + 1, close - i_ - 1));
        if (name.empty() || out_.groups_.count(name)) {
          return Fail("empty or repeated group name '" + name + "'");
        }
        if (out_.group_count_ >= kMaxGroups) return Fail("too many groups");
        out.index = ++out_.group_count_;
        out_.groups_[name] = out.index;
        i_ = close + 1;
      } else {
        return Fail("lookarounds and other (? groups are not supported");
      }
    } else {
      if (out_.group_count_ >= kMaxGroups) return Fail("too many groups");
      out.index = ++out_.group_count_;
    }
    Node body;
    if (!ParseAlt(body, depth + 1)) return false;
    if (!More() || Peek() != ')') return Fail("missing ')'");
    ++i_;
    out.kids.push_back(std::move(body));
    return true;
  }

  // \d \w \s (and upper case: negated) into `cls`; false for other letters.
  static bool AddShorthand(char e, NamePattern::CharClass& cls) {
    NamePattern::CharClass set;
    const char lower = static_cast<char>(e | 0x20);
    for (int c = 0; c < 256; ++c) {
      const bool digit = c >= '0' && c <= '9';
      const bool word = digit || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
      const bool space = c == ' ' || (c >= '\t' && c <= '\r');
      const bool in = lower == 'd' ? digit : lower == 'w' ? word : space;
      if (in != (e != lower)) set.Add(static_cast<unsigned char>(c));
    }
    if (lower != 'd' && lower != 'w' && lower != 's') return false;
    for (int w = 0; w < 4; ++w) cls.bits[w] |= set.bits[w];
    return true;
  }

  // An escaped character as a literal: \t \n \r \f \v, or punctuation as itself.
  bool EscapedLiteral(char e, unsigned char* c) {
    switch (e) {
      case 't':
        *c = '\t';
        return true;
      case 'n':
        *c = '\n';
        return true;
      case 'r':
        *c = '\r';
        return true;
      case 'f':
        *c = '\f';
        return true;
      case 'v':
        *c = '\v';
        return true;
      default:
        break;
    }
    const bool alnum = IsDigit(e) || (e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z');
    if (alnum) return Fail(std::string("unsupported escape \\") + e);
    *c = static_cast<unsigned char>(e);
    return true;
  }

  bool ParseClass(Node& out) {
    ++i_;  // '['
    NamePattern::CharClass cls;
    bool negate = false;
    if (More() && Peek() == '^') {
      negate = true;
      ++i_;
    }
    while (More() && Peek() != ']') {  // ECMAScript: [] is an empty class
      unsigned char lo = 0;
      if (Peek() == '\\') {
        if (i_ + 1 >= p_.size()) return Fail("pattern ends in '\\'");
        const char e = p_[i_ + 1];
        i_ += 2;
        if (AddShorthand(e, cls)) continue;
        if (e == 'b') {
          lo = '\b';
        } else if (!EscapedLiteral(e, &lo)) {
          return false;
        }
      } else {
        lo = static_cast<unsigned char>(p_[i_++]);
      }
      unsigned char hi = lo;
      if (i_ + 1 < p_.size() && Peek() == '-' && p_[i_ + 1] != ']') {
        ++i_;
        if (Peek() == '\\') {
          if (i_ + 1 >= p_.size()) return Fail("pattern ends in '\\'");
          const char e = p_[i_ + 1];
          i_ += 2;
          if (!EscapedLiteral(e, &hi)) return false;
        } else {
          hi = static_cast<unsigned char>(p_[i_++]);
        }
        if (hi < lo) return Fail("range out of order in a class");
      }
      for (int c = lo; c <= hi; ++c) cls.Add(static_cast<unsigned char>(c));
    }
    if (!More()) return Fail("missing ']'");
    ++i_;
    if (negate) {
      for (auto& w : cls.bits) w = ~w;
    }
    out.kind = Node::Kind::kClass;
    out.index = static_cast<int>(out_.classes_.size());
    out_.classes_.push_back(cls);
    return true;
  }

  bool ParseAtom(Node& out, int depth) {
    const char c = Peek();
    switch (c) {
      case '(':
        return ParseGroup(out, depth);
      case '[':
        return ParseClass(out);
      case '.':
        ++i_;
        out.kind = Node::Kind::kAny;
        return true;
      case '^':
        ++i_;
        out.kind = Node::Kind::kBegin;
        return true;
      case '$':
        ++i_;
        out.kind = Node::Kind::kEnd;
        return true;
      case '*':
      case '+':
      case '?':
      case '{':
        return Fail("nothing to repeat");
      case '\\':
        return ParseEscape(out);
      default:
        ++i_;
        out.kind = Node::Kind::kChar;
        out.c = static_cast<unsigned char>(c);
        return true;
    }
  }

  bool ParseEscape(Node& out) {
    if (i_ + 1 >= p_.size()) return Fail("pattern ends in '\\'");
    const char e = p_[i_ + 1];
    i_ += 2;
    if (e == 'k') {
      const std::size_t close = p_.find('>', i_);
      if (!More() || Peek() != '<' || close == std::string_view::npos) {
        return Fail("malformed \\k<name> reference");
      }
      const std::string name(p_.substr(i_ + 1, close - i_ - 1));
      auto it = out_.groups_.find(name);
      if (it == out_.groups_.end()) return Fail("\\k<" + name + "> refers to no earlier group");
      i_ = close + 1;
      out.kind = Node::Kind::kBackref;
      out.index = it->second;
      out_.has_backrefs_ = true;
      return true;
    }
    if (e >= '1' && e <= '9') {
      out.kind = Node::Kind::kBackref;
      out.index = e - '0';
      out_.has_backrefs_ = true;
      pending_refs_.emplace_back("", out.index);
      return true;
    }
    if (e == 'b' || e == 'B') return Fail("word boundaries are not supported");
    NamePattern::CharClass cls;
    if (AddShorthand(e, cls)) {
      out.kind = Node::Kind::kClass;
      out.index = static_cast<int>(out_.classes_.size());
      out_.classes_.push_back(cls);
      return true;
    }
    out.kind = Node::Kind::kChar;
    return EscapedLiteral(e, &out.c);
  }

  int Here() const { return static_cast<int>(out_.program_.size()); }
  int Emit(NamePattern::Inst inst) {
    out_.program_.push_back(inst);
    return Here() - 1;
  }

  bool EmitNode(const Node& n) {
    using Op = NamePattern::Op;
    if (out_.program_.size() > kMaxProgram) return false;
    switch (n.kind) {
      case Node::Kind::kEmpty:
        return true;
      case Node::Kind::kChar:
        Emit({Op::kChar, n.c, 0, 0});
        return true;
      case Node::Kind::kAny:
        Emit({Op::kAny, 0, 0, 0});
        return true;
      case Node::Kind::kClass:
        Emit({Op::kClass, 0, n.index, 0});
        return true;
      case Node::Kind::kBegin:
        Emit({Op::kBegin, 0, 0, 0});
        return true;
      case Node::Kind::kEnd:
        Emit({Op::kEnd, 0, 0, 0});
        return true;
      case Node::Kind::kBackref:
        Emit({Op::kBackref, 0, n.index, 0});
        return true;
      case Node::Kind::kCat:
        for (const Node& k : n.kids) {
          if (!EmitNode(k)) return false;
        }
        return true;
      case Node::Kind::kGroup:
        if (n.index > 0) Emit({Op::kSave, 0, 2 * n.index, 0});
        if (!EmitNode(n.kids[0])) return false;
        if (n.index > 0) Emit({Op::kSave, 0, 2 * n.index + 1, 0});
        return true;
      case Node::Kind::kAlt: {
        std::vector<int> jumps;
        for (std::size_t k = 0; k < n.kids.size(); ++k) {
          int split = -1;
          if (k + 1 < n.kids.size()) split = Emit({Op::kSplit, 0, 0, 0});
          if (split >= 0) out_.program_[split].x = Here();
          if (!EmitNode(n.kids[k])) return false;
          if (split >= 0) {
            jumps.push_back(Emit({Op::kJump, 0, 0, 0}));
            out_.program_[split].y = Here();
          }
        }
        for (int j : jumps) out_.program_[j].x = Here();
        return true;
      }
      case Node::Kind::kRepeat:
        return EmitRepeat(n);
    }
    return false;
  }

  bool EmitRepeat(const Node& n) {
    using Op = NamePattern::Op;
    const Node& body = n.kids[0];
    for (int k = 0; k < n.min; ++k) {
      if (!EmitNode(body)) return false;
    }
    // A split tries its first target first: the body when greedy, what follows when lazy.
    auto split_to = [&](int split, int into_body, int past) {
      out_.program_[split].x = n.greedy ? into_body : past;
      out_.program_[split].y = n.greedy ? past : into_body;
    };
    if (n.max == -1) {
      const int split = Emit({Op::kSplit, 0, 0, 0});
      if (!EmitNode(body)) return false;
      Emit({Op::kJump, 0, split, 0});
      split_to(split, split + 1, Here());
      return true;
    }
    std::vector<int> splits;
    for (int k = n.min; k < n.max; ++k) {
      splits.push_back(Emit({Op::kSplit, 0, 0, 0}));
      if (!EmitNode(body)) return false;
    }
    for (int s : splits) split_to(s, s + 1, Here());
    return true;
  }

  std::string_view p_;
  NamePattern& out_;
  std::size_t i_ = 0;
  std::string error_;
  std::vector<std::pair<std::string, int>> pending_refs_;  // \N, checked once all groups exist
};

std::optional<NamePattern> NamePattern::Compile(std::string_view pattern, std::string* error) {
  NamePattern out;
  NamePatternCompiler compiler(pattern, out);
  if (!compiler.Run(error)) return std::nullopt;
  return out;
}

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
      const Inst& in = program_[static_cast<std::size_t>(pc)];
      bool ok = true;
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

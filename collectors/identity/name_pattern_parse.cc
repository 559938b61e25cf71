#include <utility>

#include "collectors/identity/name_pattern.h"

namespace evonic::collectors {

using name_pattern_detail::CharClass;
using name_pattern_detail::kMaxDepth;
using name_pattern_detail::kMaxGroups;
using name_pattern_detail::kMaxRepeat;
using name_pattern_detail::Node;

namespace {
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
}  // namespace

/// Parses a pattern into Nodes, then has EmitProgram make NamePattern's program. Operator input:
/// recursion over the pattern's nesting is bounded by kMaxDepth.
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
    for (int number : pending_refs_) {
      if (number > out_.group_count_) {
        *error = "back reference \\" + std::to_string(number) + " to a group that does not exist";
        return false;
      }
    }
    if (!name_pattern_detail::EmitProgram(root, &out_.program_)) {
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
  static bool AddShorthand(char e, CharClass& cls) {
    CharClass set;
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
    CharClass cls;
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
      pending_refs_.push_back(out.index);
      return true;
    }
    if (e == 'b' || e == 'B') return Fail("word boundaries are not supported");
    CharClass cls;
    if (AddShorthand(e, cls)) {
      out.kind = Node::Kind::kClass;
      out.index = static_cast<int>(out_.classes_.size());
      out_.classes_.push_back(cls);
      return true;
    }
    out.kind = Node::Kind::kChar;
    return EscapedLiteral(e, &out.c);
  }

  std::string_view p_;
  NamePattern& out_;
  std::size_t i_ = 0;
  std::string error_;
  std::vector<int> pending_refs_;  // \N, checked once all groups exist
};

std::optional<NamePattern> NamePattern::Compile(std::string_view pattern, std::string* error) {
  NamePattern out;
  NamePatternCompiler compiler(pattern, out);
  if (!compiler.Run(error)) return std::nullopt;
  return out;
}

}  // namespace evonic::collectors

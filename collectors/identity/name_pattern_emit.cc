#include "collectors/identity/name_pattern_program.h"

namespace evonic::collectors::name_pattern_detail {

namespace {

/// Emits instructions for a syntax tree, one node at a time.
class Emitter {
 public:
  explicit Emitter(std::vector<Inst>& program) : program_(program) {}

  int Here() const { return static_cast<int>(program_.size()); }
  int Emit(Inst inst) {
    program_.push_back(inst);
    return Here() - 1;
  }

  bool EmitNode(const Node& n) {
    if (program_.size() > kMaxProgram) return false;
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
          if (split >= 0) program_[split].x = Here();
          if (!EmitNode(n.kids[k])) return false;
          if (split >= 0) {
            jumps.push_back(Emit({Op::kJump, 0, 0, 0}));
            program_[split].y = Here();
          }
        }
        for (int j : jumps) program_[j].x = Here();
        return true;
      }
      case Node::Kind::kRepeat:
        return EmitRepeat(n);
    }
    return false;
  }

  bool EmitRepeat(const Node& n) {
    const Node& body = n.kids[0];
    for (int k = 0; k < n.min; ++k) {
      if (!EmitNode(body)) return false;
    }
    // A split tries its first target first: the body when greedy, what follows when lazy.
    auto split_to = [&](int split, int into_body, int past) {
      program_[split].x = n.greedy ? into_body : past;
      program_[split].y = n.greedy ? past : into_body;
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

 private:
  std::vector<Inst>& program_;
};

}  // namespace

bool EmitProgram(const Node& root, std::vector<Inst>* program) {
  Emitter emit(*program);
  // Group 0 is the whole match.
  emit.Emit({Op::kSave, 0, 0, 0});
  if (!emit.EmitNode(root)) return false;
  emit.Emit({Op::kSave, 0, 1, 0});
  emit.Emit({Op::kMatch, 0, 0, 0});
  return program->size() <= kMaxProgram;
}

}  // namespace evonic::collectors::name_pattern_detail

// LiteralSet (the field prefilter's literal matcher) against the plain string tests it stands
// for, on fixed cases and on random texts and literals over a small alphabet.
#include "detect/ir/literal_set.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

namespace sentinel::detect {
namespace {

using Op = LiteralSet::Op;

bool naive(Op op, const std::string& lit, const std::string& text) {
  switch (op) {
    case Op::kEq:
      return text == lit;
    case Op::kStartsWith:
      return text.rfind(lit, 0) == 0;
    case Op::kEndsWith:
      return text.size() >= lit.size() &&
             text.compare(text.size() - lit.size(), lit.size(), lit) == 0;
    case Op::kContains:
      return text.find(lit) != std::string::npos;
  }
  return false;
}

std::vector<uint32_t> run(const LiteralSet& s, const std::string& text) {
  std::vector<uint32_t> out;
  s.match(text, &out);
  std::sort(out.begin(), out.end());
  return out;
}

TEST(LiteralSet, EachOperator) {
  LiteralSet s;
  EXPECT_EQ(s.add(Op::kContains, "scanner-1"), 0u);
  EXPECT_EQ(s.add(Op::kContains, "scanner-12"), 1u);
  EXPECT_EQ(s.add(Op::kStartsWith, "aws-cli/"), 2u);
  EXPECT_EQ(s.add(Op::kEndsWith, ".onion"), 3u);
  EXPECT_EQ(s.add(Op::kEq, "kali"), 4u);
  EXPECT_EQ(s.add(Op::kContains, "k"), 5u);  // one byte
  EXPECT_EQ(s.add(Op::kContains, ""), 6u);   // empty: everything contains it
  EXPECT_EQ(run(s, "x scanner-12 y"), (std::vector<uint32_t>{0, 1, 6}));
  EXPECT_EQ(run(s, "aws-cli/2.15 scanner-1"), (std::vector<uint32_t>{0, 2, 6}));
  EXPECT_EQ(run(s, "abc.onion"), (std::vector<uint32_t>{3, 6}));
  EXPECT_EQ(run(s, "kali"), (std::vector<uint32_t>{4, 5, 6}));
  EXPECT_EQ(run(s, ""), (std::vector<uint32_t>{6}));
  // A literal at the very end, and one longer than the rest of the text.
  EXPECT_EQ(run(s, "zzscanner-1"), (std::vector<uint32_t>{0, 6}));
  EXPECT_EQ(run(s, "scanner-"), (std::vector<uint32_t>{6}));
  // Reported once even when it occurs twice.
  EXPECT_EQ(run(s, "scanner-1 scanner-1"), (std::vector<uint32_t>{0, 6}));
}

TEST(LiteralSet, AgreesWithPlainStringTestsOnRandomInput) {
  std::mt19937_64 rng(3);
  auto word = [&](std::size_t max) {
    std::string w(rng() % (max + 1), ' ');
    for (char& c : w) c = "ab\xff-"[rng() % 4];
    return w;
  };
  for (int round = 0; round < 200; ++round) {
    LiteralSet s;
    std::vector<std::pair<Op, std::string>> lits;
    for (int i = 0; i < 12; ++i) {
      Op op = static_cast<Op>(rng() % 4);
      lits.emplace_back(op, word(4));
      s.add(op, lits.back().second);
    }
    for (int t = 0; t < 20; ++t) {
      std::string text = word(12);
      std::vector<uint32_t> want;
      for (uint32_t i = 0; i < lits.size(); ++i) {
        if (naive(lits[i].first, lits[i].second, text)) want.push_back(i);
      }
      EXPECT_EQ(run(s, text), want) << "text '" << text << "'";
    }
  }
}

}  // namespace
}  // namespace sentinel::detect

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

std::string lowered(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  }
  return s;
}

// Literals that share a long prefix (thirty "scanner-N"), one that is the prefix itself, and
// texts ending inside or right after it: the shared prefix is compared once per candidate.
TEST(LiteralSet, LiteralsSharingAPrefix) {
  LiteralSet s;
  for (int i = 0; i < 30; ++i)
    s.add(Op::kContains, std::string("scanner-").append(std::to_string(i)));
  const uint32_t bare = s.add(Op::kContains, "scanner-");
  const uint32_t sc = s.add(Op::kContains, "sc");
  EXPECT_EQ(run(s, "x scanner-12 y"), (std::vector<uint32_t>{1, 12, bare, sc}));
  EXPECT_EQ(run(s, "scanner-"), (std::vector<uint32_t>{bare, sc}));
  EXPECT_EQ(run(s, "scanner-2"), (std::vector<uint32_t>{2, bare, sc}));
  EXPECT_EQ(run(s, "scanner"), (std::vector<uint32_t>{sc}));
  EXPECT_EQ(run(s, "scanner-29scanner-3"), (std::vector<uint32_t>{2, 3, 29, bare, sc}));
  EXPECT_EQ(run(s, "SCANNER-1"), (std::vector<uint32_t>{}));  // not folded
}

// A folding set matches as a plain set would on the lowered text, for every operator, with
// letters of either case, non-letters next to letters in ASCII (0x40 '@', 0x5b '[', 0x60 '`',
// 0x7b '{': equal to a letter once 0x20 is set), bytes above 0x7f, and literals given with an
// uppercase letter (never matched), on the SIMD path (few bigrams) and the scalar one (many).
TEST(LiteralSet, FoldingAgreesWithALoweredText) {
  std::mt19937_64 rng(7);
  const std::string alphabet = "aAbBsS@[`{-\xc1\xe1";
  auto word = [&](std::size_t min, std::size_t max) {
    std::string w(min + rng() % (max - min + 1), ' ');
    for (char& c : w) c = alphabet[rng() % alphabet.size()];
    return w;
  };
  for (int round = 0; round < 400; ++round) {
    LiteralSet folding(true);
    LiteralSet plain;
    std::vector<std::pair<Op, std::string>> lits;
    const int count = round % 2 == 0 ? 3 : 24;  // few bigrams (SSE2) or many (scalar)
    for (int i = 0; i < count; ++i) {
      const Op op = static_cast<Op>(rng() % 4);
      std::string lit = word(0, 5);
      if (rng() % 4 != 0) lit = lowered(lit);  // mostly lowercased, as the rules give them
      lits.emplace_back(op, lit);
      folding.add(op, lit);
      plain.add(op, lit);
    }
    EXPECT_TRUE(folding.fold_case());
    for (int t = 0; t < 25; ++t) {
      const std::string text = word(0, 40);
      std::vector<uint32_t> want;
      for (uint32_t i = 0; i < lits.size(); ++i) {
        if (naive(lits[i].first, lits[i].second, lowered(text))) want.push_back(i);
      }
      EXPECT_EQ(run(folding, text), want) << "text '" << text << "'";
      EXPECT_EQ(run(plain, lowered(text)), want) << "text '" << text << "'";
    }
  }
}

TEST(LiteralSet, FoldingScannerAgents) {
  LiteralSet s(true);
  for (int i = 0; i < 30; ++i)
    s.add(Op::kContains, std::string("scanner-").append(std::to_string(i)));
  EXPECT_EQ(run(s, "Mozilla/5.0 SCANNER-7 (X11)"), (std::vector<uint32_t>{7}));
  EXPECT_EQ(run(s, "Mozilla/5.0 ScAnNeR-17"), (std::vector<uint32_t>{1, 17}));
  EXPECT_EQ(run(s, "aws-cli/2.15.0 Python/3.11.6 Linux/6.1 exe/x86_64.debian.12"),
            (std::vector<uint32_t>{}));
  // At every offset of a text longer than one SIMD block.
  for (std::size_t at = 0; at < 40; ++at) {
    std::string text(40, 'x');
    text.insert(at, "sCaNnEr-29");
    EXPECT_EQ(run(s, text), (std::vector<uint32_t>{2, 29})) << at;
  }
}

}  // namespace
}  // namespace sentinel::detect

#include "detect/engine.h"

#include <re2/re2.h>
#include <re2/set.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <map>
#include <tuple>

#include "detect/functions/registry.h"
#include "detect/ir/optimize.h"
#include "detect/state/operator_base.h"
#include "ingest/parsers/cloudtrail/cloudtrail.h"

namespace sentinel::detect {

namespace {

// Binds `fn:` comparisons to the registry's functions; false with *error naming the function.
bool bind_functions(Predicate* p, const FunctionRegistry& reg, std::string* error) {
  for (auto& c : p->children) {
    if (!bind_functions(&c, reg, error)) return false;
  }
  if (p->kind == Predicate::Kind::kCompare && p->field.text.rfind("fn:", 0) == 0) {
    const std::string name = p->field.text.substr(3);
    if (!reg.check_call(name, p->args.size(), error)) return false;
    p->function = reg.find(name);
    p->list.clear();
  }
  return true;
}

// Interns the JSON paths that `p`'s comparisons read (not functions' arguments: the functions
// read them from the record's root).
void engine_intern_paths(Predicate* p, PathMemo* paths) {
  for (auto& c : p->children) engine_intern_paths(&c, paths);
  if (p->kind == Predicate::Kind::kCompare && p->function == nullptr) paths->intern(&p->field);
}

// A comparison the eventName index decides: `eventName` equal to one of some strings (plain,
// not negated, no function, list or `all`).
bool is_name_equality(const Predicate& c) {
  return c.kind == Predicate::Kind::kCompare && c.op == CmpOp::kEq && !c.negate &&
         !c.all_patterns && c.function == nullptr && c.list.empty() && !c.strings.empty() &&
         c.field.source == FieldRef::Source::kJsonPath && c.field.ct_field == 0;
}

// The first top-level conjunct of `p` that a literal prefilter can stand for: a plain string
// comparison of one field (no function, negation, `all`, numbers or lists).
const Predicate* prefilter_conjunct(const Predicate& p) {
  auto usable = [](const Predicate& c) {
    if (c.kind != Predicate::Kind::kCompare || c.function != nullptr || c.negate ||
        c.all_patterns || c.strings.empty() || c.field.text.rfind("fn:", 0) == 0) {
      return false;
    }
    switch (c.op) {
      case CmpOp::kContains:
      case CmpOp::kStartsWith:
      case CmpOp::kEndsWith:
      case CmpOp::kGlob:
        return true;
      case CmpOp::kEq:
        for (double d : c.numbers) {
          if (d == d) return false;  // a number: compared as a number, not as text
        }
        return true;
      default:
        return false;
    }
  };
  if (usable(p)) return &p;
  if (p.kind == Predicate::Kind::kAnd) {
    for (const auto& c : p.children) {
      if (usable(c)) return &c;
    }
  }
  return nullptr;
}

// The first top-level conjunct of `p` that requires a field to equal one of some numbers.
const Predicate* number_conjunct(const Predicate& p) {
  auto usable = [](const Predicate& c) {
    if (c.kind != Predicate::Kind::kCompare || c.op != CmpOp::kEq || c.function != nullptr ||
        c.negate || c.all_patterns || c.numbers.empty() ||
        c.field.source == FieldRef::Source::kMeta || c.field.text.rfind("fn:", 0) == 0) {
      return false;
    }
    for (double d : c.numbers) {
      if (d != d) return false;  // a pattern that is not a number
    }
    return true;
  };
  if (usable(p)) return &p;
  if (p.kind == Predicate::Kind::kAnd) {
    for (const auto& c : p.children) {
      if (usable(c)) return &c;
    }
  }
  return nullptr;
}

// The RE2 pattern that matches where the comparison's pattern `s` matches.
std::string literal_regex(CmpOp op, const std::string& s) {
  if (op == CmpOp::kGlob) {
    std::string re = "^";
    for (std::size_t i = 0; i < s.size(); ++i) {
      char c = s[i];
      if (c == '\\' && i + 1 < s.size() &&
          (s[i + 1] == '*' || s[i + 1] == '?' || s[i + 1] == '\\')) {
        re += RE2::QuoteMeta(std::string(1, s[++i]));
      } else if (c == '*') {
        re += "(?s:.*)";
      } else if (c == '?') {
        re += "(?s:.)";
      } else {
        re += RE2::QuoteMeta(std::string(1, c));
      }
    }
    return re + "$";
  }
  std::string q = RE2::QuoteMeta(s);
  switch (op) {
    case CmpOp::kStartsWith:
      return "^" + q;
    case CmpOp::kEndsWith:
      return q + "$";
    case CmpOp::kEq:
      return "^" + q + "$";
    default:
      return q;
  }
}

LiteralSet::Op literal_op(CmpOp op) {
  switch (op) {
    case CmpOp::kEq:
      return LiteralSet::Op::kEq;
    case CmpOp::kStartsWith:
      return LiteralSet::Op::kStartsWith;
    case CmpOp::kEndsWith:
      return LiteralSet::Op::kEndsWith;
    default:
      return LiteralSet::Op::kContains;
  }
}

// Literals into a LiteralSet; with any glob among them, everything into one RE2::Set.
void compile_prefilter(FieldPrefilter* pf) {
  bool glob = false;
  for (const auto& [op, pattern] : pf->patterns) glob = glob || op == CmpOp::kGlob;
  if (!glob) {
    // A case-insensitive prefilter's literals are lowercased; the set folds the text's case
    // as it scans (no lowered copy of every value).
    pf->literals = std::make_shared<LiteralSet>(pf->case_insensitive);
    for (const auto& [op, pattern] : pf->patterns) pf->literals->add(literal_op(op), pattern);
  } else {
    // Latin-1: bytes, as the rules' own matching compares them (`?` is one byte).
    RE2::Options opts(RE2::Quiet);
    opts.set_encoding(RE2::Options::EncodingLatin1);
    auto set = std::make_shared<RE2::Set>(opts, RE2::UNANCHORED);
    for (const auto& [op, pattern] : pf->patterns) {
      // Quoted literals and globs always compile; should one not, its rule becomes a candidate
      // for every value (the empty pattern matches everywhere) and decides for itself.
      if (set->Add(literal_regex(op, pattern), nullptr) < 0) set->Add("", nullptr);
    }
    set->Compile();
    pf->set = std::move(set);
  }
  pf->patterns.clear();
  pf->patterns.shrink_to_fit();
}

}  // namespace

Engine::Engine(std::vector<Rule> rules, const EngineOptions& options,
               std::vector<std::string>* errors)
    : options_(options) {
  const FunctionRegistry& reg =
      options.functions != nullptr ? *options.functions : FunctionRegistry::builtin();
  rules_.reserve(rules.size());
  for (auto& r : rules) {
    if (!r.enabled) continue;
    std::string error;
    bool ok = bind_functions(&r.match, reg, &error);
    for (auto& c : r.severity.cases) ok = ok && bind_functions(&c.when, reg, &error);
    for (auto& s : r.stateful.steps) ok = ok && bind_functions(&s, reg, &error);
    ok = ok && bind_stateful(&r.stateful, reg, &error);
    if (!ok) {
      errors->push_back(r.source + ": rule '" + r.id + "': " + error);
      continue;
    }
    rules_.push_back(std::move(r));
  }
  // (log type, field, case) → prefilter under construction.
  std::map<std::tuple<std::size_t, std::string, bool>, std::size_t> prefilter_of;
  // Lowercased name → its bucket in by_name_[type].buckets, while building.
  std::array<std::unordered_map<std::string, uint32_t>, kTypes> bucket_of;
  for (uint32_t i = 0; i < rules_.size(); ++i) {
    const Rule& r = rules_[i];
    ops_.push_back(r.stateful.kind == StatefulSpec::Kind::kNone ? nullptr : make_operator(r));
    for (ingest::LogType t : r.log_types) {
      auto ti = static_cast<std::size_t>(t);
      if (!r.index_names.empty() && t == ingest::LogType::kCloudTrail) {
        for (const auto& n : r.index_names) {
          auto [it, fresh] =
              bucket_of[ti].emplace(n, static_cast<uint32_t>(by_name_[ti].buckets.size()));
          if (fresh) by_name_[ti].buckets.push_back(NameBucket{n, {}, {}});
          NameBucket::Entry e;
          e.rule = i;
          by_name_[ti].buckets[it->second].entries.push_back(e);
        }
        continue;
      }
      if (const Predicate* nc = number_conjunct(r.match); nc != nullptr) {
        auto& list = number_indexes_[ti];
        auto ni = std::find_if(list.begin(), list.end(), [&](const NumberIndex& x) {
          return x.field.text == nc->field.text;
        });
        if (ni == list.end()) {
          list.push_back(NumberIndex{nc->field, {}});
          ni = list.end() - 1;
        }
        for (double d : nc->numbers) {
          // (Each list ascending and without repeats: on_event evaluates a single value's
          // list as it is.)
          auto& list = ni->rules[d];
          if (list.empty() || list.back() != i) list.push_back(i);
        }
        continue;
      }
      const Predicate* c = prefilter_conjunct(r.match);
      if (c == nullptr) {
        unindexed_[ti].push_back(i);
        continue;
      }
      auto key = std::make_tuple(ti, c->field.text, c->case_insensitive);
      auto it = prefilter_of.find(key);
      if (it == prefilter_of.end()) {
        FieldPrefilter pf;
        pf.field = c->field;
        pf.case_insensitive = c->case_insensitive;
        prefilters_[ti].push_back(std::move(pf));
        it = prefilter_of.emplace(key, prefilters_[ti].size() - 1).first;
      }
      FieldPrefilter& pf = prefilters_[ti][it->second];
      for (const auto& pattern : c->strings) {
        pf.patterns.emplace_back(c->op, pattern);
        pf.pattern_rule.push_back(i);
      }
    }
  }
  compiled_.resize(rules_.size());
  for (uint32_t i = 0; i < rules_.size(); ++i) {
    const Rule& r = rules_[i];
    Compiled& c = compiled_[i];
    c.match = optimized(r.match);
    if (r.index_names.empty()) continue;
    // The eventName equality the index lookup decides: evaluated there, left out here.
    const Predicate& m = r.match;
    if (is_name_equality(m)) {
      c.has_name_conjunct = true;
      c.name_ci = m.case_insensitive;
      c.names = m.strings;
      c.reduced = Predicate::always();
    } else if (m.kind == Predicate::Kind::kAnd) {
      for (std::size_t k = 0; k < m.children.size(); ++k) {
        if (!is_name_equality(m.children[k])) continue;
        c.has_name_conjunct = true;
        c.name_ci = m.children[k].case_insensitive;
        c.names = m.children[k].strings;
        std::vector<Predicate> rest;
        for (std::size_t j = 0; j < m.children.size(); ++j) {
          if (j != k) rest.push_back(m.children[j]);
        }
        // all_of keeps one child as itself and no child as `true`.
        c.reduced = optimized(Predicate::all_of(std::move(rest)));
        break;
      }
    }
  }
  // Comparisons several rules make alike share one result per event.
  assign_memo_slots();
  // What each name bucket's lookup decides of its rules' eventName equality.
  for (auto& index : by_name_) {
    for (auto& bucket : index.buckets) {
      const std::string& key = bucket.key;
      for (auto& e : bucket.entries) {
        const Compiled& c = compiled_[e.rule];
        if (!c.has_name_conjunct) {
          e.mode = NameBucket::kEvaluate;
        } else if (c.name_ci) {
          // Every event under this key has `key` as its lowercased name.
          e.mode = NameBucket::kConst;
          e.accept = std::find(c.names.begin(), c.names.end(), key) != c.names.end() ? 1 : 0;
        } else {
          e.mode = NameBucket::kVariants;
          for (const auto& n : c.names) {
            std::string low = n;
            for (char& ch : low) {
              if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch + 32);
            }
            if (low != key) continue;  // never this bucket's event's name
            auto v = std::find(bucket.variants.begin(), bucket.variants.end(), n);
            if (v == bucket.variants.end()) {
              bucket.variants.push_back(n);
              v = bucket.variants.end() - 1;
            }
            const auto bit = static_cast<std::size_t>(v - bucket.variants.begin());
            if (bit < 64) e.accept |= uint64_t{1} << bit;
          }
        }
      }
      // The bucket's tests one after another: the rules an event meets sit together.
      for (auto& e : bucket.entries) {
        const Compiled& c = compiled_[e.rule];
        e.first = static_cast<uint32_t>(flat_.tests.size());
        const uint32_t n = flat_.add(e.mode == NameBucket::kEvaluate ? c.match : c.reduced);
        if (n > UINT16_MAX) {  // (never in practice) the whole match as one tree test
          flat_.tests.resize(e.first);
          FlatTest t;
          t.pred = e.mode == NameBucket::kEvaluate ? &c.match : &c.reduced;
          flat_.tests.push_back(t);
          e.count = 1;
        } else {
          e.count = static_cast<uint16_t>(n);
        }
      }
      if (bucket.variants.size() > 64) {
        for (auto& e : bucket.entries) {
          if (e.mode == NameBucket::kVariants) e.mode = NameBucket::kFind;
        }
      }
    }
    index.build();
  }
  for (auto& c : compiled_) {
    c.flat_first = static_cast<uint32_t>(flat_.tests.size());
    c.flat_count = flat_.add(c.match);
  }
  for (uint32_t i = 0; i < rules_.size(); ++i) {
    // Rules over one log type get that type's event time; a rule over several types relies on
    // its own matches (and the end of input) to close its windows.
    if (ops_[i] != nullptr && rules_[i].log_types.size() == 1) {
      stateful_by_type_[static_cast<std::size_t>(rules_[i].log_types[0])].push_back(i);
    }
  }
  for (std::size_t ti = 0; ti < kTypes; ++ti) {
    for (auto& pf : prefilters_[ti]) compile_prefilter(&pf);
    prefilter_memo_[ti].resize(prefilters_[ti].size());
  }
  // Rules that test members of one object find it once per event.
  for (auto& c : compiled_) {
    engine_intern_paths(&c.match, &paths_);
    engine_intern_paths(&c.reduced, &paths_);
  }
  for (std::size_t ti = 0; ti < kTypes; ++ti) {
    for (auto& pf : prefilters_[ti]) paths_.intern(&pf.field);
    for (auto& ni : number_indexes_[ti]) paths_.intern(&ni.field);
  }
}

Engine::~Engine() = default;

std::size_t PrefilterMemo::slot_of(std::string_view text) {
  const std::size_t n = text.size();
  uint64_t h = n * 0x9E3779B97F4A7C15ull;
  if (n >= 8) {
    uint64_t w[3];
    std::memcpy(&w[0], text.data(), 8);
    std::memcpy(&w[1], text.data() + (n - 8) / 2, 8);
    std::memcpy(&w[2], text.data() + n - 8, 8);
    for (uint64_t x : w) {
      h = (h ^ x) * 0xff51afd7ed558ccdull;
      h ^= h >> 32;
    }
  } else {
    for (char c : text) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ull;
  }
  h ^= h >> 29;
  return static_cast<std::size_t>(h * 0xc4ceb9fe1a85ec53ull >> (64 - kSlotBits)) & (kSlots - 1);
}

namespace {

// The name tables' hash: the length and the first and last 8 bytes (event names are short and
// mostly differ there), without hash_text's loop and its variable-length copy. A
// collision costs a probe, never an answer (the tables compare the whole text).
inline uint64_t engine_name_hash(std::string_view s) {
  const std::size_t n = s.size();
  uint64_t h = (n + 1) * 0x9E3779B97F4A7C15ull;
  if (n >= 8) {
    uint64_t a;
    uint64_t b;
    std::memcpy(&a, s.data(), 8);
    std::memcpy(&b, s.data() + n - 8, 8);
    h = (h ^ a) * 0xff51afd7ed558ccdull;
    h = (h ^ (h >> 32) ^ b) * 0xc4ceb9fe1a85ec53ull;
  } else {
    for (char c : s) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ull;
  }
  return h ^ (h >> 29);
}

}  // namespace

template <typename Key>
void Engine::NameIndex::Table::fill(uint32_t n, const Key& key) {
  std::size_t cap = 16;
  while (cap < 2 * std::size_t{n}) cap *= 2;
  slots.assign(cap, Slot{});
  mask = cap - 1;
  for (uint32_t i = 0; i < n; ++i) {
    const uint64_t h = engine_name_hash(key(i));
    std::size_t k = h & mask;
    while (slots[k].item != UINT32_MAX) k = (k + 1) & mask;
    slots[k] = Slot{h, i};
  }
}

template <typename Key>
uint32_t Engine::NameIndex::Table::find(std::string_view text, const Key& key) const {
  const uint64_t h = engine_name_hash(text);
  for (std::size_t k = h & mask;; k = (k + 1) & mask) {
    const Slot& s = slots[k];
    if (s.item == UINT32_MAX || (s.hash == h && key(s.item) == text)) return s.item;
  }
}

void Engine::NameIndex::build() {
  spellings.clear();
  std::unordered_map<std::string, uint32_t> seen;  // spelling -> its index
  for (uint32_t b = 0; b < buckets.size(); ++b) {
    const NameBucket& bucket = buckets[b];
    auto add = [&](const std::string& text) {
      if (!seen.emplace(text, static_cast<uint32_t>(spellings.size())).second) return;
      Spelling sp{text, b, 64};
      // What on_event's search of the variants finds for this text.
      for (std::size_t k = 0; k < bucket.variants.size() && k < 64; ++k) {
        if (bucket.variants[k] == text) {
          sp.variant = static_cast<uint32_t>(k);
          break;
        }
      }
      spellings.push_back(std::move(sp));
    };
    add(bucket.key);
    for (const auto& v : bucket.variants) add(v);
  }
  by_key.fill(static_cast<uint32_t>(buckets.size()),
              [&](uint32_t i) -> std::string_view { return buckets[i].key; });
  by_spelling.fill(static_cast<uint32_t>(spellings.size()),
                   [&](uint32_t i) -> std::string_view { return spellings[i].text; });
}

const Engine::NameIndex::Spelling* Engine::NameIndex::find_spelling(std::string_view name) const {
  const uint32_t i =
      by_spelling.find(name, [&](uint32_t k) -> std::string_view { return spellings[k].text; });
  return i == UINT32_MAX ? nullptr : &spellings[i];
}

const Engine::NameBucket* Engine::NameIndex::find(std::string_view lowered) const {
  const uint32_t i =
      by_key.find(lowered, [&](uint32_t k) -> std::string_view { return buckets[k].key; });
  return i == UINT32_MAX ? nullptr : &buckets[i];
}

namespace {

// A pure comparison (no function, named list or network: the key below names all it depends on)
// as text: the same text, the same result for any event.
bool memoizable(const Predicate& p) {
  return p.kind == Predicate::Kind::kCompare && p.function == nullptr && p.args.empty() &&
         p.list.empty() && p.op != CmpOp::kInList && p.op != CmpOp::kCidr &&
         p.field.text.rfind("fn:", 0) != 0;
}

std::string memo_key(const Predicate& p) {
  std::string k = p.to_string();
  char buf[40];
  for (double d : p.numbers) {
    std::snprintf(buf, sizeof(buf), "|%a", d);
    k += buf;
  }
  return k;
}

void collect_memoizable(Predicate* p, std::vector<Predicate*>* out) {
  if (memoizable(*p)) out->push_back(p);
  for (auto& c : p->children) collect_memoizable(&c, out);
}

}  // namespace

void Engine::assign_memo_slots() {
  // Each comparison's key, in the order first met: the rules that make it (counted once per
  // rule: a rule's match and reduced form hold the same comparisons) and the compiled
  // predicates that are it.
  struct Shared {
    std::size_t rules = 0;
    std::size_t last_rule = SIZE_MAX;
    std::vector<Predicate*> preds;
  };
  std::vector<Shared> shared;
  std::unordered_map<std::string, std::size_t> by_key;
  std::vector<Predicate*> leaves;
  for (std::size_t ri = 0; ri < compiled_.size(); ++ri) {
    Compiled& c = compiled_[ri];
    leaves.clear();
    collect_memoizable(&c.match, &leaves);
    collect_memoizable(&c.reduced, &leaves);
    for (Predicate* p : leaves) {
      auto [it, fresh] = by_key.emplace(memo_key(*p), shared.size());
      if (fresh) shared.emplace_back();
      Shared& e = shared[it->second];
      if (e.last_rule != ri) {
        ++e.rules;
        e.last_rule = ri;
      }
      e.preds.push_back(p);
    }
  }
  int32_t slot = 0;
  for (const Shared& e : shared) {
    if (e.rules < 2) continue;
    for (Predicate* p : e.preds) p->memo = slot;
    ++slot;
  }
  memo_.slots.assign(static_cast<std::size_t>(slot), 0);
}

// (Inlined into on_event's loops: the call and its frame were ~7 M of the ~30 M instructions the
// 200-rule bench spends evaluating rules.)
[[gnu::always_inline]] inline void Engine::evaluate_flat(uint32_t i, uint32_t first, uint32_t n,
                                                         const EventView& ev,
                                                         const EvalContext& ctx) {
  ++stats_.evaluations;
  // The lists a finding names are those this evaluation matched (only list comparisons add
  // any, so the vectors are nearly always empty already).
  if (!matched_lists_.empty()) matched_lists_.clear();
  if (!matched_names_.empty()) matched_names_.clear();
  if (flat_.eval(first, n, ev, ctx)) on_rule_match(i, ev, ctx);
}

void Engine::evaluate(uint32_t i, const EventView& ev, const EvalContext& ctx) {
  evaluate_flat(i, compiled_[i].flat_first, compiled_[i].flat_count, ev, ctx);
}

void Engine::on_rule_match(uint32_t i, const EventView& ev, const EvalContext& ctx) {
  const Rule& r = rules_[i];
  ++stats_.matches;
  if (ops_[i] != nullptr) {
    ops_[i]->on_match(ev, ctx, *this);
    return;
  }
  // Stateless: the finding's parameters are the group_by values, else what the finding says
  // about the resource and the action (GuardDuty folds "the same parameters" into one finding).
  std::string key;
  std::string buf;
  if (!r.group_by.empty()) {
    for (const auto& f : r.group_by) {
      ev.first_text(f, &buf);
      key += buf;
      key.push_back('\x1f');
    }
    raise(r, &ev, key, nullptr);
    return;
  }
  // Rendered once: they are both the finding's parameters and its resource and action.
  std::string resource = r.resource.render(&ev, {});
  std::string action = r.action.render(&ev, {});
  key = resource;
  key.push_back('\x1f');
  key += action;
  raise(r, &ev, key, nullptr, &resource, &action);
}

void Engine::on_event(const EventView& ev) {
  ++stats_.events;
  if (!memo_.slots.empty() && ++memo_.generation >= (uint32_t{1} << 31)) {
    std::fill(memo_.slots.begin(), memo_.slots.end(), 0);  // generations start over
    memo_.generation = 1;
  }
  const auto ti = static_cast<std::size_t>(ev.type());
  paths_.next_event();
  const EvalContext ctx{options_.lists,  &matched_lists_,
                        &matched_names_, memo_.slots.empty() ? nullptr : &memo_,
                        &regex_memo_,    &paths_};
  for (uint32_t i : unindexed_[ti]) evaluate(i, ev, ctx);
  for (const NumberIndex& ni : number_indexes_[ti]) {
    // The rules whose number a value is ("22" equals 22 as text: anything that reads as the
    // number finds them, and the rule's own comparison decides), or null.
    auto rules_of = [&ni](const Value& v) -> const std::vector<uint32_t>* {
      double x;
      if (v.kind == Value::Kind::kNumber) {
        x = v.number;
      } else if (v.kind == Value::Kind::kString && !v.str.empty()) {
        auto r = std::from_chars(v.str.data(), v.str.data() + v.str.size(), x);
        if (r.ec != std::errc() || r.ptr != v.str.data() + v.str.size()) return nullptr;
      } else {
        return nullptr;
      }
      auto it = ni.rules.find(x);
      return it == ni.rules.end() ? nullptr : &it->second;
    };
    // A field with one value (flow fields, the envelope, extracted CloudTrail fields): its
    // list as it is, without the visitor and the merge below.
    Value one;
    const int direct = ev.direct(ni.field, &one);
    if (direct >= 0) {
      const std::vector<uint32_t>* list = direct == 1 ? rules_of(one) : nullptr;
      if (list != nullptr) {
        for (uint32_t i : *list) evaluate(i, ev, ctx);
      }
      continue;
    }
    candidate_rules_.clear();
    ev.any(
        ni.field,
        [&](const Value& v) {
          if (const std::vector<uint32_t>* list = rules_of(v); list != nullptr) {
            candidate_rules_.insert(candidate_rules_.end(), list->begin(), list->end());
          }
          return false;  // visit every value
        },
        &paths_);
    std::sort(candidate_rules_.begin(), candidate_rules_.end());
    candidate_rules_.erase(std::unique(candidate_rules_.begin(), candidate_rules_.end()),
                           candidate_rules_.end());
    for (uint32_t i : candidate_rules_) evaluate(i, ev, ctx);
  }
  for (std::size_t pi = 0; pi < prefilters_[ti].size(); ++pi) {
    const FieldPrefilter& pf = prefilters_[ti][pi];
    PrefilterMemo& memo = prefilter_memo_[ti][pi];
    candidate_rules_.clear();
    const auto* set = static_cast<const RE2::Set*>(pf.set.get());
    auto scan = [&](const Value& v) {
      if (v.kind == Value::Kind::kNull) return false;
      std::string_view text;
      if (v.kind == Value::Kind::kString || !v.str.empty()) {
        text = v.str;
      } else if (v.kind == Value::Kind::kBool) {
        text = v.boolean ? "true" : "false";
      } else {
        // Numbers without their text: let the rules decide (rare for string comparisons).
        candidate_rules_.insert(candidate_rules_.end(), pf.pattern_rule.begin(),
                                pf.pattern_rule.end());
        return false;
      }
      ++stats_.prefilter_scans;
      // A text seen lately: its rules as found then (the scan is a function of the text).
      PrefilterMemo::Slot* slot = nullptr;
      if (text.size() <= PrefilterMemo::kMaxText) {
        slot = &memo.slots[PrefilterMemo::slot_of(text)];
        if (slot->used && slot->text.size() == text.size() &&
            std::memcmp(slot->text.data(), text.data(), text.size()) == 0) {
          candidate_rules_.insert(candidate_rules_.end(), slot->rules.begin(), slot->rules.end());
          return false;
        }
        slot->used = false;
        slot->text.assign(text.data(), text.size());
      }
      const std::size_t found_from = candidate_rules_.size();
      if (pf.case_insensitive && pf.literals == nullptr) {
        lower_buf_.resize(text.size());
        char* __restrict out = lower_buf_.data();
        const char* __restrict in = text.data();
        for (std::size_t k = 0; k < text.size(); ++k) {
          const char c = in[k];
          out[k] = static_cast<char>(c + ((c >= 'A' && c <= 'Z') ? 32 : 0));
        }
        text = lower_buf_;
      }
      if (pf.literals != nullptr) {
        literal_hits_.clear();
        pf.literals->match(text, &literal_hits_);
        for (uint32_t k : literal_hits_) candidate_rules_.push_back(pf.pattern_rule[k]);
      } else if (set != nullptr) {
        candidates_.clear();
        if (set->Match(re2::StringPiece(text.data(), text.size()), &candidates_)) {
          for (int k : candidates_)
            candidate_rules_.push_back(pf.pattern_rule[static_cast<std::size_t>(k)]);
        }
      }
      if (slot != nullptr) {
        slot->rules.assign(candidate_rules_.begin() + static_cast<std::ptrdiff_t>(found_from),
                           candidate_rules_.end());
        slot->used = true;
      }
      return false;  // visit every value
    };
    // A field with one value (the extracted user agent): scanned without the visitor.
    Value one;
    const int direct = ev.direct(pf.field, &one);
    if (direct == 1) {
      scan(one);
    } else if (direct < 0) {
      ev.any(pf.field, scan, &paths_);
    }
    if (candidate_rules_.empty()) continue;
    std::sort(candidate_rules_.begin(), candidate_rules_.end());
    candidate_rules_.erase(std::unique(candidate_rules_.begin(), candidate_rules_.end()),
                           candidate_rules_.end());
    for (uint32_t i : candidate_rules_) evaluate(i, ev, ctx);
  }
  const NameIndex& index = by_name_[ti];
  if (!index.buckets.empty()) {
    const std::string_view name = ev.event_name();
    const NameBucket* found;
    // The exact spelling among the bucket's case-sensitive names, once for all its rules.
    std::size_t variant = 64;
    if (const NameIndex::Spelling* sp = index.find_spelling(name); sp != nullptr) {
      found = &index.buckets[sp->bucket];
      variant = sp->variant;
    } else {
      // The lowercased name: on the stack unless it is long.
      char small[128];
      char* out = small;
      if (name.size() > sizeof small) {
        name_buf_.resize(name.size());
        out = name_buf_.data();
      }
      for (std::size_t k = 0; k < name.size(); ++k) {
        const char c = name[k];
        out[k] = static_cast<char>(c + ((c >= 'A' && c <= 'Z') ? 32 : 0));
      }
      found = index.find(std::string_view(out, name.size()));
      if (found != nullptr) {
        for (std::size_t k = 0; k < found->variants.size() && k < 64; ++k) {
          if (found->variants[k] == name) {
            variant = k;
            break;
          }
        }
      }
    }
    if (found != nullptr) {
      // The rule's eventName equality reads the same extracted name, unless the name is empty
      // (null, "" or absent: only the record tells) or the record is an Insights event (its
      // name comes from insightDetails, the rule's path reads the top level).
      const bool decided = !name.empty() && ev.cloudtrail() != nullptr && !ev.cloudtrail()->insight;
      const NameBucket& bucket = *found;
      for (const NameBucket::Entry& e : bucket.entries) {
        if (!decided || e.mode == NameBucket::kEvaluate) {
          evaluate(e.rule, ev, ctx);
          continue;
        }
        bool accepted;
        switch (e.mode) {
          case NameBucket::kConst:
            accepted = e.accept != 0;
            break;
          case NameBucket::kVariants:
            accepted = variant < 64 && ((e.accept >> variant) & 1) != 0;
            break;
          default: {
            const Compiled& c = compiled_[e.rule];
            accepted = std::find(c.names.begin(), c.names.end(), name) != c.names.end();
            break;
          }
        }
        if (accepted) {
          evaluate_flat(e.rule, e.first, e.count, ev, ctx);
        } else {
          ++stats_.evaluations;  // evaluated here, and false
        }
      }
    }
  }
  const int64_t t = ev.meta().time_ms;
  if (t != ingest::kNoTime && t > max_time_[ti]) max_time_[ti] = t;
}

void Engine::end_of_input_object() {
  // Tell the stateful operators of each log type's rules how far that type's event time has
  // come (they also track their own matches). Only between objects: records inside one
  // CloudTrail file are in no particular order, so the file is the unit of lateness. Per log
  // type: flows of 02:00 are not late because CloudTrail of 03:00 was read first.
  for (std::size_t ti = 0; ti < kTypes; ++ti) {
    const int64_t t = max_time_[ti];
    if (t == INT64_MIN || t == last_advance_[ti]) continue;
    last_advance_[ti] = t;
    for (uint32_t i : stateful_by_type_[ti]) {
      const int64_t lateness = rules_[i].stateful.lateness_ms;
      ops_[i]->advance(t > INT64_MIN + lateness ? t - lateness : INT64_MIN, *this);
    }
  }
}

void Engine::finish() {
  for (auto& op : ops_) {
    if (op != nullptr) op->finish(*this);
  }
}

void Engine::on_hit(const Rule& rule, const StateHit& hit, const EventView* sample) {
  raise(rule, sample, hit.group_key, &hit);
}

void Engine::raise(const Rule& r, const EventView* ev, const std::string& group_key,
                   const StateHit* hit, std::string* resource, std::string* action) {
  std::vector<std::pair<std::string, std::string>> vars;
  if (hit != nullptr) {
    vars = hit->vars;
    if (ev == nullptr)
      vars.insert(vars.end(), hit->sample_fields.begin(), hit->sample_fields.end());
  }
  findings::Finding f;
  f.type = r.type;
  f.rule_id = r.id;
  // The lists the rule's match hit (just evaluated, for a stateless match; a stateful hit comes
  // later, so its lists are not known here), then those the severity cases hit.
  if (hit != nullptr) {
    matched_lists_.clear();
    matched_names_.clear();
  }
  EvalContext ctx{options_.lists, &matched_lists_, &matched_names_, nullptr, &regex_memo_};
  // A stateful hit carries the severity its sample event decided when it was matched.
  f.severity = hit != nullptr && hit->severity >= 0 ? hit->severity : r.severity.eval(ev, ctx);
  f.title = r.title.render(ev, vars);
  f.description = r.description.render(ev, vars);
  if (ev != nullptr) {
    f.account_id = std::string(ev->meta().account);
    f.region = std::string(ev->meta().region);
  } else if (hit != nullptr) {
    for (const auto& [k, v] : hit->sample_fields) {
      if (k == "account") f.account_id = v;
      if (k == "region") f.region = v;
    }
  }
  f.resource_json = resource != nullptr ? std::move(*resource) : r.resource.render(ev, vars);
  f.action_json = action != nullptr ? std::move(*action) : r.action.render(ev, vars);
  f.resource_role = r.resource_role;
  f.tags = r.tags;
  const std::string scope = f.account_id + '\x1f' + f.region + '\x1f' + group_key;
  f.id = findings::finding_id(r.id, scope);
  if (hit != nullptr) {
    f.first_seen_ms = hit->first_seen_ms;
    f.last_seen_ms = hit->last_seen_ms;
    f.count = std::max<uint64_t>(1, hit->count);
    f.evidence = hit->evidence;
    f.evidence_total = hit->evidence_total;
    f.unusual_json = hit->unusual_json;
  } else if (ev != nullptr) {
    f.first_seen_ms = f.last_seen_ms =
        ev->meta().time_ms == ingest::kNoTime ? 0 : ev->meta().time_ms;
    f.evidence.push_back(ev->event_id());
    f.evidence_total = 1;
  }
  f.created_ms = f.first_seen_ms;
  f.updated_ms = f.last_seen_ms;
  std::sort(matched_lists_.begin(), matched_lists_.end());
  matched_lists_.erase(std::unique(matched_lists_.begin(), matched_lists_.end()),
                       matched_lists_.end());
  // Each list with the threat names of the entries that matched (sorted, unique: the same
  // whatever order the predicates met them in).
  for (const auto& list : matched_lists_) {
    findings::ThreatIntel ti{list, {}};
    for (const auto& [l, name] : matched_names_) {
      if (l == list) ti.threat_names.push_back(name);
    }
    std::sort(ti.threat_names.begin(), ti.threat_names.end());
    ti.threat_names.erase(std::unique(ti.threat_names.begin(), ti.threat_names.end()),
                          ti.threat_names.end());
    f.threat_intel.push_back(std::move(ti));
  }
  ++stats_.findings_raised;
  aggregator_.add(std::move(f));
}

std::vector<findings::Finding> Engine::take_findings() {
  return aggregator_.take();
}

EngineStats Engine::stats() const {
  EngineStats s = stats_;
  for (const auto& op : ops_) {
    if (op == nullptr) continue;
    StateStats st = op->stats();
    s.state_evictions += st.cap_evictions;
    s.state_expired += st.evictions - st.cap_evictions;
    s.state_keys += st.keys;
    s.late_events += st.late_events;
  }
  return s;
}

std::vector<std::pair<const Rule*, StateStats>> Engine::state_stats() const {
  std::vector<std::pair<const Rule*, StateStats>> out;
  for (std::size_t i = 0; i < rules_.size(); ++i) {
    if (ops_[i] != nullptr) out.emplace_back(&rules_[i], ops_[i]->stats());
  }
  return out;
}

}  // namespace sentinel::detect

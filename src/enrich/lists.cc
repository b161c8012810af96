#include "enrich/lists.h"

#include <openssl/evp.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "core/escape.h"

namespace sentinel::enrich {

// Not in the anonymous namespace: ListStore::List has a map that uses it (GCC's
// -Wsubobject-linkage warns otherwise when this file is part of a unity build).
struct ListKeyHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

namespace {

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' ||
                        s.front() == '\xEF' || s.front() == '\xBB' || s.front() == '\xBF')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

// Splits `text` into lines (LF or CRLF), calling fn(line, 1-based number).
template <typename F>
void for_each_line(std::string_view text, F fn) {
  int number = 0;
  while (!text.empty()) {
    std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    ++number;
    fn(line, number);
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
}

std::string quoted_excerpt(std::string_view s) {
  constexpr std::size_t kMaxShown = 80;
  std::string out = "'";
  out += terminal_safe(s.substr(0, kMaxShown));
  if (s.size() > kMaxShown) out += "...";
  out += "'";
  return out;
}

std::string sha256_hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr) != 1) return {};
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(kHex[md[i] >> 4]);
    out.push_back(kHex[md[i] & 15]);
  }
  return out;
}

// One CSV row into fields (RFC 4180 quoting within a line). False on an unterminated quote.
bool split_csv(std::string_view line, std::vector<std::string>* fields) {
  fields->clear();
  std::string cur;
  bool in_quotes = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (in_quotes) {
      if (c == '"') {
        if (i + 1 < line.size() && line[i + 1] == '"') {
          cur.push_back('"');
          ++i;
        } else {
          in_quotes = false;
        }
      } else {
        cur.push_back(c);
      }
    } else if (c == '"') {
      in_quotes = true;
    } else if (c == ',') {
      fields->emplace_back(trim(cur));
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  if (in_quotes) return false;
  fields->emplace_back(trim(cur));
  return true;
}

enum class EntryType : uint8_t { kNetwork, kDomain, kUnsupported, kUnknown };

EntryType otx_type(std::string_view type) {
  if (iequals(type, "IPv4") || iequals(type, "IPv6") || iequals(type, "CIDR")) {
    return EntryType::kNetwork;
  }
  if (iequals(type, "domain") || iequals(type, "hostname")) return EntryType::kDomain;
  if (type.empty()) return EntryType::kUnknown;
  return EntryType::kUnsupported;
}

}  // namespace

bool normalize_domain(std::string_view d, std::string* out) {
  if (d.size() >= 2 && d[0] == '*' && d[1] == '.') d.remove_prefix(2);
  if (!d.empty() && d.back() == '.') d.remove_suffix(1);
  if (d.empty() || d.size() > 253) return false;
  out->clear();
  out->reserve(d.size());
  std::size_t label_len = 0;
  bool label_has_alpha = false;
  bool any_alpha_label = false;
  for (char c : d) {
    if (c == '.') {
      if (label_len == 0) return false;
      any_alpha_label |= label_has_alpha;
      label_len = 0;
      label_has_alpha = false;
      out->push_back('.');
      continue;
    }
    const char l = lower(c);
    const bool alpha = (l >= 'a' && l <= 'z') || l == '-' || l == '_';
    if (!alpha && !(l >= '0' && l <= '9')) return false;
    label_has_alpha |= alpha;
    if (++label_len > 63) return false;
    out->push_back(l);
  }
  if (label_len == 0) return false;
  any_alpha_label |= label_has_alpha;
  // "10.0.0.256" or "1.2.3" is a broken address, not a name.
  return any_alpha_label;
}

Result<ListFormat> parse_list_format(std::string_view text) {
  if (iequals(text, "TXT")) return ListFormat::kTxt;
  if (iequals(text, "OTX_CSV") || iequals(text, "CSV") || iequals(text, "OTX")) {
    return ListFormat::kOtxCsv;
  }
  return Error{"list_format_unknown",
               "list format " + quoted_excerpt(text) + " is not one of TXT, OTX_CSV"};
}

Result<ListKind> parse_list_kind(std::string_view text) {
  if (iequals(text, "threat")) return ListKind::kThreat;
  if (iequals(text, "trusted")) return ListKind::kTrusted;
  return Error{"list_kind_unknown",
               "list kind " + quoted_excerpt(text) + " is not threat or trusted"};
}

struct ListStore::List {
  ListSpec spec;
  std::string sha256;
  PrefixTable nets;
  std::unordered_map<std::string, uint32_t, ListKeyHash, std::equal_to<>> domains;
  std::vector<std::string> descriptions;  // by entry index; "" when the entry has none
};

struct ListStore::Target {
  bool is_ip = false;
  IpAddr ip;
  std::string_view domain;  // normalised, in a thread-local buffer of the caller
};

ListStore::ListStore() = default;
ListStore::~ListStore() = default;

Result<ListStore::List*> ListStore::create(const ListSpec& spec) {
  if (spec.name.empty() || spec.name[0] == '@') {
    return Error{"list_name_invalid", "list name " + quoted_excerpt(spec.name) +
                                          " is empty or starts with '@'; pick another"};
  }
  if (by_name_.count(spec.name) != 0) {
    return Error{"list_duplicate",
                 "a list named " + quoted_excerpt(spec.name) + " is already loaded"};
  }
  auto list = std::make_unique<List>();
  list->spec = spec;
  if (list->spec.display_name.empty()) list->spec.display_name = spec.name;
  return list.release();
}

void ListStore::add_entry(List* list, std::string_view entry, std::string_view description,
                          std::string_view source, int line, ListLoadReport* report) {
  const uint32_t index = static_cast<uint32_t>(list->descriptions.size());
  const bool has_slash = entry.find('/') != std::string_view::npos;
  const bool looks_ip = entry.find(':') != std::string_view::npos ||
                        entry.find_first_not_of("0123456789./") == std::string_view::npos;
  detect::Cidr net;
  if (detect::Cidr::parse(entry, &net)) {
    list->nets.add(net, index);
    list->descriptions.emplace_back(description);
    ++report->networks;
    return;
  }
  std::string domain;
  if (!has_slash && !looks_ip && normalize_domain(entry, &domain)) {
    if (list->domains.emplace(std::move(domain), index).second) {
      list->descriptions.emplace_back(description);
    }
    ++report->domains;
    return;
  }
  ListProblem p;
  p.source = std::string(source);
  p.line = line;
  if (has_slash && IpAddr::parse(entry.substr(0, entry.find('/')), &net.base)) {
    p.code = "bad_cidr";
    p.message = quoted_excerpt(entry) +
                " has a prefix length that is not a number in range (0-32 for "
                "IPv4, 0-128 for IPv6)";
  } else {
    p.code = "bad_entry";
    p.message = quoted_excerpt(entry) + " is not an IP address, a CIDR or a domain name";
  }
  report->problems.push_back(std::move(p));
}

void ListStore::load_txt(List* list, std::string_view text, std::string_view source,
                         ListLoadReport* report) {
  for_each_line(text, [&](std::string_view line, int number) {
    // A comment runs from '#' at the start or after whitespace to the end of the line.
    for (std::size_t i = 0; i < line.size(); ++i) {
      if (line[i] == '#' && (i == 0 || line[i - 1] == ' ' || line[i - 1] == '\t')) {
        line = line.substr(0, i);
        break;
      }
    }
    line = trim(line);
    if (line.empty()) return;
    add_entry(list, line, {}, source, number, report);
  });
}

void ListStore::load_otx_csv(List* list, std::string_view text, std::string_view source,
                             ListLoadReport* report) {
  int type_col = 0, value_col = 1, desc_col = 2;
  bool first = true;
  std::vector<std::string> fields;
  for_each_line(text, [&](std::string_view line, int number) {
    line = trim(line);
    if (line.empty() || line[0] == '#') return;
    if (!split_csv(line, &fields)) {
      report->problems.push_back({std::string(source), number, "bad_csv",
                                  quoted_excerpt(line) + " has an unterminated quote"});
      return;
    }
    if (first) {
      first = false;
      bool header = false;
      for (int i = 0; i < static_cast<int>(fields.size()); ++i) {
        const std::string& f = fields[i];
        if (iequals(f, "Indicator type") || iequals(f, "type") || iequals(f, "indicator_type")) {
          type_col = i;
          header = true;
        } else if (iequals(f, "Indicator")) {
          value_col = i;
          header = true;
        } else if (iequals(f, "Description") || iequals(f, "title")) {
          desc_col = i;
        }
      }
      if (header) return;
    }
    if (static_cast<int>(fields.size()) <= std::max(type_col, value_col)) {
      report->problems.push_back({std::string(source), number, "bad_csv",
                                  quoted_excerpt(line) + " has no indicator column"});
      return;
    }
    const std::string& value = fields[value_col];
    std::string_view desc;
    if (desc_col < static_cast<int>(fields.size())) desc = fields[desc_col];
    switch (otx_type(fields[type_col])) {
      case EntryType::kUnsupported:
        ++report->skipped;
        return;
      case EntryType::kNetwork:
      case EntryType::kDomain:
      case EntryType::kUnknown:
        add_entry(list, value, desc, source, number, report);
        return;
    }
  });
}

Result<ListLoadReport> ListStore::load_text(const ListSpec& spec, std::string_view text,
                                            ListFormat format, std::string_view source) {
  auto created = create(spec);
  if (!created) return created.error();
  std::unique_ptr<List> list(*created);
  ListLoadReport report;
  if (format == ListFormat::kTxt) {
    load_txt(list.get(), text, source, &report);
  } else {
    load_otx_csv(list.get(), text, source, &report);
  }
  list->sha256 = sha256_hex(text);
  by_name_.emplace(list->spec.name, list.get());
  lists_.push_back(std::move(list));
  return report;
}

Result<ListLoadReport> ListStore::load_file(const ListSpec& spec, const std::string& path,
                                            ListFormat format) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Error{"list_unreadable", "cannot open list file " + quoted_excerpt(path) +
                                        "; check the path and its permissions"};
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) {
    return Error{"list_unreadable", "cannot read list file " + quoted_excerpt(path)};
  }
  return load_text(spec, ss.str(), format, path);
}

Result<ListLoadReport> ListStore::add_inline(const ListSpec& spec,
                                             const std::vector<std::string>& entries) {
  auto created = create(spec);
  if (!created) return created.error();
  std::unique_ptr<List> list(*created);
  ListLoadReport report;
  const std::string source = "inline:" + spec.name;
  int number = 0;
  for (const std::string& e : entries) {
    ++number;
    std::string_view t = trim(e);
    if (t.empty() || t[0] == '#') continue;
    add_entry(list.get(), t, {}, source, number, &report);
  }
  by_name_.emplace(list->spec.name, list.get());
  lists_.push_back(std::move(list));
  return report;
}

bool ListStore::target_of(const detect::Value& value, Target* out) {
  if (value.ip != nullptr) {
    out->is_ip = true;
    out->ip = *value.ip;
    return true;
  }
  if (value.kind != detect::Value::Kind::kString) return false;
  std::string_view s = trim(value.str);
  if (IpAddr::parse(s, &out->ip)) {
    out->is_ip = true;
    return true;
  }
  out->is_ip = false;
  thread_local std::string buf;  // no allocation per lookup once warm
  if (!normalize_domain(s, &buf)) return false;
  out->domain = buf;
  return true;
}

bool ListStore::on_list(const List& list, const Target& t, std::vector<std::string>* names) const {
  bool hit = false;
  auto note = [&](uint32_t index) {
    hit = true;
    if (names == nullptr) return;
    const std::string& d = list.descriptions[index];
    if (!d.empty() && std::find(names->begin(), names->end(), d) == names->end()) {
      names->push_back(d);
    }
  };
  if (t.is_ip) {
    list.nets.find(t.ip, [&](uint32_t index, int) {
      note(index);
      return names == nullptr;  // stop at the first hit unless collecting names
    });
    return hit;
  }
  if (list.domains.empty()) return false;
  std::string_view d = t.domain;
  while (true) {
    auto it = list.domains.find(d);
    if (it != list.domains.end()) {
      note(it->second);
      if (names == nullptr) return true;
    }
    std::size_t dot = d.find('.');
    if (dot == std::string_view::npos) break;
    d.remove_prefix(dot + 1);
  }
  return hit;
}

bool ListStore::is_trusted(const Target& t) const {
  for (const auto& l : lists_) {
    if (l->spec.kind == ListKind::kTrusted && on_list(*l, t, nullptr)) return true;
  }
  return false;
}

bool ListStore::trusted(const detect::Value& value) const {
  Target t;
  return target_of(value, &t) && is_trusted(t);
}

bool ListStore::trusted_ip(const IpAddr& ip) const {
  Target t;
  t.is_ip = true;
  t.ip = ip;
  return is_trusted(t);
}

bool ListStore::trusted_domain(std::string_view domain) const {
  thread_local std::string buf;
  if (!normalize_domain(domain, &buf)) return false;
  Target t;
  t.domain = buf;
  return is_trusted(t);
}

const ListStore::List* ListStore::matching_list(std::string_view name, const Target& t) const {
  if (name == kAnyThreat || name == kAnyTrusted) {
    const ListKind kind = name == kAnyThreat ? ListKind::kThreat : ListKind::kTrusted;
    if (kind == ListKind::kThreat && is_trusted(t)) return nullptr;
    for (const auto& l : lists_) {
      if (l->spec.kind == kind && on_list(*l, t, nullptr)) return l.get();
    }
    return nullptr;
  }
  auto it = by_name_.find(name);
  if (it == by_name_.end()) return nullptr;
  const List& l = *it->second;
  if (!on_list(l, t, nullptr)) return nullptr;
  if (l.spec.kind == ListKind::kThreat && is_trusted(t)) return nullptr;
  return &l;
}

bool ListStore::contains(std::string_view name, const detect::Value& value,
                         std::string* matched_list) const {
  // No list loaded (a run without lists in its configuration): rules that name one match
  // nothing, without reading the value (an address parse, a domain lowercased per lookup).
  if (lists_.empty()) return false;
  Target t;
  if (!target_of(value, &t)) return false;
  const List* l = matching_list(name, t);
  if (l == nullptr) return false;
  if (matched_list != nullptr) *matched_list = l->spec.display_name;
  return true;
}

void ListStore::entry_names(std::string_view name, const detect::Value& value,
                            std::vector<std::string>* names) const {
  Target t;
  if (!target_of(value, &t)) return;
  const List* l = matching_list(name, t);
  if (l != nullptr) on_list(*l, t, names);
}

std::vector<ThreatHit> ListStore::threat_hits(const detect::Value& value) const {
  std::vector<ThreatHit> hits;
  Target t;
  if (!target_of(value, &t) || is_trusted(t)) return hits;
  for (const auto& l : lists_) {
    if (l->spec.kind != ListKind::kThreat) continue;
    ThreatHit h;
    if (!on_list(*l, t, &h.names)) continue;
    h.list = l->spec.display_name;
    h.file_sha256 = l->sha256;
    hits.push_back(std::move(h));
  }
  return hits;
}

bool ListStore::has_list(std::string_view name) const {
  return by_name_.find(name) != by_name_.end();
}

}  // namespace sentinel::enrich

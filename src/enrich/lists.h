#pragma once
/// Threat lists and trusted lists in GuardDuty's formats, looked up by rules (`in_list`) and by
/// the enricher (threatIntelligenceDetails).
///
/// Formats:
/// - TXT: one IPv4/IPv6 address, CIDR or domain per line; `#` starts a comment (whole line or
///   after whitespace); blank lines are skipped. A line that is none of these is reported with
///   its file and line and skipped; loading goes on.
/// - OTX_CSV (AlienVault OTX pulse export): a header row naming the columns (`Indicator type`,
///   `Indicator`, `Description`, in any order; without a header the first column is the type and
///   the second the indicator). Rows of type IPv4, IPv6, CIDR, domain and hostname are loaded;
///   other indicator types (URL, FileHash-*, email, ...) are counted as skipped, not errors. The
///   description, when present, becomes the entry's threat name.
/// - inline: a vector of strings, each read like a TXT line.
///
/// Matching: an address matches when it lies in one of the list's networks (IPv4-mapped IPv6
/// spellings count as IPv4). A domain entry matches that name and every name below it on a
/// label boundary (`evil.com` matches `evil.com`, `a.evil.com` and `EVIL.COM.`, not
/// `notevil.com`); case-insensitive, a trailing dot ignored; `*.evil.com` is read as `evil.com`.
///
/// Trusted beats threat: a value on any trusted list is never a threat hit, and `contains` on a
/// threat list answers false for it.
///
/// Thread-safety: load everything at start-up; after that every const method is safe from any
/// number of threads.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/result.h"
#include "detect/ir/predicate.h"
#include "enrich/prefix_table.h"

namespace sentinel::enrich {

enum class ListKind : uint8_t { kThreat, kTrusted };
enum class ListFormat : uint8_t { kTxt, kOtxCsv };

/// "TXT" / "OTX_CSV" (GuardDuty's enum names, case-insensitive; "txt", "csv", "otx" also read).
Result<ListFormat> parse_list_format(std::string_view text);
/// "threat" / "trusted".
Result<ListKind> parse_list_kind(std::string_view text);

/// What a list is called and what it is for.
struct ListSpec {
  std::string name;  ///< how rules name it (`in_list: tor_exits`); must not start with '@'
  ListKind kind = ListKind::kThreat;
  std::string display_name;  ///< threatListName in findings; defaults to `name`
};

/// One line that could not be used. `code` is a short stable name:
/// - `bad_entry`: neither an IP address, a CIDR nor a domain name;
/// - `bad_cidr`: an address with a prefix length that is not a number in range for its family;
/// - `bad_csv`: a CSV row without an indicator column (or an unterminated quote).
struct ListProblem {
  std::string source;  ///< file path, or "inline:<list>"
  int line = 0;        ///< 1-based
  std::string code;
  std::string message;  ///< says what was wrong, quoting (escaped) the text
};

/// What loading one list did.
struct ListLoadReport {
  std::size_t networks = 0;  ///< addresses and CIDRs added
  std::size_t domains = 0;   ///< domain names added
  std::size_t skipped = 0;   ///< rows of indicator types lists do not hold (OTX URL, hashes, ...)
  std::vector<ListProblem> problems;
};

/// A list that matched a value, in GuardDuty's threatIntelligenceDetails shape.
struct ThreatHit {
  std::string list;                ///< threatListName: the list's display name
  std::vector<std::string> names;  ///< threatNames: descriptions of the matching entries
  std::string file_sha256;         ///< threatFileSha256 (hex), empty for inline lists
};

/// Lists by name. See the file comment for formats and matching.
class ListStore : public detect::NamedLists {
 public:
  /// Pseudo list names rules may use with `in_list`: any threat list / any trusted list.
  static constexpr std::string_view kAnyThreat = "@threat";
  static constexpr std::string_view kAnyTrusted = "@trusted";

  ListStore();
  ~ListStore() override;
  ListStore(const ListStore&) = delete;
  ListStore& operator=(const ListStore&) = delete;

  /// Reads a list file. Errors (`list_name_invalid`, `list_duplicate`, `list_unreadable`) leave
  /// the store unchanged; bad lines are only reported.
  Result<ListLoadReport> load_file(const ListSpec& spec, const std::string& path,
                                   ListFormat format);
  /// Reads a list from text already in memory; `source` names it in problems.
  Result<ListLoadReport> load_text(const ListSpec& spec, std::string_view text, ListFormat format,
                                   std::string_view source);
  /// A list written inline (e.g. in configuration); each entry is read like a TXT line.
  Result<ListLoadReport> add_inline(const ListSpec& spec, const std::vector<std::string>& entries);

  /// NamedLists: `value` on list `name` (or on any threat/trusted list for kAnyThreat /
  /// kAnyTrusted). A threat list never contains a trusted value.
  bool contains(std::string_view name, const detect::Value& value,
                std::string* matched_list) const override;
  /// NamedLists: the descriptions of the matching entries of the list contains() answered with
  /// for the same `name` (for kAnyThreat: the first threat list holding the value).
  void entry_names(std::string_view name, const detect::Value& value,
                   std::vector<std::string>* names) const override;

  /// True when `value` is on some trusted list.
  bool trusted(const detect::Value& value) const;
  bool trusted_ip(const IpAddr& ip) const;
  bool trusted_domain(std::string_view domain) const;

  /// Every threat list `value` is on, in load order; empty when the value is trusted.
  std::vector<ThreatHit> threat_hits(const detect::Value& value) const;

  bool has_list(std::string_view name) const;
  std::size_t list_count() const { return lists_.size(); }

 private:
  struct List;
  struct Target;  // a value read as an address or a normalised domain
  Result<List*> create(const ListSpec& spec);
  void add_entry(List* list, std::string_view entry, std::string_view description,
                 std::string_view source, int line, ListLoadReport* report);
  void load_txt(List* list, std::string_view text, std::string_view source, ListLoadReport* report);
  void load_otx_csv(List* list, std::string_view text, std::string_view source,
                    ListLoadReport* report);
  static bool target_of(const detect::Value& value, Target* out);
  bool on_list(const List& list, const Target& t, std::vector<std::string>* names) const;
  bool is_trusted(const Target& t) const;
  /// The list `name` (or the first of its kind for the pseudo names) that holds `t`, trusted
  /// beating threat; nullptr when none.
  const List* matching_list(std::string_view name, const Target& t) const;

  struct NameHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::vector<std::unique_ptr<List>> lists_;
  std::unordered_map<std::string, List*, NameHash, std::equal_to<>> by_name_;
};

/// Lowercases `domain`, drops one trailing dot and a leading `*.`; false when it is not a
/// plausible DNS name (labels of letters, digits, '-' and '_', 1..63 bytes, 253 in all, not all
/// labels numeric).
bool normalize_domain(std::string_view domain, std::string* out);

}  // namespace sentinel::enrich

#pragma once
/// AWS's published IP address ranges (`ip-ranges.json`) and the private ranges, so that rules
/// and findings can tell an AWS address (and which service) from the public Internet.
///
/// The file is AWS's format: `{"syncToken", "createDate", "prefixes": [{"ip_prefix", "region",
/// "service", "network_border_group"}], "ipv6_prefixes": [{"ipv6_prefix", ...}]}`. AWS lists
/// most networks twice: once under the catch-all service `AMAZON` and again under the service
/// that uses it (`EC2`, `S3`, `CLOUDFRONT`, ...).
///
/// Thread-safety: load at start-up; after that every const method is safe from any thread.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/ip.h"
#include "core/result.h"
#include "enrich/prefix_table.h"

namespace sentinel::enrich {

enum class IpClass : uint8_t { kPrivate, kAws, kPublic };

/// "private", "aws", "public".
const char* ip_class_name(IpClass c);

/// RFC 1918 (10/8, 172.16/12, 192.168/16), RFC 6598 shared space (100.64/10), loopback
/// (127/8, ::1), link-local (169.254/16 with the instance metadata address 169.254.169.254,
/// fe80::/10), unspecified (0.0.0.0/8, ::) and IPv6 unique-local (fc00::/7). IPv4-mapped IPv6
/// addresses are judged as IPv4.
bool is_private_ip(const IpAddr& ip);

/// One entry of ip-ranges.json.
struct AwsPrefix {
  std::string prefix;  ///< as written, e.g. "3.5.140.0/22"
  std::string region;
  std::string service;
  std::string network_border_group;
};

/// What an address is.
struct IpClassification {
  IpClass cls = IpClass::kPublic;
  /// kAws: the entry that names the address's service: among the networks containing it, the
  /// longest one listed under a service other than AMAZON, else the longest AMAZON one. Points
  /// into the AwsRanges; valid while it lives.
  const AwsPrefix* range = nullptr;
};

class AwsRanges {
 public:
  /// Parses ip-ranges.json text. Entries whose prefix does not parse are counted in
  /// bad_entries() and skipped. Error `aws_ranges_format` when the text is not JSON or has no
  /// `prefixes` array. Replaces what was loaded before.
  Result<std::size_t> load_json(std::string_view json);
  /// Reads and parses a file; error `aws_ranges_unreadable` when it cannot be read.
  Result<std::size_t> load_file(const std::string& path);

  /// Private ranges always; AWS ranges when loaded; else public.
  IpClassification classify(const IpAddr& ip) const;
  /// classify() of text; false when `text` is not an address.
  bool classify(std::string_view text, IpClassification* out) const;

  bool loaded() const { return !prefixes_.empty(); }
  std::size_t size() const { return prefixes_.size(); }
  std::size_t bad_entries() const { return bad_entries_; }
  const std::string& sync_token() const { return sync_token_; }
  const std::string& create_date() const { return create_date_; }

 private:
  std::vector<AwsPrefix> prefixes_;
  PrefixTable table_;
  std::size_t bad_entries_ = 0;
  std::string sync_token_;
  std::string create_date_;
};

}  // namespace sentinel::enrich

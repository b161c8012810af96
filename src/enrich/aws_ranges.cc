#include "enrich/aws_ranges.h"

#include <simdjson.h>

#include <fstream>
#include <sstream>

#include "detect/ir/predicate.h"

namespace sentinel::enrich {

namespace {

const PrefixTable& private_table() {
  static const PrefixTable table = [] {
    PrefixTable t;
    for (const char* text :
         {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "127.0.0.0/8",
          "169.254.0.0/16", "0.0.0.0/8", "fc00::/7", "fe80::/10", "::1/128", "::/128"}) {
      detect::Cidr c;
      if (detect::Cidr::parse(text, &c)) t.add(c, 0);
    }
    return t;
  }();
  return table;
}

std::string_view get_string(simdjson::dom::element obj, const char* key) {
  std::string_view v;
  if (obj[key].get_string().get(v) != simdjson::SUCCESS) return {};
  return v;
}

}  // namespace

const char* ip_class_name(IpClass c) {
  switch (c) {
    case IpClass::kPrivate:
      return "private";
    case IpClass::kAws:
      return "aws";
    case IpClass::kPublic:
      return "public";
  }
  return "public";
}

bool is_private_ip(const IpAddr& ip) {
  return private_table().contains(ip);
}

Result<std::size_t> AwsRanges::load_json(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(json);
  simdjson::dom::element root;
  if (parser.parse(padded).get(root) != simdjson::SUCCESS) {
    return Error{"aws_ranges_format", "the AWS IP ranges file is not valid JSON"};
  }
  simdjson::dom::array v4;
  if (root["prefixes"].get_array().get(v4) != simdjson::SUCCESS) {
    return Error{"aws_ranges_format",
                 "the AWS IP ranges file has no \"prefixes\" array; is it ip-ranges.json?"};
  }
  std::vector<AwsPrefix> prefixes;
  std::vector<detect::Cidr> nets;
  std::size_t bad = 0;
  auto take = [&](simdjson::dom::array arr, const char* key) {
    for (simdjson::dom::element e : arr) {
      AwsPrefix p;
      p.prefix = std::string(get_string(e, key));
      detect::Cidr c;
      if (!detect::Cidr::parse(p.prefix, &c)) {
        ++bad;
        continue;
      }
      p.region = std::string(get_string(e, "region"));
      p.service = std::string(get_string(e, "service"));
      p.network_border_group = std::string(get_string(e, "network_border_group"));
      prefixes.push_back(std::move(p));
      nets.push_back(c);
    }
  };
  take(v4, "ip_prefix");
  simdjson::dom::array v6;
  if (root["ipv6_prefixes"].get_array().get(v6) == simdjson::SUCCESS) take(v6, "ipv6_prefix");

  prefixes_ = std::move(prefixes);
  table_ = PrefixTable();
  for (std::size_t i = 0; i < nets.size(); ++i) table_.add(nets[i], static_cast<uint32_t>(i));
  bad_entries_ = bad;
  sync_token_ = std::string(get_string(root, "syncToken"));
  create_date_ = std::string(get_string(root, "createDate"));
  return prefixes_.size();
}

Result<std::size_t> AwsRanges::load_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Error{"aws_ranges_unreadable",
                 "cannot open AWS IP ranges file '" + path + "'; check the path"};
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return load_json(ss.str());
}

IpClassification AwsRanges::classify(const IpAddr& ip) const {
  IpClassification out;
  if (is_private_ip(ip)) {
    out.cls = IpClass::kPrivate;
    return out;
  }
  const AwsPrefix* amazon = nullptr;
  const AwsPrefix* specific = nullptr;
  table_.find(ip, [&](uint32_t index, int) {
    const AwsPrefix& p = prefixes_[index];
    if (p.service == "AMAZON") {
      if (amazon == nullptr) amazon = &p;
      return false;
    }
    specific = &p;
    return true;  // longest non-AMAZON network: done
  });
  out.range = specific != nullptr ? specific : amazon;
  out.cls = out.range != nullptr ? IpClass::kAws : IpClass::kPublic;
  return out;
}

bool AwsRanges::classify(std::string_view text, IpClassification* out) const {
  IpAddr ip;
  if (!IpAddr::parse(text, &ip)) return false;
  *out = classify(ip);
  return true;
}

}  // namespace sentinel::enrich

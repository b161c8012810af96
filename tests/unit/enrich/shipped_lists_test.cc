// The lists shipped in data/lists/: every line loads, data/lists/sentinel.yaml loads them under
// the names the rules read, and the matching the rules rely on holds for them (pool subdomains,
// look-alikes, resolver addresses, trusted resolvers never on a threat list).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "config/config.h"
#include "detect/event_view.h"
#include "enrich/lists.h"

namespace sentinel::enrich {
namespace {

const std::string kDir = std::string(SENTINEL_SOURCE_DIR) + "/data/lists/";

detect::Value text(std::string_view s) {
  detect::Value v;
  v.kind = detect::Value::Kind::kString;
  v.str = s;
  return v;
}

TEST(ShippedLists, EveryLineLoads) {
  struct File {
    const char* name;
    std::size_t min_networks, min_domains;
  };
  for (const File& f : {File{"mining-pools.txt", 0, 40}, File{"doh-resolvers.txt", 50, 0},
                        File{"dot-resolvers.txt", 40, 0}}) {
    ListStore store;
    auto rep = store.load_file({"l", ListKind::kThreat, ""}, kDir + f.name, ListFormat::kTxt);
    ASSERT_TRUE(rep.ok()) << f.name << ": " << rep.error().message;
    EXPECT_TRUE(rep->problems.empty())
        << f.name << ":" << rep->problems.front().line << ": " << rep->problems.front().message;
    EXPECT_GE(rep->networks, f.min_networks) << f.name;
    EXPECT_GE(rep->domains, f.min_domains) << f.name;
    if (f.min_networks > 0) {
      EXPECT_EQ(rep->domains, 0u) << f.name << " holds addresses only";
    } else {
      EXPECT_EQ(rep->networks, 0u) << f.name << " holds domains only";
    }
  }
}

TEST(ShippedLists, ConfigLoadsThemUnderTheRuleNames) {
  config::Config cfg;
  std::vector<std::string> errors;
  ASSERT_TRUE(config::load_config(kDir + "sentinel.yaml", &cfg, &errors))
      << (errors.empty() ? "" : errors.front());
  EXPECT_TRUE(cfg.warnings.empty()) << cfg.warnings.front();
  const ListStore& lists = *cfg.lists;
  for (const char* name : {"mining_pools", "doh_resolvers", "dot_resolvers"}) {
    EXPECT_TRUE(lists.has_list(name)) << name;
  }
  std::string matched;
  // Pool hosts below a listed domain, in any case, with the trailing dot Route 53 writes.
  EXPECT_TRUE(lists.contains("mining_pools", text("pool.supportxmr.com."), &matched));
  EXPECT_EQ(matched, "Cryptocurrency mining pools (Sentinel)");
  EXPECT_TRUE(lists.contains("mining_pools", text("XMR-EU1.NANOPOOL.ORG."), nullptr));
  EXPECT_TRUE(lists.contains("mining_pools", text("stratum.antpool.com"), nullptr));
  // Look-alikes and names that merely contain a pool's name do not.
  EXPECT_FALSE(lists.contains("mining_pools", text("notsupportxmr.com."), nullptr));
  EXPECT_FALSE(lists.contains("mining_pools", text("supportxmr.com.cdn.example."), nullptr));
  EXPECT_FALSE(lists.contains("mining_pools", text("www.coindesk.com."), nullptr));
  // Resolvers: named lookups match; as trusted lists they keep addresses off every threat list.
  EXPECT_TRUE(lists.contains("doh_resolvers", text("1.1.1.1"), nullptr));
  EXPECT_TRUE(lists.contains("doh_resolvers", text("2001:4860:4860::8888"), nullptr));
  EXPECT_TRUE(lists.contains("doh_resolvers", text("45.90.28.17"), nullptr));  // NextDNS /24
  EXPECT_TRUE(lists.contains("doh_resolvers", text("208.67.222.222"), nullptr));
  EXPECT_FALSE(lists.contains("dot_resolvers", text("208.67.222.222"), nullptr));  // no DoT
  EXPECT_TRUE(lists.contains("dot_resolvers", text("9.9.9.9"), nullptr));
  EXPECT_FALSE(lists.contains("doh_resolvers", text("1.1.1.4"), nullptr));
  EXPECT_TRUE(lists.trusted(text("8.8.8.8")));
  EXPECT_FALSE(lists.contains(ListStore::kAnyThreat, text("8.8.8.8"), nullptr));
}

}  // namespace
}  // namespace sentinel::enrich

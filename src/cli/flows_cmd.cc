// `sentinel flows top|matrix|why|volume`: network analytics over the store's flow records.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>

#include "cli/commands.h"
#include "config/config.h"
#include "core/escape.h"
#include "core/json_writer.h"
#include "core/time.h"
#include "store/flows_analytics.h"

namespace sentinel::cli {

namespace {

struct Common {
  std::string db = "sentinel.db";
  std::string output = "table";
  std::string since, until;
};

void add_common(CLI::App* c, Common* o, bool csv = true) {
  c->add_option("--db", o->db, "The store file (default ./sentinel.db)");
  c->add_option("--since", o->since, "From: 7d, 12h (back from now) or 2024-01-15T02:00Z");
  c->add_option("--until", o->until, "Until (exclusive)");
  c->add_option("--output,-o", o->output, csv ? "table (default), json or csv" : "table or json")
      ->check(csv ? CLI::IsMember({"table", "json", "csv"}) : CLI::IsMember({"table", "json"}));
}

// Opens the store and turns --since/--until into seconds; false (exit code set) on a problem.
bool open_common(const Common& o, int* code, std::unique_ptr<store::Store>* st, int64_t* since_s,
                 int64_t* until_s) {
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  auto parse_bound = [&](const std::string& arg, const char* flag, int64_t* ms) {
    std::string err;
    if (store::parse_time_arg(arg, now, ms, &err)) return true;
    std::fprintf(stderr, "sentinel: flows: %s %s\n", flag, terminal_safe(err).c_str());
    *code = kExitUsage;
    return false;
  };
  int64_t ms;
  *since_s = store::kNoLowerTime;
  *until_s = store::kNoUpperTime;
  if (!o.since.empty()) {
    if (!parse_bound(o.since, "--since", &ms)) return false;
    *since_s = ms / 1000;
  }
  if (!o.until.empty()) {
    if (!parse_bound(o.until, "--until", &ms)) return false;
    *until_s = (ms + 999) / 1000;
  }
  auto r = store::Store::open(o.db, store::OpenMode::kReadOnly);
  if (!r) {
    std::fprintf(stderr, "sentinel: %s\n", terminal_safe(r.error().message).c_str());
    *code = kExitNothingReadable;
    return false;
  }
  *st = std::move(*r);
  return true;
}

// One column of a list that prints as a table, CSV or a JSON array of objects: its header, its
// JSON key, and whether its cells (decimal text) are JSON numbers rather than strings.
struct Column {
  std::string header;
  std::string_view key;
  bool number = false;
};

void emit_list(const std::vector<Column>& columns, std::vector<std::vector<std::string>> rows,
               const std::string& output) {
  std::string out;
  if (output == "json") {
    JsonWriter w(&out);
    w.begin_array();
    for (const auto& row : rows) {
      w.begin_object();
      for (std::size_t i = 0; i < columns.size(); ++i) {
        w.key(columns[i].key);
        if (columns[i].number) {
          w.raw(row[i]);
        } else {
          w.string(row[i]);
        }
      }
      w.end_object();
    }
    w.end_array();
    out += '\n';
  } else {
    store::Table t;
    for (const Column& c : columns) t.columns.push_back(c.header);
    t.rows = std::move(rows);
    if (output == "csv") {
      store::render_csv(t, &out);
    } else {
      store::render_table(t, 80, &out);
    }
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
}

bool flows_fail(const Error& e, int* code) {
  std::fprintf(stderr, "sentinel: flows: %s\n", terminal_safe(e.message).c_str());
  *code = e.code == "usage" ? kExitUsage : kExitNothingReadable;
  return false;
}

std::string iso_s(int64_t s) {
  return format_iso8601(s * 1000);
}

void add_top(CLI::App* flows, int* code) {
  auto* c = flows->add_subcommand("top",
                                  "The biggest talkers: by source, destination, pair, "
                                  "port, interface or instance");
  auto o = std::make_shared<Common>();
  auto by = std::make_shared<std::string>("src");
  auto metric = std::make_shared<std::string>("bytes");
  auto action = std::make_shared<std::string>();
  auto limit = std::make_shared<std::size_t>(20);
  add_common(c, o.get());
  c->add_option("--by", *by, "src (default), dst, pair, port, eni or instance")
      ->check(CLI::IsMember({"src", "dst", "pair", "port", "eni", "instance"}));
  c->add_option("--metric", *metric, "bytes (default), packets or flows")
      ->check(CLI::IsMember({"bytes", "packets", "flows"}));
  c->add_option("--action", *action, "Only ACCEPT or REJECT records")
      ->check(CLI::IsMember({"ACCEPT", "REJECT", "accept", "reject"}));
  c->add_option("--limit", *limit, "Rows (default 20)");
  c->callback([=] {
    std::unique_ptr<store::Store> st;
    store::TopOptions t;
    if (!open_common(*o, code, &st, &t.since_s, &t.until_s)) return;
    t.by = *by == "dst"        ? store::FlowGroup::kDst
           : *by == "pair"     ? store::FlowGroup::kPair
           : *by == "port"     ? store::FlowGroup::kPort
           : *by == "eni"      ? store::FlowGroup::kEni
           : *by == "instance" ? store::FlowGroup::kInstance
                               : store::FlowGroup::kSrc;
    t.metric = *metric == "packets" ? store::FlowMetric::kPackets
               : *metric == "flows" ? store::FlowMetric::kFlows
                                    : store::FlowMetric::kBytes;
    t.action = action->empty()                                ? store::ActionFilter::kAny
               : (*action == "ACCEPT" || *action == "accept") ? store::ActionFilter::kAccept
                                                              : store::ActionFilter::kReject;
    t.limit = std::max<std::size_t>(*limit, 1);
    auto r = store::flows_top(*st, t, nullptr);
    if (!r) return (void)flows_fail(r.error(), code);
    const std::vector<Column> columns = {{*by, "key"},
                                         {"bytes", "bytes", true},
                                         {"packets", "packets", true},
                                         {"flows", "flows", true},
                                         {"accepted", "accepted", true},
                                         {"rejected", "rejected", true},
                                         {"first", "first"},
                                         {"last", "last"}};
    std::vector<std::vector<std::string>> rows;
    for (const auto& x : *r) {
      rows.push_back({x.key, std::to_string(x.bytes), std::to_string(x.packets),
                      std::to_string(x.flows), std::to_string(x.accepts), std::to_string(x.rejects),
                      iso_s(x.first), iso_s(x.last)});
    }
    emit_list(columns, std::move(rows), o->output);
    *code = kExitOk;
  });
}

void add_matrix(CLI::App* flows, int* code) {
  auto* c = flows->add_subcommand(
      "matrix", "Traffic between the networks named in sentinel.yaml (networks:)");
  auto o = std::make_shared<Common>();
  auto config_path = std::make_shared<std::string>();
  add_common(c, o.get());
  c->add_option("--config", *config_path,
                "sentinel.yaml with a networks: section (default ./sentinel.yaml when present)");
  c->callback([=] {
    std::string path = *config_path;
    if (path.empty() && ::access("sentinel.yaml", R_OK) == 0) path = "sentinel.yaml";
    config::Config cfg;
    std::vector<std::string> errors;
    store::NetworkMap nets;
    if (!config::load_config(path, &cfg, &errors) ||
        !store::parse_networks(config::section(cfg, "networks"), &nets.nets, &errors)) {
      for (const auto& e : errors) {
        std::fprintf(stderr, "sentinel: %s%s%s\n", terminal_safe(path).c_str(),
                     path.empty() ? "" : ": ", terminal_safe(e).c_str());
      }
      *code = kExitUsage;
      return;
    }
    if (nets.nets.empty()) {
      std::fprintf(stderr,
                   "sentinel: flows matrix: no networks: name them in sentinel.yaml, e.g.\n"
                   "  networks:\n    gateway: {cidrs: [10.0.0.0/16]}\n    backend: {vpcs: "
                   "[vpc-0abc], cidrs: [10.1.0.0/16]}\n"
                   "(addresses outside them show as (internet) or (other private))\n");
    }
    std::unique_ptr<store::Store> st;
    int64_t since_s, until_s;
    if (!open_common(*o, code, &st, &since_s, &until_s)) return;
    auto r = store::flows_matrix(*st, nets, since_s, until_s, nullptr);
    if (!r) return (void)flows_fail(r.error(), code);
    const std::vector<Column> columns = {{"from", "from"},         {"to", "to"},
                                         {"bytes", "bytes", true}, {"packets", "packets", true},
                                         {"flows", "flows", true}, {"rejected", "rejected", true}};
    std::vector<std::vector<std::string>> rows;
    for (const auto& x : *r) {
      rows.push_back({x.from, x.to, std::to_string(x.bytes), std::to_string(x.packets),
                      std::to_string(x.flows), std::to_string(x.rejects)});
    }
    emit_list(columns, std::move(rows), o->output);
    *code = kExitOk;
  });
}

void add_why(CLI::App* flows, int* code) {
  auto* c = flows->add_subcommand(
      "why", "Accepted and rejected flows between two addresses, who rejected, and a verdict");
  auto o = std::make_shared<Common>();
  auto a = std::make_shared<std::string>();
  auto b = std::make_shared<std::string>();
  auto port = std::make_shared<int>(0);
  c->add_option("SRC", *a, "The address that should reach DST")->required();
  c->add_option("DST", *b, "The address it should reach")->required();
  c->add_option("--port", *port, "Only flows on this port (either end)")
      ->check(CLI::Range(1, 65535));
  add_common(c, o.get(), false);
  c->callback([=] {
    std::unique_ptr<store::Store> st;
    int64_t since_s, until_s;
    if (!open_common(*o, code, &st, &since_s, &until_s)) return;
    auto r = store::flows_why(*st, *a, *b, *port, since_s, until_s, nullptr);
    if (!r) return (void)flows_fail(r.error(), code);
    std::string out;
    if (o->output == "json") {
      JsonWriter w(&out);
      w.begin_object();
      w.field("src", r->a);
      w.field("dst", r->b);
      w.field("acceptedForward", r->accepted_ab);
      w.field("rejectedForward", r->rejected_ab);
      w.field("acceptedBack", r->accepted_ba);
      w.field("rejectedBack", r->rejected_ba);
      w.field("verdict", r->verdict);
      w.key("groups");
      w.begin_array();
      for (const auto& g : r->groups) {
        w.begin_object();
        w.field("direction", g.direction);
        w.field("port", g.port);
        w.field("action", g.action);
        w.field("interface_id", g.interface_id);
        w.field("side", g.side);
        w.field("flows", g.flows);
        w.field("bytes", g.bytes);
        w.field("packets", g.packets);
        w.field("lastSeen", iso_s(g.last_seen));
        w.end_object();
      }
      w.end_array();
      w.end_object();
      out += '\n';
    } else {
      store::Table tab;
      tab.columns = {"direction", "port", "action", "flows", "bytes", "last seen", "where"};
      for (const auto& g : r->groups) {
        tab.rows.push_back({g.direction, g.port, g.action, std::to_string(g.flows),
                            std::to_string(g.bytes), iso_s(g.last_seen), g.side});
      }
      if (!tab.rows.empty()) store::render_table(tab, 100, &out);
      out += "verdict: ";
      append_terminal_safe(&out, r->verdict);
      out += '\n';
    }
    std::fwrite(out.data(), 1, out.size(), stdout);
    *code = kExitOk;
  });
}

void add_volume(CLI::App* flows, int* code) {
  auto* c = flows->add_subcommand(
      "volume", "Bytes over time per instance or interface, and intervals far above baseline");
  auto o = std::make_shared<Common>();
  auto by = std::make_shared<std::string>("eni");
  auto interval = std::make_shared<std::string>("1h");
  auto entity = std::make_shared<std::string>();
  auto threshold = std::make_shared<double>(3.5);
  auto series = std::make_shared<bool>(false);
  auto limit = std::make_shared<std::size_t>(20);
  add_common(c, o.get(), false);
  c->add_option("--by", *by, "eni (default) or instance")
      ->check(CLI::IsMember({"eni", "instance"}));
  c->add_option("--interval", *interval, "Bucket size (default 1h; 5m, 1d...)");
  c->add_option("--entity", *entity, "Only this interface or instance");
  c->add_option("--threshold", *threshold, "Robust z-score that counts as far above (3.5)");
  c->add_flag("--series", *series, "List every interval, not only the outliers");
  c->add_option("--limit", *limit, "Entities listed, by total bytes (default 20)");
  c->callback([=] {
    store::VolumeOptions v;
    int64_t ms;
    if (!store::parse_span_ms(*interval, &ms) || ms < 1000) {
      std::fprintf(stderr, "sentinel: flows volume: --interval '%s' is not a duration (5m, 1h)\n",
                   terminal_safe(*interval).c_str());
      *code = kExitUsage;
      return;
    }
    v.interval_s = ms / 1000;
    v.by_instance = *by == "instance";
    v.threshold = *threshold;
    v.entity = *entity;
    std::unique_ptr<store::Store> st;
    if (!open_common(*o, code, &st, &v.since_s, &v.until_s)) return;
    auto r = store::flows_volume(*st, v, nullptr);
    if (!r) return (void)flows_fail(r.error(), code);
    std::string out;
    if (o->output == "json") {
      JsonWriter w(&out);
      w.begin_array();
      std::size_t n = 0;
      for (const auto& s : *r) {
        if (n++ >= *limit) break;
        w.begin_object();
        w.field("entity", s.entity);
        w.field("bytes", s.total);
        w.field("median", s.median);
        w.field("mad", s.mad);
        w.key("intervals");
        w.begin_array();
        for (const auto& p : s.points) {
          if (!*series && !p.outlier) continue;
          w.begin_object();
          w.field("start", iso_s(p.start));
          w.field("bytes", p.bytes);
          w.field("z", std::round(p.z * 100) / 100);
          w.field("outlier", p.outlier);
          w.end_object();
        }
        w.end_array();
        w.end_object();
      }
      w.end_array();
      out += '\n';
    } else {
      store::Table tab;
      tab.columns = {*by, "interval", "bytes", "baseline (median)", "MAD", "z", ""};
      std::size_t n = 0;
      for (const auto& s : *r) {
        if (n++ >= *limit) break;
        bool any = false;
        for (const auto& p : s.points) {
          if (!*series && !p.outlier) continue;
          any = true;
          char z[32];
          std::snprintf(z, sizeof z, "%.1f", p.z);
          tab.rows.push_back({s.entity, iso_s(p.start), std::to_string(p.bytes),
                              std::to_string(static_cast<int64_t>(s.median)),
                              std::to_string(static_cast<int64_t>(s.mad)), z,
                              p.outlier ? "FAR ABOVE" : ""});
        }
        if (!any) {
          tab.rows.push_back({s.entity, std::to_string(s.points.size()) + " intervals",
                              std::to_string(s.total),
                              std::to_string(static_cast<int64_t>(s.median)),
                              std::to_string(static_cast<int64_t>(s.mad)), "", "no outlier"});
        }
      }
      store::render_table(tab, 80, &out);
    }
    std::fwrite(out.data(), 1, out.size(), stdout);
    *code = kExitOk;
  });
}

}  // namespace

void add_flows_command(CLI::App& app, int* code) {
  auto* flows = app.add_subcommand("flows", "Network analytics over the store's VPC flow records");
  flows->require_subcommand(1);
  add_top(flows, code);
  add_matrix(flows, code);
  add_why(flows, code);
  add_volume(flows, code);
}

namespace {
const CommandRegistration kFlowsRegistration{55, &add_flows_command};
}  // namespace

}  // namespace sentinel::cli

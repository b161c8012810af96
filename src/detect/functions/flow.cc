#include "detect/functions/flow.h"

#include <algorithm>
#include <array>
#include <charconv>

#include "detect/event_view.h"
#include "detect/functions/dns.h"

namespace sentinel::detect::functions {

namespace {

// Registered ports (≥ 1024) of services that are exposed or attacked often enough that a
// connection to them is a connection to that service. Sorted, for binary search.
constexpr std::array<int, 52> kServicePorts = {
    1080, 1194, 1433, 1434, 1521, 1723, 1883, 2049,  2181,  2375,  2376,  2379,  2380,
    3000, 3128, 3306, 3389, 4222, 4369, 5000, 5432,  5601,  5671,  5672,  5900,  5984,
    5985, 5986, 6379, 6443, 7001, 8000, 8080, 8081,  8200,  8443,  8500,  8888,  9000,
    9042, 9090, 9092, 9100, 9200, 9300, 9443, 10000, 10250, 11211, 15672, 27017, 50051};

// The first value of `f` as a number: a number, or text that is one.
bool flow_number_of(const EventView& ev, const FieldRef& f, double* out) {
  Value v;
  if (!first_value(ev, f, &v)) return false;
  if (v.kind == Value::Kind::kNumber) {
    *out = v.number;
    return true;
  }
  if (v.kind != Value::Kind::kString || v.str.empty()) return false;
  const char* end = v.str.data() + v.str.size();
  auto r = std::from_chars(v.str.data(), end, *out);
  return r.ec == std::errc() && r.ptr == end;
}

bool port_of(const EventView& ev, const FieldRef& f, int64_t* out) {
  double d;
  if (!flow_number_of(ev, f, &d) || d < 0 || d > 65535 ||
      d != static_cast<double>(static_cast<int64_t>(d))) {
    return false;
  }
  *out = static_cast<int64_t>(d);
  return true;
}

void set_bool(Value* out, bool b) {
  *out = Value{};
  out->kind = Value::Kind::kBool;
  out->boolean = b;
}

}  // namespace

bool service_port(int64_t port) {
  if (port < 0 || port > 65535) return false;
  if (port < 1024) return true;
  return std::binary_search(kServicePorts.begin(), kServicePorts.end(), static_cast<int>(port));
}

bool dst_is_service(int64_t srcport, int64_t dstport) {
  const bool s = service_port(srcport), d = service_port(dstport);
  if (d != s) return d;
  return dstport <= srcport;
}

bool RatioFunction::call(const EventView& ev, const std::vector<FieldRef>& args, Value* out,
                         std::string*) const {
  double a, b;
  if (args.size() != 2 || !flow_number_of(ev, args[0], &a) || !flow_number_of(ev, args[1], &b) ||
      b == 0) {
    return false;
  }
  set_number(out, a / b);
  return true;
}

bool PerSecondFunction::call(const EventView& ev, const std::vector<FieldRef>& args, Value* out,
                             std::string*) const {
  double v, start, end;
  if (args.size() != 3 || !flow_number_of(ev, args[0], &v) ||
      !flow_number_of(ev, args[1], &start) || !flow_number_of(ev, args[2], &end)) {
    return false;
  }
  set_number(out, v / std::max(1.0, end - start));
  return true;
}

bool IsServicePortFunction::call(const EventView& ev, const std::vector<FieldRef>& args, Value* out,
                                 std::string*) const {
  int64_t p;
  if (args.size() != 1 || !port_of(ev, args[0], &p)) return false;
  set_bool(out, service_port(p));
  return true;
}

bool FlowToServiceFunction::call(const EventView& ev, const std::vector<FieldRef>& args, Value* out,
                                 std::string*) const {
  int64_t s, d;
  if (args.size() != 2 || !port_of(ev, args[0], &s) || !port_of(ev, args[1], &d)) return false;
  set_bool(out, dst_is_service(s, d));
  return true;
}

}  // namespace sentinel::detect::functions

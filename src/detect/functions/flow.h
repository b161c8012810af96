#pragma once
/// Functions over flow-record numbers: `ratio`, `per_second`, `is_service_port`,
/// `flow_to_service`. Each reads the first non-null value of its field arguments as a number
/// (a flow field, a JSON number, or text that is a decimal number) and gives no value when one
/// is missing or not a number.
#include <cstdint>

#include "detect/ir/predicate.h"

namespace sentinel::detect::functions {

/// Ports that name a service: every port below 1024, and the registered ports of services that
/// are commonly exposed or attacked (databases, remote administration, caches, message brokers,
/// Kubernetes, Elasticsearch, ...). The table is in flow.cc and in docs/enrichment.md.
bool service_port(int64_t port);

/// Which side of a flow is the service: true when `dstport` looks like the service port of the
/// pair (the record is the client-to-server direction), false when `srcport` does (a server's
/// answer). One side in service_port() and not the other decides; otherwise the lower port is
/// the service, and equal ports are read as client-to-server.
bool dst_is_service(int64_t srcport, int64_t dstport);

/// `ratio(a, b)`: a / b (no value when b is 0). Mean packet size is `ratio(bytes, packets)`.
class RatioFunction : public Function {
 public:
  bool call(const EventView& ev, const std::vector<FieldRef>& args, Value* out,
            std::string* buf) const override;
};

/// `per_second(v, start, end)`: v / max(1, end - start), with start and end in seconds (flow
/// records): the rate of a flow's packets or bytes over its capture window.
class PerSecondFunction : public Function {
 public:
  bool call(const EventView& ev, const std::vector<FieldRef>& args, Value* out,
            std::string* buf) const override;
};

/// `is_service_port(port)`: service_port(port), a boolean.
class IsServicePortFunction : public Function {
 public:
  bool call(const EventView& ev, const std::vector<FieldRef>& args, Value* out,
            std::string* buf) const override;
};

/// `flow_to_service(srcport, dstport)`: dst_is_service(srcport, dstport), a boolean: the record
/// carries the client's side of a connection to the service at dstport.
class FlowToServiceFunction : public Function {
 public:
  bool call(const EventView& ev, const std::vector<FieldRef>& args, Value* out,
            std::string* buf) const override;
};

}  // namespace sentinel::detect::functions

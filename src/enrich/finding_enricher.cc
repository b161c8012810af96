#include "enrich/finding_enricher.h"

#include <simdjson.h>

#include <string>

#include "core/json_writer.h"

namespace sentinel::enrich {

namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

// Copies `el` to `w`, replacing remoteIpDetails objects that hold an address.
void copy(element el, const GeoDb& geo, JsonWriter& w, int* enriched) {
  switch (el.type()) {
    case element_type::OBJECT: {
      simdjson::dom::object obj = el.get_object().value_unsafe();
      w.begin_object();
      for (auto [k, v] : obj) {
        w.key(k);
        if (k == "remoteIpDetails" && v.type() == element_type::OBJECT) {
          std::string_view text;
          element a;
          simdjson::dom::object details = v.get_object().value_unsafe();
          if ((details["ipAddressV4"].get(a) == simdjson::SUCCESS ||
               details["ipAddressV6"].get(a) == simdjson::SUCCESS) &&
              a.get_string().get(text) == simdjson::SUCCESS) {
            IpAddr ip;
            if (IpAddr::parse(text, &ip)) {
              GeoInfo g;
              const bool found = geo.lookup(ip, &g);
              write_remote_ip_details(ip, found ? &g : nullptr, &w);
              if (found) ++*enriched;
              continue;
            }
          }
        }
        copy(v, geo, w, enriched);
      }
      w.end_object();
      return;
    }
    case element_type::ARRAY: {
      simdjson::dom::array arr = el.get_array().value_unsafe();
      w.begin_array();
      for (element item : arr) copy(item, geo, w, enriched);
      w.end_array();
      return;
    }
    case element_type::STRING:
      w.string(el.get_string().value_unsafe());
      return;
    case element_type::INT64:
      w.number(el.get_int64().value_unsafe());
      return;
    case element_type::UINT64:
      w.number(el.get_uint64().value_unsafe());
      return;
    case element_type::DOUBLE:
      w.number(el.get_double().value_unsafe());
      return;
    case element_type::BOOL:
      w.boolean(el.get_bool().value_unsafe());
      return;
    case element_type::NULL_VALUE:
      w.null();
      return;
  }
}

}  // namespace

int enrich_remote_ips(findings::Finding* f, const GeoDb& geo) {
  if (f->action_json.find("remoteIpDetails") == std::string::npos) return 0;
  thread_local simdjson::dom::parser parser;
  element root;
  if (parser.parse(f->action_json).get(root) != simdjson::SUCCESS) return 0;
  std::string out;
  JsonWriter w(&out);
  int enriched = 0;
  copy(root, geo, w, &enriched);
  f->action_json = std::move(out);
  return enriched;
}

}  // namespace sentinel::enrich

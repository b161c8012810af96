#include <charconv>

#include "core/json_writer.h"
#include "detect/rules/rule.h"

namespace sentinel::detect {

namespace {

// Variables a stateful hit provides; a placeholder naming one of these is not a field.
bool is_var_name(std::string_view n) {
  return n == "count" || n == "distinct" || n == "window" || n == "value" || n == "values" ||
         n == "steps" || n == "group" || n == "first_seen" || n == "last_seen" || n == "sum" ||
         n == "baseline" || n == "lists";
}

}  // namespace

bool Template::compile(std::string_view text, Template* out, std::string* error) {
  Template t;
  std::string literal;
  std::size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (c == '{' && i + 1 < text.size() && text[i + 1] == '{') {
      literal.push_back('{');
      i += 2;
      continue;
    }
    if (c == '}' && i + 1 < text.size() && text[i + 1] == '}') {
      literal.push_back('}');
      i += 2;
      continue;
    }
    if (c != '{') {
      literal.push_back(c);
      ++i;
      continue;
    }
    std::size_t close = text.find('}', i);
    if (close == std::string_view::npos) {
      *error = "unclosed '{' in template \"" + std::string(text) + "\"";
      return false;
    }
    if (!literal.empty()) {
      t.parts.push_back(Part{false, literal, false, {}});
      literal.clear();
    }
    std::string_view name = text.substr(i + 1, close - i - 1);
    Part p;
    if (is_var_name(name)) {
      p.is_var = true;
      p.text = std::string(name);
    } else {
      p.is_field = true;
      if (!FieldRef::parse(name, &p.field, error)) return false;
    }
    t.parts.push_back(std::move(p));
    i = close + 1;
  }
  if (!literal.empty()) t.parts.push_back(Part{false, literal, false, {}});
  *out = std::move(t);
  return true;
}

std::string Template::render(const EventView* ev,
                             const std::vector<std::pair<std::string, std::string>>& vars) const {
  std::string out;
  std::string buf;
  for (const Part& p : parts) {
    if (p.is_field) {
      if (ev != nullptr) {
        ev->first_text(p.field, &buf);
        out += buf;
      } else {
        // No live event (a stateful hit closed by time): the operator captured the fields.
        for (const auto& [k, v] : vars) {
          if (k == p.field.text) {
            out += v;
            break;
          }
        }
      }
    } else if (p.is_var) {
      for (const auto& [k, v] : vars) {
        if (k == p.text) {
          out += v;
          break;
        }
      }
    } else {
      out += p.text;
    }
  }
  return out;
}

namespace {

// Renders `n`; returns false when it renders to nothing (an empty string, or an object/array all
// of whose members vanished), so absent event fields leave no empty keys behind.
bool render_node(const JsonTemplate::Node& n, const EventView* ev,
                 const std::vector<std::pair<std::string, std::string>>& vars, JsonWriter& w,
                 const std::string* key) {
  using Kind = JsonTemplate::Node::Kind;
  switch (n.kind) {
    case Kind::kString: {
      std::string s = n.text.render(ev, vars);
      if (s.empty()) return false;
      if (key != nullptr) w.key(*key);
      w.string(s);
      return true;
    }
    case Kind::kNumber:
      if (key != nullptr) w.key(*key);
      w.number(n.number);
      return true;
    case Kind::kBool:
      if (key != nullptr) w.key(*key);
      w.boolean(n.boolean);
      return true;
    case Kind::kNull:
      return false;
    case Kind::kObject: {
      std::string inner;
      JsonWriter iw(&inner);
      iw.begin_object();
      bool any = false;
      for (const auto& [k, child] : n.members) any |= render_node(child, ev, vars, iw, &k);
      iw.end_object();
      if (!any) return false;
      if (key != nullptr) w.key(*key);
      w.raw(inner);
      return true;
    }
    case Kind::kArray: {
      std::string inner;
      JsonWriter iw(&inner);
      iw.begin_array();
      bool any = false;
      for (const auto& child : n.items) any |= render_node(child, ev, vars, iw, nullptr);
      iw.end_array();
      if (!any) return false;
      if (key != nullptr) w.key(*key);
      w.raw(inner);
      return true;
    }
  }
  return false;
}

}  // namespace

std::string JsonTemplate::render(
    const EventView* ev, const std::vector<std::pair<std::string, std::string>>& vars) const {
  std::string out;
  JsonWriter w(&out);
  if (!render_node(root, ev, vars, w, nullptr)) return {};
  return out;
}

double Severity::eval(const EventView* ev, const EvalContext& ctx) const {
  if (ev != nullptr) {
    for (const Case& c : cases) {
      if (c.when.eval(*ev, ctx)) return c.value;
    }
  }
  return value;
}

}  // namespace sentinel::detect

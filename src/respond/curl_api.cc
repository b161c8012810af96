#include "respond/curl_api.h"

#include <dlfcn.h>

namespace sentinel::respond {

namespace {

struct Loaded {
  CurlApi api;
  std::string error;
  bool ok = false;
};

template <typename F>
bool bind(void* lib, const char* name, F* out, std::string* error) {
  void* sym = ::dlsym(lib, name);
  if (sym == nullptr) {
    *error = std::string("libcurl.so.4 has no ") + name;
    return false;
  }
  *out = reinterpret_cast<F>(sym);
  return true;
}

Loaded load() {
  Loaded l;
  void* lib = ::dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
  if (lib == nullptr) {
    const char* why = ::dlerror();
    l.error = std::string("cannot load libcurl.so.4 (Debian package libcurl4): ") +
              (why != nullptr ? why : "unknown reason");
    return l;
  }
  CurlApi& a = l.api;
  l.ok = bind(lib, "curl_global_init", &a.global_init, &l.error) &&
         bind(lib, "curl_easy_init", &a.easy_init, &l.error) &&
         bind(lib, "curl_easy_setopt", &a.easy_setopt, &l.error) &&
         bind(lib, "curl_easy_perform", &a.easy_perform, &l.error) &&
         bind(lib, "curl_easy_getinfo", &a.easy_getinfo, &l.error) &&
         bind(lib, "curl_easy_cleanup", &a.easy_cleanup, &l.error) &&
         bind(lib, "curl_easy_strerror", &a.easy_strerror, &l.error) &&
         bind(lib, "curl_slist_append", &a.slist_append, &l.error) &&
         bind(lib, "curl_slist_free_all", &a.slist_free_all, &l.error);
  if (l.ok && a.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    l.ok = false;
    l.error = "curl_global_init failed";
  }
  // The library stays loaded for the life of the process (never dlclose'd).
  return l;
}

}  // namespace

const CurlApi* curl_api(std::string* error) {
  static const Loaded loaded = load();
  if (!loaded.ok) {
    *error = loaded.error;
    return nullptr;
  }
  return &loaded.api;
}

}  // namespace sentinel::respond

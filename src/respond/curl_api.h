#pragma once
// libcurl, loaded when the first webhook is sent (dlopen of libcurl.so.4) rather than linked:
// linking it maps ~27 more shared libraries (TLS, LDAP, Kerberos, SSH, ...) into every sentinel
// process, about 5 ms of start-up for every command, while only `respond` ever sends a request.
#include <curl/curl.h>

#include <string>

namespace sentinel::respond {

/// The libcurl functions the webhook action calls.
struct CurlApi {
  CURLcode (*global_init)(long flags) = nullptr;
  CURL* (*easy_init)() = nullptr;
  CURLcode (*easy_setopt)(CURL* handle, CURLoption option, ...) = nullptr;
  CURLcode (*easy_perform)(CURL* handle) = nullptr;
  CURLcode (*easy_getinfo)(CURL* handle, CURLINFO info, ...) = nullptr;
  void (*easy_cleanup)(CURL* handle) = nullptr;
  const char* (*easy_strerror)(CURLcode code) = nullptr;
  curl_slist* (*slist_append)(curl_slist* list, const char* text) = nullptr;
  void (*slist_free_all)(curl_slist* list) = nullptr;
};

/// Loads libcurl once (thread-safe) and runs curl_global_init; null with `error` set (naming the
/// library and the loader's reason) when it cannot be loaded.
const CurlApi* curl_api(std::string* error);

}  // namespace sentinel::respond

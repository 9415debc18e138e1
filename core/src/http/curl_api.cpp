#include "http/curl_api.hpp"

#include <dlfcn.h>

#include <mutex>
#include <string>

namespace pinnipedci::http {
namespace {

template<typename F> bool bind(void* library, const char* name, F& target)
{
  void* symbol = ::dlsym(library, name);
  if (symbol == nullptr) {
    return false;
  }
  target = reinterpret_cast<F>(symbol);
  return true;
}

struct Loaded
{
  CurlApi api{};
  std::string error;
};

Loaded load()
{
  Loaded out;
  void* library = ::dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
  if (library == nullptr) {
    const char* why = ::dlerror();
    out.error = std::string("could not load libcurl.so.4 (install the libcurl4 package): ") + (why ? why : "");
    return out;
  }
  CurlApi& a = out.api;
  bool ok = bind(library, "curl_global_init", a.global_init) && bind(library, "curl_easy_init", a.easy_init) &&
            bind(library, "curl_easy_cleanup", a.easy_cleanup) && bind(library, "curl_easy_reset", a.easy_reset) &&
            bind(library, "curl_easy_setopt", a.easy_setopt) && bind(library, "curl_easy_perform", a.easy_perform) &&
            bind(library, "curl_easy_getinfo", a.easy_getinfo) &&
            bind(library, "curl_easy_strerror", a.easy_strerror) && bind(library, "curl_share_init", a.share_init) &&
            bind(library, "curl_share_setopt", a.share_setopt) &&
            bind(library, "curl_share_cleanup", a.share_cleanup) &&
            bind(library, "curl_slist_append", a.slist_append) &&
            bind(library, "curl_slist_free_all", a.slist_free_all);
  if (!ok) {
    out.error = "libcurl.so.4 lacks an expected function; install libcurl4 7.88 or newer";
    return out;
  }
  a.global_init(CURL_GLOBAL_DEFAULT);
  // The library stays loaded for the life of the process.
  return out;
}

} // namespace

Result<const CurlApi*> curl_api()
{
  static const Loaded loaded = load();
  if (!loaded.error.empty()) {
    return fail(ErrorKind::internal, loaded.error);
  }
  return &loaded.api;
}

} // namespace pinnipedci::http

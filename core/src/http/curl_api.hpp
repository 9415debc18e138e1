// libcurl, loaded on first use with dlopen. The exec plugin's warm path (a credential-cache hit)
// never needs HTTP, and loading libcurl with its ~30 dependent libraries costs more than the rest
// of that path; so the binary does not link libcurl and only loads it when a request is sent.
#pragma once

#include <pinnipedci/error.hpp>

#include <curl/curl.h>

namespace pinnipedci::http {

struct CurlApi
{
  CURLcode (*global_init)(long);
  CURL* (*easy_init)();
  void (*easy_cleanup)(CURL*);
  void (*easy_reset)(CURL*);
  CURLcode (*easy_setopt)(CURL*, CURLoption, ...);
  CURLcode (*easy_perform)(CURL*);
  CURLcode (*easy_getinfo)(CURL*, CURLINFO, ...);
  const char* (*easy_strerror)(CURLcode);
  CURLSH* (*share_init)();
  CURLSHcode (*share_setopt)(CURLSH*, CURLSHoption, ...);
  CURLSHcode (*share_cleanup)(CURLSH*);
  curl_slist* (*slist_append)(curl_slist*, const char*);
  void (*slist_free_all)(curl_slist*);
};

// Loads libcurl.so.4 (the OpenSSL flavour) once and calls curl_global_init. Thread-safe.
// Fails with ErrorKind::internal when the library is missing (install libcurl4).
Result<const CurlApi*> curl_api();

} // namespace pinnipedci::http

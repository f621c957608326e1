/*
 * glibc's malloc_trim(0) for Node.js: the one call that hands free pages in the middle of malloc's heaps back to
 * the system. glibc gives back only the top of a heap on its own, so after a burst of traffic a long-running
 * process keeps tens of megabytes of freed native memory (socket buffers, TLS state) resident for good.
 * Exports trim() -> boolean (whether anything was released); false where the C library is not glibc.
 */
#include <node_api.h>
#include <stdbool.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

static napi_value Trim(napi_env env, napi_callback_info info) {
  (void)info;
  bool released = false;
#ifdef __GLIBC__
  released = malloc_trim(0) != 0;
#endif
  napi_value result;
  napi_get_boolean(env, released, &result);
  return result;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  if (napi_create_function(env, "trim", NAPI_AUTO_LENGTH, Trim, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "trim", fn) != napi_ok) return NULL;
  return exports;
}

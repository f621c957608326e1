/*
 * A file mapped into memory, shared with the page cache, for the crash journal: what JavaScript writes into the
 * returned ArrayBuffer is in the file as soon as it is written, with no system call, and stays there if the
 * process is killed (not if the machine stops: nothing is synced). The file's blocks are allocated first, so a
 * full disk is an error here rather than a SIGBUS at the first write. The mapping is undone when the ArrayBuffer
 * is collected. Exports map(fd, bytes) -> ArrayBuffer; it throws if the file cannot be allocated or mapped.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <node_api.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

static void Unmap(napi_env env, void* data, void* hint) {
  (void)env;
  munmap(data, (size_t)(uintptr_t)hint);
}

static napi_value Map(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int32_t fd;
  int64_t bytes;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2 ||
      napi_get_value_int32(env, argv[0], &fd) != napi_ok || napi_get_value_int64(env, argv[1], &bytes) != napi_ok || bytes <= 0) {
    napi_throw_type_error(env, NULL, "map(fd, bytes): a file descriptor and a positive size");
    return NULL;
  }
  int err = posix_fallocate(fd, 0, (off_t)bytes);
  if (err != 0) {
    napi_throw_error(env, NULL, strerror(err));
    return NULL;
  }
  void* addr = mmap(NULL, (size_t)bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (addr == MAP_FAILED) {
    napi_throw_error(env, NULL, strerror(errno));
    return NULL;
  }
  napi_value buffer;
  if (napi_create_external_arraybuffer(env, addr, (size_t)bytes, Unmap, (void*)(uintptr_t)bytes, &buffer) != napi_ok) {
    munmap(addr, (size_t)bytes);
    napi_throw_error(env, NULL, "cannot hand the mapping to JavaScript");
    return NULL;
  }
  return buffer;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  if (napi_create_function(env, "map", NAPI_AUTO_LENGTH, Map, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "map", fn) != napi_ok) return NULL;
  return exports;
}

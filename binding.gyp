{
  "targets": [
    {
      "target_name": "telem_native",
      "sources": ["native/telem_native.c"],
      "defines": ["NAPI_VERSION=8"],
      "cflags": ["-Wall", "-Wextra"]
    }
  ]
}

{
  "targets": [
    {
      "target_name": "kfts",
      "sources": ["native/kfts.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}

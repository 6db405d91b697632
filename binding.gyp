{
  "targets": [
    {
      "target_name": "ringkv_native",
      "sources": ["native/addon.cc", "native/md5.cc", "native/merkle.cc", "native/lock.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_CPP_EXCEPTIONS", "NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-fexceptions"],
      "configurations": {
        "Release": {
          "cflags": ["-O3"],
          "xcode_settings": { "GCC_OPTIMIZATION_LEVEL": "3" }
        }
      },
      "xcode_settings": { "GCC_ENABLE_CPP_EXCEPTIONS": "YES" },
      "msvs_settings": { "VCCLCompilerTool": { "ExceptionHandling": 1 } }
    }
  ]
}

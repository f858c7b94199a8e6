{
  # Two addons, so the sandbox never depends on libbpf: the broker keeps
  # working on hosts where the tracer cannot load, and the tracer reports why.
  # Plus zviz-init, the static PID 1 the broker gives each container,
  # zviz-spawn, the static program each container's first process executes, and
  # zviz_tracer_testing, the BPF programs only benchmarks and tests load
  # (native/testing/exports.cc): built here so CI has it, never packaged.
  "target_defaults": {
    "include_dirs": [
      "<!(node -p \"require('node-addon-api').include_dir\")",
      "native/src"
    ],
    "defines": [
      "NAPI_VERSION=8",
      "NAPI_DISABLE_CPP_EXCEPTIONS",
      "NODE_ADDON_API_DISABLE_DEPRECATED"
    ],
    "cflags!": ["-fno-exceptions"],
    "cflags_cc!": ["-fno-exceptions", "-std=gnu++17"],
    "cflags": ["-O2", "-Wall", "-Wextra"],
    "cflags_cc": ["-std=c++20", "-O2", "-Wall", "-Wextra", "-fno-exceptions"]
  },
  "targets": [
    {
      "target_name": "zviz_broker",
      "sources": ["<!@(ls -1 native/src/broker/*.cc native/src/common/*.cc 2>/dev/null || true)"],
      "libraries": ["-lseccomp", "-lpthread"]
    },
    {
      # PID 1 of each container's PID namespace (native/src/init/init.c): a
      # static executable the broker runs next to itself, so the process that
      # lives as long as a container is not a copy of the agent's memory and
      # depends on no library in the workload's file system view.
      "target_name": "zviz-init",
      "type": "executable",
      "sources": ["native/src/init/init.c"],
      "cflags": ["-std=gnu11", "-Werror"],
      "ldflags": ["-static", "-s"]
    },
    {
      # A container's first process from its execve on (native/src/spawn/):
      # the broker's first process shares the agent's memory only until it
      # executes this, so no container start copies the agent. Static like
      # zviz-init, so it runs the same wherever the addon was put.
      "target_name": "zviz-spawn",
      "type": "executable",
      "sources": ["<!@(ls -1 native/src/spawn/*.cc)", "native/src/broker/fdpass.cc"],
      "ldflags": ["-static", "-s"]
    },
    {
      "target_name": "zviz_tracer",
      "sources": ["<!@(ls -1 native/src/tracer/*.cc native/src/common/*.cc 2>/dev/null || true)"],
      "include_dirs": ["bpf/build"],
      "libraries": ["-lbpf", "-lelf", "-lz", "-lseccomp", "-lpthread"]
    },
    {
      "target_name": "zviz_tracer_testing",
      "sources": ["<!@(ls -1 native/testing/*.cc)"],
      "include_dirs": ["bpf/build"],
      "libraries": ["-lbpf", "-lelf", "-lz"]
    }
  ]
}

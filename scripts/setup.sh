#!/usr/bin/env bash
# Installs what ZViz needs to build, run and test, where it is missing:
# Debian packages (as root) and the npm dependencies from the lockfile.
# Safe to run again: it does nothing when everything is present.
set -euo pipefail
cd "$(dirname "$0")/.."

# command-or-file -> Debian package that provides it
declare -A NEEDS=(
  [clang]=clang
  [llvm-strip]=llvm
  [bpftool]=bpftool
  [/usr/include/bpf/libbpf.h]=libbpf-dev
  [/usr/include/libelf.h]=libelf-dev
  [/usr/include/zlib.h]=zlib1g-dev
  [/usr/include/seccomp.h]=libseccomp-dev
  [make]=make
  [g++]=g++
  [python3]=python3
  [prometheus]=prometheus
  [promtool]=prometheus
  [chromium]=chromium
  [bpftrace]=bpftrace
  [hyperfine]=hyperfine
  [zip]=zip
  [unzip]=unzip
  [openssl]=openssl
  [pgrep]=procps
  [systemd-analyze]=systemd
  # scripts/fresh-machine/check.sh builds its Debian rootfs with it.
  [debootstrap]=debootstrap
)

# The agent package also carries linux-arm64 addons, cross-built when it is
# packed (agent/scripts/prebuild.mjs): Debian's cross compiler and the arm64
# libraries they link. qemu-user lets the tests load them in an arm64 Node.
if [[ $(dpkg --print-architecture) == amd64 ]]; then
  NEEDS+=(
    [aarch64-linux-gnu-g++]=g++-aarch64-linux-gnu
    [/usr/lib/aarch64-linux-gnu/libbpf.so]=libbpf-dev:arm64
    [/usr/lib/aarch64-linux-gnu/libelf.so]=libelf-dev:arm64
    [/usr/lib/aarch64-linux-gnu/libz.so]=zlib1g-dev:arm64
    [/usr/lib/aarch64-linux-gnu/libseccomp.so]=libseccomp-dev:arm64
    [/usr/lib/aarch64-linux-gnu/libstdc++.so.6]=libstdc++6:arm64
    [qemu-aarch64-static]=qemu-user-static
  )
fi

missing=()
for need in "${!NEEDS[@]}"; do
  if [[ "$need" == /* ]]; then
    [[ -e "$need" ]] && continue
  else
    command -v "$need" >/dev/null 2>&1 && continue
  fi
  missing+=("${NEEDS[$need]}")
done

if ((${#missing[@]})); then
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  if [[ $(id -u) -ne 0 ]]; then
    echo "setup: missing Debian packages: ${missing[*]}" >&2
    echo "setup: run as root, or: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if [[ " ${missing[*]}" == *:arm64* ]] && ! dpkg --print-foreign-architectures | grep -qx arm64; then
    dpkg --add-architecture arm64
  fi
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Go: the conformance test's module and the Go tools below name the Go they
# need (test/conformance/go.mod's `go` line). Go 1.21 and newer fetch a newer
# toolchain from the Go module proxy by themselves (GOTOOLCHAIN=auto); older
# ones, Debian 12's 1.19 among them, cannot.
GO_NEEDED=$(sed -n 's/^go \([0-9.]*\)$/\1/p' test/conformance/go.mod)
if ! command -v go >/dev/null 2>&1; then
  echo "setup: Go is missing; the Grafana SDK conformance test needs Go $GO_NEEDED, or Go 1.21+ to fetch it (https://go.dev/dl)" >&2
  # go.dev's archive installs there and its PATH line goes into a user's
  # profile, which sudo's secure_path and non-login shells do not read.
  if [[ -x /usr/local/go/bin/go ]]; then
    echo "setup: /usr/local/go/bin/go is there but not on PATH (sudo resets PATH): export PATH=/usr/local/go/bin:\$PATH" >&2
  fi
  exit 1
fi
GO_HAVE=$(go env GOVERSION | sed 's/^go//')
if [[ $(printf '%s\n' "$GO_NEEDED" "$GO_HAVE" | sort -V | head -n1) != "$GO_NEEDED" ]]; then
  if [[ $(printf '%s\n' 1.21 "$GO_HAVE" | sort -V | head -n1) != 1.21 || $(go env GOTOOLCHAIN) == local ]]; then
    echo "setup: Go $GO_HAVE is too old: the conformance test needs Go $GO_NEEDED; install it (https://go.dev/dl), or use Go 1.21+ with GOTOOLCHAIN=auto, which fetches it" >&2
    exit 1
  fi
  echo "setup: Go $GO_HAVE will fetch Go $GO_NEEDED from the Go module proxy when it first builds (GOTOOLCHAIN=auto)"
fi

# kustomize renders the Kubernetes manifests in the deploy tests; Debian does
# not package it, the Go module proxy does.
if ! command -v kustomize >/dev/null 2>&1; then
  if [[ $(id -u) -ne 0 ]]; then
    echo "setup: kustomize is missing; run as root, or: go install sigs.k8s.io/kustomize/kustomize/v5@v5.5.0" >&2
    exit 1
  fi
  echo "setup: installing kustomize from the Go module proxy"
  GOBIN=/usr/local/bin go install sigs.k8s.io/kustomize/kustomize/v5@v5.5.0
fi

# VictoriaMetrics (single node): the scale-out store that the remote-write
# test compares with Prometheus (test/store). Debian does not package it; it is
# built from the Go module proxy into the tools cache, never the repository.
# test/support/victoria-metrics.ts looks for it there, at this version.
VM_VERSION=v1.151.0
TOOLS_BIN="${ZVIZ_TOOLS_BIN:-${XDG_CACHE_HOME:-$HOME/.cache}/zviz/bin}"
if ! go version -m "$TOOLS_BIN/victoria-metrics" 2>/dev/null | grep -q "VictoriaMetrics/VictoriaMetrics[[:space:]]*$VM_VERSION"; then
  echo "setup: building VictoriaMetrics $VM_VERSION from the Go module proxy into $TOOLS_BIN"
  mkdir -p "$TOOLS_BIN"
  GOBIN="$TOOLS_BIN" go install "github.com/VictoriaMetrics/VictoriaMetrics/app/victoria-metrics@$VM_VERSION"
fi

# The Go modules' dependencies, into Go's module cache: the tests (the SDK
# conformance test, the manifests' schema test) and the backend benchmark's
# reference server then build without reaching the Go module proxy. Quick when
# they are cached already.
GO_MODULES=(test/conformance test/deploy/schema bench/backend/reference)
for module in "${GO_MODULES[@]}"; do
  (cd "$module" && go mod download) || {
    echo "setup: could not download the Go modules $module needs (go mod download in $module)" >&2
    exit 1
  }
done

# Install from the lockfile when node_modules is absent or older than it.
# `npm ci` never rewrites package-lock.json, so a fresh clone stays clean;
# the lockfile lists every platform's optional packages (test/install).
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "setup: installing npm dependencies from package-lock.json"
  npm ci --no-audit --no-fund --loglevel=error
fi

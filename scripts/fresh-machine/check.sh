#!/usr/bin/env bash
# Runs README's commands on a machine that has never seen ZViz: a Debian 12
# rootfs holding only what a new machine of this project's kind has (Go and
# Node.js copied from this host at the same paths; gcc, g++, make, cmake,
# python3 and git from Debian), then a clone of this repository in it (a mount
# namespace whose root it is), as root: scripts/setup.sh, npm ci, the build,
# the agent and packages test runners, and the demo for a minute. Prints each
# step's result, time and load and where its log is; exits non-zero if a step
# failed, left a process running or changed the clone's `git status`.
#
# Why: CI runs on a machine that still holds whatever anyone installed by hand,
# so a missing install step hides behind a green CI (docs/development.md).
# Not run by CI: it takes about 25 minutes and needs the Debian mirror and the
# registries.
#
#   scripts/fresh-machine/check.sh [--reuse] [step...]
#
# Steps, in order (default: all of these): clone setup npm-ci build test-agent
# test-packages demo. Also: `test-<runner>` for any other runner of `npm test`
# (test-conformance, test-browser, ...), `test-all` for every runner, and
# `checkout`, which moves an existing clone to the ref (with --reuse, to re-run
# one step after a fix without starting over).
#
# The rootfs is built once into $ZVIZ_FRESH_DIR/base and never changed after;
# each run writes into an overlay over it ($ZVIZ_FRESH_DIR/upper), wiped at the
# start of a run unless --reuse is given. All mounts live in a mount namespace
# of this script's own (unshare -m) and vanish with it.
#
# Environment:
#   ZVIZ_FRESH_DIR      where the rootfs lives (default /var/tmp/fresh)
#   ZVIZ_FRESH_MIRROR   Debian mirror for debootstrap (default: this host's apt source)
#   ZVIZ_FRESH_REF      commit to check (default: HEAD of this clone)
#   ZVIZ_FRESH_DEMO_SECONDS  how long the demo runs (default 60)
#   ZVIZ_FRESH_CLEAN=1  delete the whole rootfs and exit
#
# The whole script is one block, read before it runs: editing it while a run
# goes on does not change what that run does next.
{
set -euo pipefail

repo=$(git -C "$(dirname "$0")/../.." rev-parse --show-toplevel)
dir=${ZVIZ_FRESH_DIR:-/var/tmp/fresh}
base=$dir/base
logs=$dir/logs
all_steps=(clone setup npm-ci build test-agent test-packages demo)

die() {
  echo "fresh-machine: $*" >&2
  exit 2
}

[[ $(id -u) -eq 0 ]] || die "needs root (debootstrap, mounts, namespaces)"

# Deleting the rootfs while a host directory is still bind-mounted into it
# would delete the host's files: refuse when anything is mounted below $dir.
mounted_below() {
  findmnt -rn -o TARGET | grep -F "$dir/" || true
}

if [[ ${ZVIZ_FRESH_CLEAN:-} == 1 ]]; then
  [[ -z $(mounted_below) ]] || die "still mounted below $dir: $(mounted_below | tr '\n' ' ')"
  rm -rf --one-file-system "$dir"
  echo "fresh-machine: removed $dir"
  exit 0
fi

reuse=0
steps=()
namespace_role=
if [[ ${1:-} == --in-namespace ]]; then
  # This script again, inside the mount namespace: the steps and ref come
  # resolved from the outer run.
  namespace_role=$2
  set -- ${ZVIZ_FRESH__STEPS:-}
fi
for arg in "$@"; do
  case $arg in
    --reuse) reuse=1 ;;
    clone | checkout | setup | npm-ci | build | test-[a-z]* | demo) steps+=("$arg") ;;
    *) die "unknown step '$arg' (steps: ${all_steps[*]} checkout test-<runner>)" ;;
  esac
done
((${#steps[@]})) || steps=("${all_steps[@]}")
# The clone comes from the repository's git directory: a worktree's own .git is
# only a pointer into it.
git_dir=$(cd "$repo" && cd "$(git rev-parse --git-common-dir)" && pwd)
ref=${ZVIZ_FRESH_REF:-$(git -C "$repo" rev-parse HEAD)}
ref=$(git -C "$repo" rev-parse --verify "$ref^{commit}") || die "no commit '$ZVIZ_FRESH_REF' in $repo"

# The Debian mirror this host's apt uses: a fresh machine of the kind reaches
# the same one, and no other.
host_mirror() {
  local uri
  uri=$(grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -E '/debian/?$' | head -n1 || true)
  [[ -n $uri ]] || uri=$(grep -hE '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | awk '{print $2}' | grep -E '/debian/?$' | head -n1 || true)
  echo "$uri"
}

# The environment a new machine's root shell has: the kind's PATH (Go's tree
# and GOPATH/bin first), and the CA bundle settings that point the registries'
# clients at the machine's certificates.
machine_env=(HOME=/root LANG=C.UTF-8 TERM=dumb "PATH=$(dirname "$(command -v go)"):/root/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
for var in NODE_EXTRA_CA_CERTS SSL_CERT_FILE SSL_CERT_DIR CURL_CA_BUNDLE GIT_SSL_CAINFO REQUESTS_CA_BUNDLE; do
  [[ -n ${!var:-} ]] && machine_env+=("$var=${!var}")
done

# Copies a host path into the rootfs at the same path, symlinks as they are.
copy_in() {
  local path=$1
  [[ -e $path || -L $path ]] || return 0
  mkdir -p "$base$(dirname "$path")"
  cp -a "$path" "$base$(dirname "$path")/"
}

build_base() {
  command -v debootstrap >/dev/null || die "debootstrap is missing: run scripts/setup.sh (or apt-get install debootstrap)"
  local mirror=${ZVIZ_FRESH_MIRROR:-$(host_mirror)}
  [[ -n $mirror ]] || die "no Debian mirror found in /etc/apt/sources.list*; set ZVIZ_FRESH_MIRROR"
  [[ -z $(mounted_below) ]] || die "still mounted below $dir: $(mounted_below | tr '\n' ' ')"
  rm -rf --one-file-system "$base"
  mkdir -p "$dir"
  echo "fresh-machine: debootstrap --variant=minbase bookworm from $mirror"
  debootstrap --variant=minbase bookworm "$base" "$mirror" >"$dir/debootstrap.log" 2>&1 ||
    die "debootstrap failed: $dir/debootstrap.log"

  # What reaches the registries: Debian's sources (security and updates as on
  # any Debian 12), apt's settings for the mirror, the CA certificates, npm's
  # and Go's settings. Nothing else of the host's.
  rm -f "$base/etc/apt/sources.list"
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list; do
    [[ -f $f ]] && grep -qE '/debian(-security)?/?( |$)' "$f" && copy_in "$f"
  done
  for f in /etc/apt/apt.conf.d/*; do
    grep -qE '^\s*Acquire::' "$f" 2>/dev/null && copy_in "$f"
  done
  copy_in /usr/local/share/ca-certificates
  copy_in /etc/npmrc
  copy_in /usr/etc/npmrc
  copy_in /root/.config/go/env
  copy_in /etc/hosts
  cp -L /etc/resolv.conf "$base/etc/resolv.conf"

  # Go and Node.js as the kind has them: installed before the session, not
  # from Debian. Same paths as here.
  copy_in "$(go env GOROOT)"
  local node prefix
  node=$(readlink -f "$(command -v node)")
  prefix=$(dirname "$(dirname "$node")")
  copy_in "$node"
  for tool in npm npx corepack; do copy_in "$prefix/bin/$tool"; done
  copy_in "$prefix/include/node"
  copy_in "$prefix/lib/node_modules"

  echo "fresh-machine: installing the kind's own tools: gcc g++ make cmake python3 git ca-certificates"
  in_namespace base >"$dir/base-install.log" 2>&1 ||
    die "installing the kind's tools failed: $dir/base-install.log"
  touch "$base/.zviz-fresh-base"
}

# Runs a function of this script inside a new mount namespace, with the
# kernel's filesystems mounted into the given root.
in_namespace() {
  ZVIZ_FRESH__STEPS="${steps[*]}" ZVIZ_FRESH_REF=$ref unshare -m --propagation private bash "$0" --in-namespace "$@"
}

mount_kernel_fs() {
  local root=$1
  mount -t proc proc "$root/proc"
  # /sys with cgroup2, bpffs and tracefs below it; /dev with pts and shm.
  mount --rbind /sys "$root/sys"
  mount --rbind /dev "$root/dev"
  mkdir -p "$root/run" "$root/tmp"
  mount -t tmpfs -o mode=755 tmpfs "$root/run"
  chmod 1777 "$root/tmp"
}

run_base_install() {
  mount_kernel_fs "$base"
  chroot "$base" env -i "${machine_env[@]}" DEBIAN_FRONTEND=noninteractive bash -euc '
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends gcc g++ make cmake python3 git ca-certificates
    update-ca-certificates
    go version && node --version && npm --version'
}

# The steps, each run in the rootfs with the environment a new machine gives
# root's commands (not a login shell: Debian's /etc/profile resets PATH, and
# this kind's Go is on PATH from the machine's environment, as CI has it).
step_script() {
  case $1 in
    clone) echo "rm -rf /root/zviz && git clone -q /mnt/origin /root/zviz && cd /root/zviz && git checkout -q $ref && git log --oneline -1" ;;
    checkout) echo "cd /root/zviz && git fetch -q origin && git checkout -q -f $ref && git log --oneline -1" ;;
    setup) echo "cd /root/zviz && bash scripts/setup.sh" ;;
    npm-ci) echo "cd /root/zviz && npm ci --no-audit --no-fund" ;;
    build) echo "cd /root/zviz && npm run build" ;;
    test-all) echo "cd /root/zviz && ZVIZ_SKIP_SETUP=1 ZVIZ_SKIP_BUILD=1 ZVIZ_FAIL_ON_SKIP=1 npm test" ;;
    test-*) echo "cd /root/zviz && ZVIZ_SKIP_SETUP=1 ZVIZ_SKIP_BUILD=1 ZVIZ_ONLY=${1#test-} ZVIZ_FAIL_ON_SKIP=1 npm test" ;;
    # The demo on ports of its own, so that another demo on this host's
    # defaults (9090, 9091) does not make it fail.
    demo) echo "cd /root/zviz && ZVIZ_DEMO_DURATION=${ZVIZ_FRESH_DEMO_SECONDS:-60} ZVIZ_METRICS_ADDR=127.0.0.1:19190 ZVIZ_DEMO_PROMETHEUS_ADDR=127.0.0.1:19191 npm start" ;;
  esac
}

# Runs a step's script as root of the rootfs. Not a chroot: the kernel refuses
# to create or enter a user namespace from a chroot (EPERM), which the sandbox
# does for every container. A mount namespace of its own whose root is the
# rootfs (pivot_root) is what a machine's root is.
enter_root() {
  local root=$1 script=$2
  unshare -m --propagation private bash -c 'cd "$1" && pivot_root . . && umount -l . && cd / && shift && exec "$@"' \
    _ "$root" env -i "${machine_env[@]}" bash -c "$script"
}

# Ends what a step left running, by process id: the processes whose root or
# program is on the rootfs's overlay (its device number is its own).
kill_leftovers() {
  local root=$1 device pid left=()
  device=$(stat -c %d "$root")
  for pid in $(ls /proc | grep -E '^[0-9]+$'); do
    [[ $pid == "$$" || $pid == "$BASHPID" ]] && continue
    if [[ $(stat -L -c %d "/proc/$pid/root" 2>/dev/null) == "$device" || $(stat -L -c %d "/proc/$pid/exe" 2>/dev/null) == "$device" ]]; then
      left+=("$pid")
    fi
  done
  if ((${#left[@]})); then
    echo "fresh-machine: the step left ${#left[@]} processes running: $(IFS=,; ps -o pid=,args= -p "${left[*]}" | head -n5 | tr '\n' ';')"
    kill -KILL "${left[@]}" 2>/dev/null || true
    return 1
  fi
}

# `git status --porcelain` of the clone in the rootfs (changed tracked files,
# and new files .gitignore does not name), sorted; nothing when there is no
# clone yet.
clone_status() {
  local clone=$1/root/zviz
  [[ -d $clone/.git ]] || return 0
  git -C "$clone" status --porcelain | LC_ALL=C sort
}

run_steps() {
  local root=$dir/root
  mkdir -p "$dir/upper" "$dir/work" "$root" "$logs"
  mount -t overlay overlay -o "lowerdir=$base,upperdir=$dir/upper,workdir=$dir/work" "$root"
  mount_kernel_fs "$root"
  # /tmp on a disk's filesystem, as Debian 12 has it, not on the overlay:
  # overlayfs refuses what ext4 and tmpfs allow (mknod of a 0:0 character
  # device, EPERM), which the tests that hide a library from the agent do.
  mkdir -p "$dir/tmp"
  chmod 1777 "$dir/tmp"
  mount --bind "$dir/tmp" "$root/tmp"
  mkdir -p "$root/mnt/origin"
  mount --bind -o ro "$git_dir" "$root/mnt/origin"
  mount -o remount,bind,ro "$root/mnt/origin"

  local failed=() step started status before changed
  # With --reuse, what an earlier run left in the clone is said once here and
  # not held against the steps now.
  before=$(clone_status "$root")
  [[ -z $before ]] || printf 'fresh-machine: the clone is not clean at the start (git status --porcelain):\n%s\n' "$before"
  for step in "${steps[@]}"; do
    started=$(date +%s)
    printf 'fresh-machine: %-14s ' "$step"
    before=$(clone_status "$root")
    set +e
    enter_root "$root" "$(step_script "$step")" >"$logs/$step.log" 2>&1 </dev/null
    status=$?
    set -e
    if ! kill_leftovers "$root" >>"$logs/$step.log" 2>&1 && [[ $status == 0 ]]; then
      status="0, but it left processes running"
    fi
    # clone and checkout replace the working tree on purpose; every other
    # step (setup, the build, npm test, npm start) must leave `git status`
    # as it found it: what they write belongs in ignored places.
    case $step in
      clone | checkout) changed= ;;
      *) changed=$(LC_ALL=C comm -13 <(echo "$before") <(clone_status "$root")) ;;
    esac
    if [[ -n $changed ]]; then
      printf 'fresh-machine: the step changed files of the clone (git status --porcelain):\n%s\n' "$changed" >>"$logs/$step.log"
      if [[ $status == 0 ]]; then
        status="0, but it changed the clone's files: $(echo "$changed" | head -n5 | tr '\n' ' ')"
      fi
    fi
    if [[ $status == 0 ]]; then
      echo "ok      $(($(date +%s) - started)) s (load $(cut -d' ' -f1-3 /proc/loadavg))"
    else
      echo "FAILED  $(($(date +%s) - started)) s (load $(cut -d' ' -f1-3 /proc/loadavg), exit $status): $logs/$step.log"
      tail -n 15 "$logs/$step.log" | sed 's/^/    /'
      failed+=("$step")
      # Nothing after a failed clone, setup, install or build can tell more.
      case $step in clone | checkout | setup | npm-ci | build) break ;; esac
    fi
  done
  ((${#failed[@]} == 0)) || {
    echo "fresh-machine: failed: ${failed[*]}"
    return 1
  }
  echo "fresh-machine: every step passed on a fresh Debian 12 ($(git -C "$root/root/zviz" log --oneline -1 | cut -c1-60))"
}

case $namespace_role in
  base)
    run_base_install
    exit
    ;;
  run)
    run_steps
    exit
    ;;
  '') ;;
  *) die "unknown namespace role $namespace_role" ;;
esac

[[ -f $base/.zviz-fresh-base ]] || build_base
if ((reuse == 0)); then
  [[ -z $(mounted_below) ]] || die "still mounted below $dir: $(mounted_below | tr '\n' ' ')"
  rm -rf --one-file-system "$dir/upper" "$dir/work" "$dir/tmp" "$logs"
fi
if [[ " ${steps[*]} " == *" clone "* || " ${steps[*]} " == *" checkout "* ]]; then
  echo "fresh-machine: steps ${steps[*]} at $(git -C "$repo" log --oneline -1 "$ref" | cut -c1-60); logs in $logs"
else
  echo "fresh-machine: steps ${steps[*]} in the clone the last run left; logs in $logs"
fi
in_namespace run
exit
}

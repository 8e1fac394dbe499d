#!/usr/bin/env bash
# Installs a real `consul` binary for the test suite into .backends/consul (git-ignored):
# Debian bullseye's consul package, fetched with `apt-get download` through a private apt state
# folder (.backends/apt) so the system's apt sources, lists and cache are never touched, then
# unpacked with `dpkg -x`. Idempotent: exits at once when the binary is already there.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target="$root/.backends/consul"
binary="$target/usr/bin/consul"
manual="sudo bash scripts/install-consul.sh   # Debian; elsewhere install consul 1.8+ (https://developer.hashicorp.com/consul/install) and put it on PATH"

if [ -x "$binary" ]; then
  echo "install-consul: $binary already present"
  exit 0
fi

if [ ! -f /etc/debian_version ] || ! command -v apt-get >/dev/null || ! command -v dpkg >/dev/null; then
  echo "install-consul: not a Debian system; install consul yourself:" >&2
  echo "  $manual" >&2
  exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-consul: needs root (apt-get download into a private apt state). Run:" >&2
  echo "  $manual" >&2
  exit 1
fi

# The Debian mirror the machine already uses (deb822 .sources files first, then sources.list).
mirror=""
shopt -s nullglob
for f in /etc/apt/sources.list.d/*.sources; do
  mirror="$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i ~ /\/debian\/?$/) { print $i; exit } }' "$f")"
  [ -n "$mirror" ] && break
done
if [ -z "$mirror" ] && [ -f /etc/apt/sources.list ]; then
  mirror="$(awk '/^deb / { for (i = 2; i <= NF; i++) if ($i ~ /^https?:\/\/.*\/debian\/?$/) { print $i; exit } }' /etc/apt/sources.list)"
fi
if [ -z "$mirror" ]; then
  echo "install-consul: no Debian mirror found in /etc/apt/sources.list.d/*.sources or /etc/apt/sources.list" >&2
  exit 1
fi
mirror="${mirror%/}"

apt_dir="$root/.backends/apt"
mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/sources.list.d" "$apt_dir/debs"
touch "$apt_dir/status"
echo "deb $mirror bullseye main" >"$apt_dir/sources.list"
echo "install-consul: private apt state in $apt_dir, source: deb $mirror bullseye main"

apt_opts=(
  -o "Dir::State=$apt_dir"
  -o "Dir::State::Lists=$apt_dir/lists"
  -o "Dir::State::status=$apt_dir/status"
  -o "Dir::Cache=$apt_dir/cache"
  -o "Dir::Etc::SourceList=$apt_dir/sources.list"
  -o "Dir::Etc::SourceParts=$apt_dir/sources.list.d"
  -o "APT::Sandbox::User=root"
)

echo "install-consul: apt-get update (private state)"
apt-get "${apt_opts[@]}" update
echo "install-consul: apt-get download consul (bullseye)"
(cd "$apt_dir/debs" && apt-get "${apt_opts[@]}" download consul)

deb="$(ls -t "$apt_dir"/debs/consul_*.deb | sed -n 1p)"
echo "install-consul: dpkg -x $deb $target"
mkdir -p "$target"
dpkg -x "$deb" "$target"
"$binary" version | sed -n 1p # sed reads to the end: no SIGPIPE under pipefail
echo "install-consul: done: $binary"

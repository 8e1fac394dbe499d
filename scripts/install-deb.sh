#!/usr/bin/env bash
# Installs one binary from a Debian package into .backends/<name> (git-ignored), for the test
# suites: the package is fetched with `apt-get download` through a private apt state folder
# (.backends/apt-<suite>) so the system's apt sources, lists and cache are never touched, then
# unpacked with `dpkg -x`. Idempotent: exits at once when the binary is already there.
#
#   install-deb.sh <name> <package> <suite> <binary path inside the package> [manual install hint]
#   e.g. install-deb.sh consul consul bullseye usr/bin/consul
set -euo pipefail

if [ "$#" -lt 4 ]; then
  echo "usage: install-deb.sh <name> <package> <suite> <binary path in package> [hint]" >&2
  exit 2
fi
name="$1" package="$2" suite="$3" inside="$4"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target="$root/.backends/$name"
binary="$target/$inside"
manual="${5:-sudo bash scripts/install-backends.sh   # Debian; elsewhere install $package and put it on PATH}"

if [ -x "$binary" ]; then
  echo "install-deb: $binary already present"
  exit 0
fi

if [ ! -f /etc/debian_version ] || ! command -v apt-get >/dev/null || ! command -v dpkg >/dev/null; then
  echo "install-deb: not a Debian system; install $package yourself:" >&2
  echo "  $manual" >&2
  exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deb: needs root (apt-get download into a private apt state). Run:" >&2
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
  echo "install-deb: no Debian mirror found in /etc/apt/sources.list.d/*.sources or /etc/apt/sources.list" >&2
  exit 1
fi
mirror="${mirror%/}"

apt_dir="$root/.backends/apt-$suite"
mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/sources.list.d" "$apt_dir/debs"
touch "$apt_dir/status"
echo "deb $mirror $suite main" >"$apt_dir/sources.list"
echo "install-deb: private apt state in $apt_dir, source: deb $mirror $suite main"

apt_opts=(
  -o "Dir::State=$apt_dir"
  -o "Dir::State::Lists=$apt_dir/lists"
  -o "Dir::State::status=$apt_dir/status"
  -o "Dir::Cache=$apt_dir/cache"
  -o "Dir::Etc::SourceList=$apt_dir/sources.list"
  -o "Dir::Etc::SourceParts=$apt_dir/sources.list.d"
  -o "APT::Sandbox::User=root"
)

echo "install-deb: apt-get update (private state)"
apt-get "${apt_opts[@]}" update
echo "install-deb: apt-get download $package ($suite)"
(cd "$apt_dir/debs" && apt-get "${apt_opts[@]}" download "$package")

deb="$(ls -t "$apt_dir"/debs/"$package"_*.deb | sed -n 1p)"
echo "install-deb: dpkg -x $deb $target"
mkdir -p "$target"
dpkg -x "$deb" "$target"
test -x "$binary" || { echo "install-deb: $binary not in $deb" >&2; exit 1; }
echo "install-deb: done: $binary"

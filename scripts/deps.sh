#!/usr/bin/env bash
# deps.sh run|test — installs what building (run) or testing (test) Desk Clerk needs.
# On Debian/Ubuntu it installs missing apt packages (with sudo when not root), the
# pinned Wails CLI and the npm packages; elsewhere it prints what to install.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
what=${1:-run}

RUN_PKGS="build-essential pkg-config libgtk-3-dev libwebkit2gtk-4.1-dev"
# postgresql: the server binaries under /usr/lib/postgresql/<version>/bin for internal/pgtest's private
# clusters (Debian starts a system cluster on install; the tests never use it).
# no dbus-x11: its autolaunch leaks a session bus and at-spi daemons on every GTK start
TEST_PKGS="xvfb xauth x11-utils xdotool imagemagick gnome-keyring libsecret-tools dbus dbus-user-session chromium curl nsis icoutils desktop-file-utils postgresql"

export PATH="$PATH:$(go env GOPATH 2>/dev/null || echo "$HOME/go")/bin"

say() { printf 'deps: %s\n' "$*" >&2; }

need_go() {
  command -v go >/dev/null || { say "Go 1.25 or newer is required: https://go.dev/dl/"; exit 1; }
  command -v npm >/dev/null || { say "Node.js 20.19+ with npm is required: https://nodejs.org/"; exit 1; }
}

apt_install() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "installing apt packages: ${missing[*]}"
  local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

case "$(uname -s)" in
  Linux)
    if command -v apt-get >/dev/null && command -v dpkg-query >/dev/null; then
      pkgs=$RUN_PKGS; [ "$what" = test ] && pkgs="$RUN_PKGS $TEST_PKGS"
      # Debian's postgresql creates (and starts) a system "main" cluster on first install; the tests
      # start private ones (internal/pgtest), so ask postgresql-common for none.
      if [ "$what" = test ] && ! dpkg-query -W -f='${Status}' postgresql 2>/dev/null | grep -q "install ok installed"; then
        sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
        $sudo mkdir -p /etc/postgresql-common/createcluster.d
        echo "create_main_cluster = false" | $sudo tee /etc/postgresql-common/createcluster.d/deskclerk-tests.conf >/dev/null
      fi
      # shellcheck disable=SC2086
      apt_install $pkgs
    else
      say "not Debian/Ubuntu: install Go 1.25+, Node.js 20.19+, gcc, pkg-config, GTK 3 and WebKitGTK 4.1 development packages"
      say "(Fedora: dnf install gtk3-devel webkit2gtk4.1-devel; Arch: pacman -S gtk3 webkit2gtk-4.1), then run make again."
      pkg-config --exists webkit2gtk-4.1 gtk+-3.0 || exit 1
    fi ;;
  Darwin)
    say "macOS: install Xcode command line tools (xcode-select --install), Go 1.25+ and Node.js 20.19+; nothing else is needed." ;;
  *)
    say "Windows: install Go 1.25+, Node.js 20.19+ and the WebView2 runtime (preinstalled on Windows 10/11); use Git Bash or WSL for make." ;;
esac
need_go

# The Wails CLI at the module's exact version (@latest resolves to an old release that
# does not build with current Go).
want=$(go list -m -f '{{.Version}}' github.com/wailsapp/wails/v2)
if ! command -v wails >/dev/null || [ "$(wails version 2>/dev/null | head -1)" != "$want" ]; then
  say "installing wails CLI $want"
  go install "github.com/wailsapp/wails/v2/cmd/wails@$want"
fi

# npm ci installs exactly what the committed lockfile records (every platform's optional
# packages included, so it works on each OS) and never rewrites it. It starts from an
# empty node_modules, so it runs only when package.json or the lockfile is newer than
# the last install (npm's own record of it, node_modules/.package-lock.json).
npm_dir() {
  local installed=$1/node_modules/.package-lock.json
  [ -f "$1/package.json" ] || return 0
  [ "$installed" -nt "$1/package-lock.json" ] && [ "$installed" -nt "$1/package.json" ] && return 0
  (cd "$1" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
}
npm_dir frontend
if [ "$what" = test ]; then
  for d in e2e/*/; do npm_dir "${d%/}"; done
fi

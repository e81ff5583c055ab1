#!/usr/bin/env bash
# register-scheme.sh [--if-unset] BINARY [SCHEME] — registers BINARY, for the current user
# only, as the handler of SCHEME:// URLs (default deskclerk), the way an installed package
# does system-wide: a .desktop entry with MimeType=x-scheme-handler/SCHEME and Exec=… %u
# under $XDG_DATA_HOME/applications, the desktop database refreshed, and the entry made
# the default with xdg-mime (written to $XDG_CONFIG_HOME/mimeapps.list).
#
# For development builds started with `make run` (Linux): social sign-in against a
# production instance comes back as SCHEME://oauth-callback?…, which the OS hands to
# whatever is registered. --if-unset leaves an existing registration alone (an installed
# Desk Clerk keeps its own; its second launch hands the URL to the running app over the
# single-instance lock just the same). The end-to-end tests run it in temporary XDG dirs.
set -euo pipefail
if_unset=0
if [ "${1:-}" = --if-unset ]; then if_unset=1; shift; fi
[ $# -ge 1 ] && [ $# -le 2 ] || { echo "usage: $0 [--if-unset] BINARY [SCHEME]" >&2; exit 2; }
bin=$(realpath "$1")
scheme=${2:-deskclerk}
die() { echo "register-scheme: $*" >&2; exit 1; }
[[ $scheme =~ ^[a-z][a-z0-9+.-]{0,31}$ ]] || die "$scheme is not a URL scheme"
[ -x "$bin" ] || die "$bin is not an executable"
case $bin in *[[:space:]\"\'\`\$\\%]*) die "the path $bin has characters a desktop entry's Exec cannot carry" ;; esac
for tool in xdg-mime update-desktop-database; do
	command -v "$tool" >/dev/null || die "$tool not found (apt-get install xdg-utils desktop-file-utils)"
done
mime=x-scheme-handler/$scheme
if [ $if_unset = 1 ] && [ -n "$(xdg-mime query default "$mime" 2>/dev/null)" ]; then
	echo "register-scheme: $scheme:// already has a handler ($(xdg-mime query default "$mime")); left alone" >&2
	exit 0
fi
apps=${XDG_DATA_HOME:-$HOME/.local/share}/applications
entry=$scheme-dev.desktop
mkdir -p "$apps"
cat >"$apps/$entry" <<DESKTOP
[Desktop Entry]
Type=Application
Version=1.4
Name=Desk Clerk (development build)
Comment=Receives $scheme:// sign-in redirects for $bin
Exec=$bin %u
Terminal=false
NoDisplay=true
MimeType=$mime;
DESKTOP
if command -v desktop-file-validate >/dev/null; then desktop-file-validate "$apps/$entry"; fi
update-desktop-database "$apps"
xdg-mime default "$entry" "$mime"
got=$(xdg-mime query default "$mime")
[ "$got" = "$entry" ] || die "xdg-mime reports $got as the $mime handler, not $entry"
echo "register-scheme: $scheme:// → $bin ($apps/$entry)" >&2

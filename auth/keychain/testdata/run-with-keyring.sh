#!/usr/bin/env bash
# run-with-keyring.sh COMMAND [ARG...]
#
# Runs COMMAND inside a throw-away D-Bus session bus with an unlocked
# gnome-keyring providing a real Secret Service (org.freedesktop.secrets), then
# stops the keyring daemon and the bus and deletes the temporary directories.
# Exits with COMMAND's exit status (70 if the keyring could not be set up).
#
# Nothing touches the real user's keyring: XDG_DATA_HOME (where the keyring
# file goes) and XDG_RUNTIME_DIR (mode 0700, control socket) point into a new
# temp directory. HOME, GOPATH and GOCACHE are left alone.
#
# In COMMAND's environment:
#   DESKCLERK_REAL_KEYRING=1        (unless already set) the keychain tests must run, not skip
#   DESKCLERK_KEYRING_SANDBOX=DIR   the temp directory (data/, run/) — tests use it as the marker
#   XDG_DATA_HOME, XDG_RUNTIME_DIR  inside DIR
#   DBUS_SESSION_BUS_ADDRESS        the private bus
#   DISPLAY, WAYLAND_DISPLAY        unset, so a locked keyring can never pop up a prompt and hang;
#                                   set KEYRING_KEEP_DISPLAY=1 to pass them to COMMAND (e.g. an app
#                                   under Xvfb). The bus and the keyring daemon never get them.
#
# Needs the Debian packages dbus (dbus-run-session, dbus-send) and gnome-keyring;
# the tests also use secret-tool from libsecret-tools. Do not install dbus-x11.
set -euo pipefail

if [ $# -eq 0 ]; then
	echo "usage: $0 COMMAND [ARG...]" >&2
	exit 2
fi
for tool in dbus-run-session dbus-daemon dbus-send gnome-keyring-daemon; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "run-with-keyring: $tool not found (apt-get install dbus gnome-keyring libsecret-tools)" >&2
		exit 70
	fi
done

sandbox=$(mktemp -d "${TMPDIR:-/tmp}/deskclerk-keyring.XXXXXX")
trap 'rm -rf "$sandbox"' EXIT
mkdir -p "$sandbox/data"
mkdir -m 700 "$sandbox/run"
# The unlock password only protects this throw-away keyring file.
(umask 077 && head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$sandbox/unlock")

# dbus-run-session starts this instead of dbus-daemon, so that the daemon's
# chatter ("Failed to set fd limit", "Activating service …") goes to a log
# instead of COMMAND's stderr.
printf '#!/bin/sh\nexec dbus-daemon "$@" 2>>%q\n' "$sandbox/dbus-daemon.log" >"$sandbox/dbus-daemon"
chmod +x "$sandbox/dbus-daemon"

# Runs inside the session: start the keyring, wait until it serves an
# unlocked login collection, run COMMAND, stop the keyring by its PID.
inner='
set -u
sb=$DESKCLERK_KEYRING_SANDBOX
gnome-keyring-daemon --foreground --unlock --components=secrets <"$sb/unlock" >"$sb/gnome-keyring.log" 2>&1 &
gkd=$!
trap "kill $gkd 2>/dev/null; wait $gkd 2>/dev/null" EXIT
ready=0
i=0
while [ $i -lt 100 ]; do # about 10 s
	# Ask the bus first: querying org.freedesktop.secrets before our daemon owns
	# the name would D-Bus-activate a second, locked gnome-keyring.
	if dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
		org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q "boolean true" &&
		dbus-send --session --print-reply --dest=org.freedesktop.secrets /org/freedesktop/secrets/collection/login \
			org.freedesktop.DBus.Properties.Get string:org.freedesktop.Secret.Collection string:Locked 2>/dev/null |
		grep -q "boolean false"; then
		ready=1
		break
	fi
	kill -0 $gkd 2>/dev/null || break
	sleep 0.1
	i=$((i + 1))
done
rm -f "$sb/unlock"
if [ $ready != 1 ]; then
	echo "run-with-keyring: gnome-keyring did not provide an unlocked login collection" >&2
	cat "$sb/gnome-keyring.log" "$sb/dbus-daemon.log" >&2 2>/dev/null
	exit 70
fi
if [ "${KEYRING_KEEP_DISPLAY:-}" = 1 ] && [ -n "${KEYRING_OUTER_DISPLAY:-}" ]; then
	export DISPLAY=$KEYRING_OUTER_DISPLAY
fi
if [ "${KEYRING_KEEP_DISPLAY:-}" = 1 ] && [ -n "${KEYRING_OUTER_WAYLAND_DISPLAY:-}" ]; then
	export WAYLAND_DISPLAY=$KEYRING_OUTER_WAYLAND_DISPLAY
fi
unset KEYRING_OUTER_DISPLAY KEYRING_OUTER_WAYLAND_DISPLAY
"$@"
'

# The session runs in its own process group (setsid), in the background so
# that this script can still react to signals: a TERM/INT/HUP sent to the
# script (by timeout(1), make, CI) goes to the whole group — command, keyring
# daemon and bus — and the script exits only after they are gone.
set +e
env -u DISPLAY -u WAYLAND_DISPLAY -u DBUS_SESSION_BUS_ADDRESS \
	KEYRING_OUTER_DISPLAY="${DISPLAY:-}" KEYRING_OUTER_WAYLAND_DISPLAY="${WAYLAND_DISPLAY:-}" \
	XDG_DATA_HOME="$sandbox/data" XDG_RUNTIME_DIR="$sandbox/run" \
	DESKCLERK_KEYRING_SANDBOX="$sandbox" DESKCLERK_REAL_KEYRING="${DESKCLERK_REAL_KEYRING:-1}" \
	setsid dbus-run-session --dbus-daemon="$sandbox/dbus-daemon" -- bash -c "$inner" run-with-keyring "$@" <&0 &
session=$!
for sig in TERM INT HUP; do
	trap 'kill -'$sig' -- -'$session' 2>/dev/null' $sig
done
while :; do
	wait $session
	rc=$?
	kill -0 $session 2>/dev/null || break # wait was interrupted by a signal; the group is stopping
done
exit $rc

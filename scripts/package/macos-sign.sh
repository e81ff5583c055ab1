#!/usr/bin/env bash
# macos-sign.sh APP ZIP — signs a built "Desk Clerk.app" with a Developer ID certificate
# (hardened runtime, secure timestamp), notarizes it with Apple, staples the ticket and
# writes the zip users download. Runs on macOS only; used by the CI workflow when the
# signing secrets exist, and by hand for a local release (docs/packaging.md).
#
# Environment:
#   MACOS_SIGN_IDENTITY        "Developer ID Application: Name (TEAMID)" (required)
#   MACOS_CERTIFICATE_P12      base64 of the .p12 with that identity  } optional: imported into a
#   MACOS_CERTIFICATE_PASSWORD its password                           } throw-away keychain (CI)
#   APPLE_ID, APPLE_TEAM_ID, APPLE_APP_PASSWORD  notarytool credentials (an app-specific password);
#                              without them the app is signed but not notarized (Gatekeeper
#                              will warn users), and the script says so.
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 APP ZIP" >&2; exit 2; }
app=$1 zip=$2
say() { printf 'macos-sign: %s\n' "$*" >&2; }
[ "$(uname -s)" = Darwin ] || { say "runs on macOS only"; exit 1; }
[ -d "$app/Contents/MacOS" ] || { say "$app is not an app bundle"; exit 1; }
: "${MACOS_SIGN_IDENTITY:?set MACOS_SIGN_IDENTITY to the Developer ID Application identity}"

if [ -n "${MACOS_CERTIFICATE_P12:-}" ]; then
	kc=${RUNNER_TEMP:-${TMPDIR:-/tmp}}/deskclerk-signing.keychain-db
	kcpass=$(openssl rand -hex 16)
	p12=$(mktemp)
	trap 'rm -f "$p12"; security delete-keychain "$kc" 2>/dev/null || true' EXIT
	base64 --decode <<<"$MACOS_CERTIFICATE_P12" >"$p12"
	security create-keychain -p "$kcpass" "$kc"
	security set-keychain-settings -lut 3600 "$kc"
	security unlock-keychain -p "$kcpass" "$kc"
	security import "$p12" -k "$kc" -P "${MACOS_CERTIFICATE_PASSWORD:-}" -T /usr/bin/codesign
	security set-key-partition-list -S apple-tool:,apple: -s -k "$kcpass" "$kc" >/dev/null
	# codesign looks the identity up in the search list; put the new keychain first.
	security list-keychains -d user -s "$kc" $(security list-keychains -d user | tr -d '"')
fi

# Hardened runtime is required for notarization. WKWebView's JIT runs in WebKit's own
# processes, so the app needs no JIT entitlement.
codesign --force --options runtime --timestamp --sign "$MACOS_SIGN_IDENTITY" "$app"
codesign --verify --strict --verbose=2 "$app"

rm -f "$zip"
ditto -c -k --keepParent "$app" "$zip"
if [ -n "${APPLE_ID:-}" ] && [ -n "${APPLE_TEAM_ID:-}" ] && [ -n "${APPLE_APP_PASSWORD:-}" ]; then
	xcrun notarytool submit "$zip" --apple-id "$APPLE_ID" --team-id "$APPLE_TEAM_ID" \
		--password "$APPLE_APP_PASSWORD" --wait --timeout 30m
	xcrun stapler staple "$app"
	xcrun stapler validate "$app"
	spctl --assess --type execute --verbose=2 "$app"
	rm -f "$zip"
	ditto -c -k --keepParent "$app" "$zip" # the zip now carries the stapled ticket
	say "signed, notarized and stapled: $zip"
else
	say "signed but NOT notarized (APPLE_ID/APPLE_TEAM_ID/APPLE_APP_PASSWORD unset): $zip"
fi

#!/usr/bin/env bash
# package.sh STEP... — builds Desk Clerk's installable artifacts (see docs/packaging.md).
#
#   ldflags  print the -ldflags a packaged build gets (version; key + release channel if given)
#   tags     print the Go build tags of the Linux build (+ "release" when a key is given)
#   stage    copy the work tree (no .git, node_modules, build/bin, .env) to $STAGE and stamp the
#            version into the copy's wails.json and build/windows/info.json — the real tree is
#            never modified, so packaging leaves it clean
#   linux    build the Linux binary in the stage           → $DIST/linux-amd64/deskclerk
#   deb      build the .deb from it                        → $DIST/deskclerk_<debversion>_<arch>.deb
#   windows  cross-build the Windows exe (no cgo) and the NSIS installer
#            → $DIST/windows-amd64/deskclerk.exe, $DIST/deskclerk-<version>-windows-amd64-setup.exe
#   darwin   (macOS only) the universal .app bundle, zipped → $DIST/deskclerk-<version>-macos-universal.zip
#   sums     write $DIST/SHA256SUMS and $DIST/manifest.env (what was built, for tests and CI)
#
# Environment: URL_SCHEME (the app's URL scheme for social sign-in, default deskclerk: built
# into the binary and registered by wails.json info.protocols → NSIS/Info.plist and by the
# .deb's desktop entry), VERSION (git describe output, a tag, or dev), CLERK_PUBLISHABLE_KEY (when set:
# a release-channel build with that key; when empty: a development-channel build, which falls
# back to the local emulator), TAGS (Go build tags for Linux, default webkit2_41),
# DIST (default build/bin/dist), STAGE (default build/bin/stage), SOURCE_DATE_EPOCH,
# PKG_TRIMPATH=1 (-trimpath for development packages too; release builds always get it).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
ROOT=$PWD
export PATH="$PATH:$(go env GOPATH)/bin"
VERSION=${VERSION:-dev}
KEY=${CLERK_PUBLISHABLE_KEY:-}
URL_SCHEME=${URL_SCHEME:-deskclerk}
export URL_SCHEME
TAGS=${TAGS:-webkit2_41}
DIST=${DIST:-$ROOT/build/bin/dist}
STAGE=${STAGE:-$ROOT/build/bin/stage}
: "${SOURCE_DATE_EPOCH:=$(git log -1 --format=%ct 2>/dev/null || echo 0)}"
export SOURCE_DATE_EPOCH GOFLAGS="${GOFLAGS:+$GOFLAGS }-buildvcs=false"
TOOLS=$ROOT/build/bin/pkgtools
STAMP=$TOOLS/stamp$(go env GOEXE)

say() { printf 'package: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }
took() { echo "$((SECONDS - $1)) s"; } # seconds: BSD date has no %N
size() { wc -c <"$1" | tr -d ' '; }

# The version in every form (APP_VERSION, NUMERIC_VERSION, WINDOWS_VERSION, DEB_VERSION);
# stamp validates VERSION to [0-9A-Za-z.+~_-], so eval'ing its output is safe.
mkdir -p "$TOOLS"
go build -o "$STAMP" ./scripts/package/stamp
vars=$("$STAMP" version "$VERSION") || die "VERSION=$VERSION cannot be packaged"
eval "$vars"

[[ $URL_SCHEME =~ ^[a-z][a-z0-9+.-]{0,31}$ ]] && ! [[ $URL_SCHEME =~ ^(https?|file|javascript|data|blob|about|ftp|mailto|wails)$ ]] ||
	die "URL_SCHEME=$URL_SCHEME is not a usable URL scheme (lower case, RFC 3986, not one the web already uses)"

channel=development
if [ -n "$KEY" ]; then
	case $KEY in
	sk_*) die "CLERK_PUBLISHABLE_KEY holds a secret key; a release needs the publishable key (pk_live_…)" ;;
	esac
	[[ $KEY =~ ^pk_(test|live)_[A-Za-z0-9+/=]+$ ]] || die "CLERK_PUBLISHABLE_KEY is not a Clerk publishable key (pk_live_… or pk_test_…)"
	channel=release
fi
# The testhooks tag (make test-package's development .deb) never goes into a release.
case ",$TAGS," in
*,testhooks,*) [ "$channel" != release ] || die "a release build must not carry the test hooks (TAGS=$TAGS)" ;;
esac

ldflags() {
	local f="-X deskclerk/internal/config.buildVersion=$APP_VERSION -X deskclerk/internal/config.buildURLScheme=$URL_SCHEME"
	if [ "$channel" = release ]; then
		f+=" -X deskclerk/internal/config.buildPublishableKey=$KEY -X deskclerk/internal/config.buildChannel=release"
	fi
	printf '%s' "$f"
}

# gotags TAGS — the Go build tags: a release build adds "release", which leaves the
# local stand-ins (emulator, demo API, bbolt) out of the binary at compile time.
gotags() {
	local t=$1
	if [ "$channel" = release ]; then t=${t:+$t,}release; fi
	printf '%s' "$t"
}

wails_build() { # wails_build LOG ARGS... — runs in the stage, keeps the log, shows it on failure
	local log=$1; shift
	[ -f "$STAGE/wails.json" ] || die "no stage: run '$0 stage' first"
	command -v wails >/dev/null || die "the wails CLI is not installed (make deps)"
	mkdir -p "$DIST/logs"
	# Release builds drop the build machine's paths from the binary (-trimpath). Development
	# packages keep them: -trimpath recompiles everything, the WebKit cgo layer included
	# (about 100 s on 2 cores), instead of reusing what make build and go vet compiled.
	local trim=()
	if [ "$channel" = release ] || [ "${PKG_TRIMPATH:-}" = 1 ]; then trim=(-trimpath); fi
	if ! (cd "$STAGE" && wails build -s -skipbindings ${trim[@]+"${trim[@]}"} -nocolour -ldflags "$(ldflags)" "$@") >"$DIST/logs/$log" 2>&1; then
		cat "$DIST/logs/$log" >&2
		die "wails build $* failed (log: $DIST/logs/$log)"
	fi
}

step_stage() {
	case $STAGE in "" | / | "$ROOT") die "refusing STAGE=$STAGE" ;; esac
	[ -f frontend/dist/index.html ] || die "frontend/dist is not built: run make frontend first"
	rm -rf "$STAGE"
	mkdir -p "$STAGE"
	tar -C "$ROOT" --exclude=./.git --exclude=node_modules --exclude=./build/bin --exclude=./test-artifacts \
		--exclude=./.env --exclude='./.env.*' -cf - . | tar -C "$STAGE" -xf -
	"$STAMP" project "$VERSION" "$STAGE" "$URL_SCHEME"
	say "staged $STAGE: version $APP_VERSION (numeric $NUMERIC_VERSION, Windows $WINDOWS_VERSION, Debian $DEB_VERSION), $channel channel"
}

step_linux() {
	local t0 out=$DIST/linux-amd64/deskclerk got
	t0=$SECONDS
	wails_build wails-linux.log -tags "$(gotags "$TAGS")"
	mkdir -p "$(dirname "$out")"
	install -m 0755 "$STAGE/build/bin/deskclerk" "$out"
	got=$("$out" --version)
	[ "$got" = "Desk Clerk $APP_VERSION" ] || die "$out --version says '$got', want 'Desk Clerk $APP_VERSION'"
	say "linux: $out ($(size "$out") bytes, $(took "$t0"))"
}

step_deb() {
	local t0 deb bin=$DIST/linux-amd64/deskclerk
	t0=$SECONDS
	[ -x "$bin" ] || die "no Linux binary: run '$0 linux' first"
	rm -f "$DIST"/deskclerk_*.deb
	deb=$(scripts/package/deb.sh "$bin" "$DEB_VERSION" "$DIST")
	say "deb: $deb ($(size "$deb") bytes, $(took "$t0"))"
}

step_windows() {
	local t0 nsis=() exe=$DIST/windows-amd64/deskclerk.exe setup
	t0=$SECONDS
	setup=$DIST/deskclerk-$APP_VERSION-windows-amd64-setup.exe
	rm -f "$DIST"/deskclerk-*-windows-amd64-setup.exe "$DIST/logs/makensis.log"
	if command -v makensis >/dev/null; then
		# Wails runs `makensis` from PATH; the wrapper adds -V4 and keeps the log, which lists every
		# file the installer carries (the WebView2 bootstrapper among them).
		nsis=(-nsis)
		export PATH="$ROOT/scripts/package/nsis:$PATH" DESKCLERK_NSIS_LOG="$DIST/logs/makensis.log"
	else
		say "windows: makensis not found (apt-get install nsis): building the exe without its installer"
	fi
	# The Windows webview needs no cgo, so this cross-compiles anywhere. Wails turns
	# build/windows/{icon.ico,info.json,wails.exe.manifest} into the exe's resources, and
	# -nsis writes its embedded WebView2 bootstrapper next to project.nsi for the installer.
	CGO_ENABLED=0 wails_build wails-windows.log -platform windows/amd64 -tags "$(gotags "")" ${nsis[@]+"${nsis[@]}"}
	mkdir -p "$(dirname "$exe")"
	install -m 0644 "$STAGE/build/bin/deskclerk.exe" "$exe"
	say "windows: $exe ($(size "$exe") bytes)"
	if [ ${#nsis[@]} -gt 0 ]; then
		[ -f "$STAGE/build/bin/deskclerk-amd64-installer.exe" ] || die "NSIS produced no installer (log: $DIST/logs/makensis.log)"
		install -m 0644 "$STAGE/build/bin/deskclerk-amd64-installer.exe" "$setup"
		say "windows: $setup ($(size "$setup") bytes)"
	fi
	say "windows: $(took "$t0")"
}

step_darwin() {
	local t0 app zip
	t0=$SECONDS
	[ "$(uname -s)" = Darwin ] || die "the macOS app is built on macOS (see docs/packaging.md and the CI workflow)"
	wails_build wails-darwin.log -platform darwin/universal -tags "$(gotags "")"
	app="$STAGE/build/bin/Desk Clerk.app"
	[ -d "$app" ] || die "no app bundle at $app"
	plutil -lint "$app/Contents/Info.plist" >/dev/null
	got=$(/usr/libexec/PlistBuddy -c 'Print :CFBundleShortVersionString' "$app/Contents/Info.plist")
	[ "$got" = "$NUMERIC_VERSION" ] || die "Info.plist CFBundleShortVersionString is $got, want $NUMERIC_VERSION"
	rm -rf "$DIST/macos-universal"
	mkdir -p "$DIST/macos-universal"
	cp -R "$app" "$DIST/macos-universal/"
	zip=$DIST/deskclerk-$APP_VERSION-macos-universal.zip
	rm -f "$zip"
	(cd "$DIST/macos-universal" && ditto -c -k --keepParent "Desk Clerk.app" "$zip")
	say "darwin: $zip ($(size "$zip") bytes, $(took "$t0"))"
}

step_sums() {
	local f
	mkdir -p "$DIST"
	{
		echo "APP_VERSION=$APP_VERSION"
		echo "NUMERIC_VERSION=$NUMERIC_VERSION"
		echo "WINDOWS_VERSION=$WINDOWS_VERSION"
		echo "DEB_VERSION=$DEB_VERSION"
		echo "CHANNEL=$channel"
		echo "URL_SCHEME=$URL_SCHEME"
		echo "SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH"
		for f in "$DIST"/deskclerk_*.deb; do [ -f "$f" ] && echo "DEB=$(basename "$f")"; done
		for f in "$DIST"/deskclerk-*-setup.exe; do [ -f "$f" ] && echo "SETUP=$(basename "$f")"; done
		for f in "$DIST"/deskclerk-*-macos-universal.zip; do [ -f "$f" ] && echo "MACOS_ZIP=$(basename "$f")"; done
	} >"$DIST/manifest.env"
	(
		cd "$DIST"
		files=()
		for f in *.deb *-setup.exe *.zip linux-amd64/deskclerk windows-amd64/deskclerk.exe; do
			[ -f "$f" ] && files+=("$f")
		done
		if command -v sha256sum >/dev/null; then sha256sum "${files[@]}"; else shasum -a 256 "${files[@]}"; fi >SHA256SUMS
	)
	say "sums: $DIST/SHA256SUMS"
	cat "$DIST/SHA256SUMS" >&2
}

[ $# -gt 0 ] || { sed -n '2,20p' "$0" >&2; exit 2; }
for step in "$@"; do
	case $step in
	ldflags) ldflags; echo ;;
	tags) gotags "$TAGS"; echo ;;
	stage | linux | deb | windows | darwin | sums) "step_$step" ;;
	*) die "unknown step $step" ;;
	esac
done

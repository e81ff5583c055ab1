#!/usr/bin/env bash
# deb.sh BINARY DEB_VERSION OUTDIR — builds OUTDIR/deskclerk_<DEB_VERSION>_<arch>.deb from a
# built Linux binary, with Debian's own tools only (no downloads):
#   /usr/bin/deskclerk
#   /usr/share/applications/deskclerk.desktop          (checked with desktop-file-validate; it
#                                                        registers the URL scheme $URL_SCHEME,
#                                                        default deskclerk: MimeType=x-scheme-handler/…)
#   /usr/share/icons/hicolor/<N>x<N>/apps/deskclerk.png (from build/appicon.png, ImageMagick)
#   /usr/share/doc/deskclerk/copyright
# Depends: computed by dpkg-shlibdeps from the binary's libraries (the WebKitGTK 4.1 and
# GTK 3 runtime packages, never -dev ones). No maintainer scripts: the icon cache and the
# desktop database are refreshed by dpkg triggers of hicolor-icon-theme/desktop-file-utils.
# Uninstalling never touches users' files or keychain entries.
# Reproducible: same binary + version + SOURCE_DATE_EPOCH → the same .deb, byte for byte.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

[ $# -eq 3 ] || { echo "usage: $0 BINARY DEB_VERSION OUTDIR" >&2; exit 2; }
bin=$1 version=$2 out=$3
die() { echo "deb: $*" >&2; exit 1; }
for tool in dpkg-deb dpkg-shlibdeps desktop-file-validate convert; do
	command -v "$tool" >/dev/null || die "$tool not found (apt-get install dpkg-dev desktop-file-utils imagemagick)"
done
[ -x "$bin" ] || die "$bin is not an executable"
dpkg --validate-version "$version" 2>/dev/null || die "$version is not a valid Debian version"

pkg=deskclerk
arch=$(dpkg --print-architecture)
: "${SOURCE_DATE_EPOCH:=$(git log -1 --format=%ct 2>/dev/null || echo 0)}"
export SOURCE_DATE_EPOCH

work=$(mktemp -d "${TMPDIR:-/tmp}/deskclerk-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT
# dpkg-shlibdeps wants the source-package layout: debian/control + debian/<package>/.
mkdir -p "$work/debian"
printf 'Source: %s\n\nPackage: %s\nArchitecture: any\n' "$pkg" "$pkg" >"$work/debian/control"
root=$work/debian/$pkg
umask 022
install -D -m 0755 "$bin" "$root/usr/bin/$pkg"
scheme=${URL_SCHEME:-deskclerk}
[[ $scheme =~ ^[a-z][a-z0-9+.-]{0,31}$ ]] || die "URL_SCHEME=$scheme is not a URL scheme"
install -d -m 0755 "$root/usr/share/applications"
sed "s|x-scheme-handler/deskclerk;|x-scheme-handler/$scheme;|" scripts/package/linux/deskclerk.desktop >"$root/usr/share/applications/$pkg.desktop"
chmod 0644 "$root/usr/share/applications/$pkg.desktop"
grep -qx "MimeType=x-scheme-handler/$scheme;" "$root/usr/share/applications/$pkg.desktop" || die "the desktop entry does not register $scheme://"
desktop-file-validate "$root/usr/share/applications/$pkg.desktop"
install -D -m 0644 scripts/package/linux/copyright "$root/usr/share/doc/$pkg/copyright"
for n in 16 22 24 32 48 64 128 256 512; do
	dir=$root/usr/share/icons/hicolor/${n}x${n}/apps
	mkdir -p "$dir"
	# -strip and no date chunks: the PNGs must not change from one build to the next.
	convert build/appicon.png -resize "${n}x${n}" -strip -define png:exclude-chunks=date,time \
		"PNG32:$dir/$pkg.png"
done

shlibs=$(cd "$work" && dpkg-shlibdeps -O "debian/$pkg/usr/bin/$pkg" 2>"$work/shlibdeps.log") ||
	die "dpkg-shlibdeps failed: $(cat "$work/shlibdeps.log")"
depends=$(sed -n 's/^shlibs:Depends=//p' <<<"$shlibs")
for must in libwebkit2gtk-4.1-0 libgtk-3-0; do
	grep -q "\\b$must\\b" <<<"$depends" || die "dpkg-shlibdeps found no $must in the binary's libraries ($depends)"
done
if grep -q -- '-dev\b' <<<"$depends"; then die "a -dev package in Depends: $depends"; fi

mkdir -p "$root/DEBIAN"
size=$(du -sk --apparent-size "$root" | cut -f1)
cat >"$root/DEBIAN/control" <<EOF
Package: $pkg
Version: $version
Architecture: $arch
Maintainer: Desk Clerk developers <dev@deskclerk.invalid>
Installed-Size: $size
Depends: $depends
Recommends: default-dbus-session-bus | dbus-session-bus, gnome-keyring
Section: net
Priority: optional
Description: sign in with Clerk on the desktop
 Desk Clerk signs a person in with Clerk, keeps them signed in across
 restarts with the client token in the system keychain (Secret Service),
 verifies session tokens locally and calls a protected API with them.
 Without a publishable key built in, it runs against a local emulator.
EOF
(cd "$root" && find usr -type f -print0 | LC_ALL=C sort -z | xargs -0 md5sum) >"$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/control" "$root/DEBIAN/md5sums"
find "$root" -type d -exec chmod 0755 {} +
find "$root" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +

mkdir -p "$out"
deb=$out/${pkg}_${version}_${arch}.deb
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "$deb"

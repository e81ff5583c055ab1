package main

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Version is one build's version in the forms each package format needs.
type Version struct {
	App     string // in the binary, --version and the About line: "1.2.3", "1.2.3-4-gabc1234-dirty", "dev"
	Numeric string // MAJOR.MINOR.PATCH for wails.json, Info.plist and the Windows manifest: "1.2.3", "0.0.0" untagged
	Windows string // the four-part Windows file version: "1.2.3.4" (4 commits after the tag)
	Deb     string // a Debian version that sorts right: "1.2.3", "1.2.3~rc.1", "1.2.3+git4.abc1234", "0.0.0~dev"
}

// ErrBadVersion is returned for a version string that no package format can carry.
var ErrBadVersion = errors.New("bad version")

var (
	safeChars = regexp.MustCompile(`^[0-9A-Za-z][0-9A-Za-z.+~_-]{0,63}$`)
	semver    = regexp.MustCompile(`^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(?:-([0-9A-Za-z]+(?:\.[0-9A-Za-z]+)*))?$`)
	describe  = regexp.MustCompile(`^(.*)-([0-9]+)-g([0-9a-f]{4,40})$`)
	bareHash  = regexp.MustCompile(`^[0-9a-f]{4,40}$`)
)

// ParseVersion turns the output of `git describe --tags --always --dirty` (or
// "dev", or a plain tag such as "v1.2.3") into each format's version.
func ParseVersion(s string) (Version, error) {
	if !safeChars.MatchString(s) {
		return Version{}, fmt.Errorf("%w %q: want a git tag such as v1.2.3, git describe output, or dev", ErrBadVersion, s)
	}
	rest, dirty := strings.CutSuffix(s, "-dirty")
	var commits, hash string
	if m := describe.FindStringSubmatch(rest); m != nil {
		rest, commits, hash = m[1], m[2], m[3]
	}
	deb := func(base string) string {
		if commits != "" {
			base += "+git" + commits + "." + hash
		}
		if dirty {
			if commits == "" {
				base += "+"
			} else {
				base += "."
			}
			base += "dirty"
		}
		return base
	}
	tag := strings.TrimPrefix(rest, "v")
	if m := semver.FindStringSubmatch(tag); m != nil {
		parts := m[1:4]
		for _, p := range parts {
			if n, _ := strconv.Atoi(p); n > 65535 { // Windows version fields are 16-bit
				return Version{}, fmt.Errorf("%w %q: version numbers above 65535 do not fit Windows' file version", ErrBadVersion, s)
			}
		}
		numeric := strings.Join(parts, ".")
		build := 0
		if commits != "" {
			build, _ = strconv.Atoi(commits)
			build = min(build, 65535)
		}
		d := numeric
		if m[4] != "" { // a pre-release sorts before its release: 1.2.3~rc.1 < 1.2.3
			d += "~" + m[4]
		}
		return Version{
			App:     strings.TrimPrefix(s, "v"),
			Numeric: numeric,
			Windows: numeric + "." + strconv.Itoa(build),
			Deb:     deb(d),
		}, nil
	}
	if commits != "" {
		return Version{}, fmt.Errorf("%w %q: the tag %q is not a version (want vMAJOR.MINOR.PATCH)", ErrBadVersion, s, rest)
	}
	switch {
	case rest == "dev":
		return Version{App: s, Numeric: "0.0.0", Windows: "0.0.0.0", Deb: deb("0.0.0~dev")}, nil
	case bareHash.MatchString(rest): // no tag yet: git describe --always prints the commit
		d := "0.0.0~git." + rest
		if dirty {
			d += ".dirty"
		}
		return Version{App: s, Numeric: "0.0.0", Windows: "0.0.0.0", Deb: d}, nil
	}
	return Version{}, fmt.Errorf("%w %q: want a git tag such as v1.2.3, git describe output, or dev", ErrBadVersion, s)
}

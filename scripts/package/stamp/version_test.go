package main

import (
	"errors"
	"os/exec"
	"sort"
	"strings"
	"testing"
)

func TestParseVersion(t *testing.T) {
	tests := []struct {
		in   string
		want Version
	}{
		{"v1.2.3", Version{"1.2.3", "1.2.3", "1.2.3.0", "1.2.3"}},
		{"1.2.3", Version{"1.2.3", "1.2.3", "1.2.3.0", "1.2.3"}},
		{"v1.2.3-dirty", Version{"1.2.3-dirty", "1.2.3", "1.2.3.0", "1.2.3+dirty"}},
		{"v1.2.3-4-gabc1234", Version{"1.2.3-4-gabc1234", "1.2.3", "1.2.3.4", "1.2.3+git4.abc1234"}},
		{"v1.2.3-4-gabc1234-dirty", Version{"1.2.3-4-gabc1234-dirty", "1.2.3", "1.2.3.4", "1.2.3+git4.abc1234.dirty"}},
		{"v2.0.0-rc.1", Version{"2.0.0-rc.1", "2.0.0", "2.0.0.0", "2.0.0~rc.1"}},
		{"v2.0.0-rc.1-12-g0123abcd", Version{"2.0.0-rc.1-12-g0123abcd", "2.0.0", "2.0.0.12", "2.0.0~rc.1+git12.0123abcd"}},
		{"v1.0.0-70000-gabcdef0", Version{"1.0.0-70000-gabcdef0", "1.0.0", "1.0.0.65535", "1.0.0+git70000.abcdef0"}},
		{"dev", Version{"dev", "0.0.0", "0.0.0.0", "0.0.0~dev"}},
		{"205c317", Version{"205c317", "0.0.0", "0.0.0.0", "0.0.0~git.205c317"}},
		{"205c317-dirty", Version{"205c317-dirty", "0.0.0", "0.0.0.0", "0.0.0~git.205c317.dirty"}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseVersion(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("ParseVersion(%q) =\n %+v\nwant\n %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseVersionRejects(t *testing.T) {
	for _, in := range []string{
		"", "v", "1.2", "v1.2.3.4", "01.2.3", "v1.2.3 rc", "v1.2.3;rm -rf", `v1.2.3"`, "v1.2.3-",
		"release-2024", "nightly-3-gabc1234", "v70000.0.0", "{{.Info.Name}}", "-v1.2.3",
		strings.Repeat("1", 65),
	} {
		if v, err := ParseVersion(in); !errors.Is(err, ErrBadVersion) {
			t.Errorf("ParseVersion(%q) = %+v, %v; want ErrBadVersion", in, v, err)
		}
	}
}

// Debian versions must sort the way the releases happened; checked with dpkg itself.
func TestDebVersionsSortInReleaseOrder(t *testing.T) {
	if _, err := exec.LookPath("dpkg"); err != nil {
		t.Skip("dpkg not installed")
	}
	order := []string{"dev", "v0.9.0", "v1.0.0-rc.1", "v1.0.0-rc.1-3-gabc1234", "v1.0.0-rc.2", "v1.0.0", "v1.0.0-dirty",
		"v1.0.0-2-gabc1234", "v1.0.0-10-gabc1234", "v1.0.1"}
	debs := make([]string, len(order))
	for i, s := range order {
		v, err := ParseVersion(s)
		if err != nil {
			t.Fatal(err)
		}
		debs[i] = v.Deb
	}
	if err := exec.Command("dpkg", "--validate-version", debs[0]).Run(); err != nil {
		t.Fatalf("dpkg rejects %q: %v", debs[0], err)
	}
	sorted := append([]string(nil), debs...)
	sort.SliceStable(sorted, func(i, j int) bool {
		return exec.Command("dpkg", "--compare-versions", sorted[i], "lt", sorted[j]).Run() == nil
	})
	for i := range debs {
		if err := exec.Command("dpkg", "--validate-version", debs[i]).Run(); err != nil {
			t.Errorf("dpkg rejects %q", debs[i])
		}
		if sorted[i] != debs[i] {
			t.Fatalf("dpkg order %v, want %v", sorted, debs)
		}
	}
}

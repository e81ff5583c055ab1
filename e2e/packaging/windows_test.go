//go:build e2e

package packaging

import (
	"bytes"
	"debug/pe"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf16"
)

// resource extracts one raw resource of type typ from a PE file with wrestool (icoutils).
func resource(t *testing.T, exe string, typ int) []byte {
	t.Helper()
	return []byte(must(t, "wrestool", "-x", "--raw", fmt.Sprintf("--type=%d", typ), exe))
}

// versionInfo decodes a VS_VERSION_INFO resource: the fixed file version and the
// string table (UTF-16LE key/value pairs).
func versionInfo(t *testing.T, raw []byte) (fixed string, strs map[string]string) {
	t.Helper()
	sig := []byte{0xbd, 0x04, 0xef, 0xfe} // VS_FIXEDFILEINFO.dwSignature
	i := bytes.Index(raw, sig)
	if i < 0 || len(raw) < i+16 {
		t.Fatalf("no VS_FIXEDFILEINFO in the version resource")
	}
	ms, ls := binary.LittleEndian.Uint32(raw[i+8:]), binary.LittleEndian.Uint32(raw[i+12:])
	fixed = fmt.Sprintf("%d.%d.%d.%d", ms>>16, ms&0xffff, ls>>16, ls&0xffff)

	u := make([]uint16, len(raw)/2)
	for j := range u {
		u[j] = binary.LittleEndian.Uint16(raw[2*j:])
	}
	text := string(utf16.Decode(u))
	strs = map[string]string{}
	for _, k := range []string{"ProductVersion", "FileVersion", "ProductName", "CompanyName", "FileDescription", "LegalCopyright"} {
		if m := regexp.MustCompile(k + "\x00+([^\x00]+)").FindStringSubmatch(text); m != nil {
			strs[k] = m[1]
		}
	}
	return fixed, strs
}

// peInfo reads what `file` would say about a PE file, from its headers: the format
// (PE32 or PE32+), the machine, the subsystem, and the Authenticode signature blob.
type peInfo struct {
	plus      bool // PE32+ (64-bit optional header)
	machine   uint16
	subsystem uint16
	signature []byte
}

func readPE(t *testing.T, path string) peInfo {
	t.Helper()
	f, err := pe.Open(path)
	if err != nil {
		t.Fatalf("%s is not a PE file: %v", path, err)
	}
	defer f.Close()
	var info peInfo
	info.machine = f.Machine
	var security pe.DataDirectory
	switch oh := f.OptionalHeader.(type) {
	case *pe.OptionalHeader64:
		info.plus, info.subsystem = true, oh.Subsystem
		if len(oh.DataDirectory) > pe.IMAGE_DIRECTORY_ENTRY_SECURITY {
			security = oh.DataDirectory[pe.IMAGE_DIRECTORY_ENTRY_SECURITY]
		}
	case *pe.OptionalHeader32:
		info.subsystem = oh.Subsystem
		if len(oh.DataDirectory) > pe.IMAGE_DIRECTORY_ENTRY_SECURITY {
			security = oh.DataDirectory[pe.IMAGE_DIRECTORY_ENTRY_SECURITY]
		}
	default:
		t.Fatalf("%s has no optional header", path)
	}
	if security.Size > 0 { // the security directory's address is a file offset
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if end := uint64(security.VirtualAddress) + uint64(security.Size); end <= uint64(len(b)) {
			info.signature = b[security.VirtualAddress:end]
		}
	}
	return info
}

func TestWindowsExe(t *testing.T) {
	m := manifest(t)
	exe := filepath.Join(dist(t), "windows-amd64", "deskclerk.exe")
	if info := readPE(t, exe); !info.plus || info.machine != pe.IMAGE_FILE_MACHINE_AMD64 || info.subsystem != pe.IMAGE_SUBSYSTEM_WINDOWS_GUI {
		t.Errorf("%s: PE32+ %t, machine %#x, subsystem %d; want a PE32+ x86-64 GUI executable", exe, info.plus, info.machine, info.subsystem)
	}
	list := must(t, "wrestool", "-l", exe)
	for typ, what := range map[string]string{"--type=14": "icon group", "--type=16": "version", "--type=24": "manifest"} {
		if !strings.Contains(list, typ+" ") {
			t.Errorf("no %s resource (%s):\n%s", what, typ, list)
		}
	}

	// The icon is build/windows/icon.ico, every size of it.
	ico := filepath.Join(t.TempDir(), "extracted.ico")
	must(t, "wrestool", "-x", "--type=14", "-o", ico, exe)
	sizes := func(p string) string { return must(t, "identify", "-format", "%wx%h ", p) }
	if got, want := sizes(ico), sizes(filepath.Join(repoRoot, "build/windows/icon.ico")); got != want {
		t.Errorf("icon sizes in the exe %q, want those of build/windows/icon.ico %q", got, want)
	}

	fixed, strs := versionInfo(t, resource(t, exe, 16))
	t.Logf("version resource: fixed %s, strings %v", fixed, strs)
	if fixed != m["WINDOWS_VERSION"] {
		t.Errorf("fixed file version %s, want %s", fixed, m["WINDOWS_VERSION"])
	}
	if strs["ProductVersion"] != m["APP_VERSION"] {
		t.Errorf("ProductVersion %q, want %q (what --version prints)", strs["ProductVersion"], m["APP_VERSION"])
	}
	if strs["ProductName"] != "Desk Clerk" || strs["CompanyName"] != "Desk Clerk" {
		t.Errorf("names in the version resource: %v", strs)
	}

	man := string(resource(t, exe, 24))
	for _, want := range []string{
		`name="DeskClerk.DeskClerk"`, // no spaces in an assembly identity
		`version="` + m["NUMERIC_VERSION"] + `.0"`,
		"permonitorv2",
		"Microsoft.Windows.Common-Controls",
	} {
		if !strings.Contains(man, want) {
			t.Errorf("application manifest lacks %s:\n%s", want, man)
		}
	}
	if strings.Contains(man, "{{") {
		t.Errorf("unfilled template in the manifest:\n%s", man)
	}
}

func TestWindowsInstaller(t *testing.T) {
	m := manifest(t)
	setup := artifact(t, "SETUP")
	if info := readPE(t, setup); info.plus || info.subsystem != pe.IMAGE_SUBSYSTEM_WINDOWS_GUI {
		t.Errorf("installer: PE32+ %t, subsystem %d; want NSIS's 32-bit GUI stub", info.plus, info.subsystem)
	}
	if b, err := os.ReadFile(setup); err != nil || !bytes.Contains(b, []byte("NullsoftInst")) {
		t.Errorf("installer has no NSIS data block (%v)", err)
	}
	_, strs := versionInfo(t, resource(t, setup, 16))
	if strs["ProductVersion"] != m["NUMERIC_VERSION"] || strs["FileDescription"] != "Desk Clerk Installer" {
		t.Errorf("installer version strings %v, want ProductVersion %s", strs, m["NUMERIC_VERSION"])
	}
	if !strings.Contains(must(t, "wrestool", "-l", setup), "--type=14 ") {
		t.Error("installer has no icon")
	}

	// What the installer carries, from makensis' own listing: the program, and the WebView2
	// bootstrapper, which it runs only when the WebView2 runtime is missing (the
	// bootstrapper then downloads the runtime on the user's machine).
	b, err := os.ReadFile(filepath.Join(dist(t), "logs", "makensis.log"))
	if err != nil {
		t.Fatal(err)
	}
	log := string(b)
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`File: "MicrosoftEdgeWebview2Setup\.exe" \[compress\] \d+/(\d+) bytes`),
		regexp.MustCompile(`ExecWait: ""\$pluginsdir\\webview2bootstrapper\\MicrosoftEdgeWebview2Setup\.exe" /silent /install"`),
		regexp.MustCompile(`File: "deskclerk\.exe"->"deskclerk\.exe" \[compress\] \d+/(\d+) bytes`),
		regexp.MustCompile(`ReadRegStr \$0 HKLM\\SOFTWARE\\WOW6432Node\\Microsoft\\EdgeUpdate\\Clients\\\{F3017226-FE2A-4295-8BDF-00C3A9A7E4C5\}\\pv`),
		regexp.MustCompile(`CreateShortcut: "\$SMPROGRAMS\\Desk Clerk\.lnk"`),
		// The URL scheme for social sign-in (wails.json info.protocols → wails_tools.nsh):
		// HKCU/HKLM Software\Classes\<scheme> with "URL Protocol" and an open command
		// that passes the URL to the program.
		regexp.MustCompile(`WriteRegStr: .*Software\\Classes\\` + regexp.QuoteMeta(m["URL_SCHEME"]) + `\\shell\\open\\command.*deskclerk\.exe`),
		regexp.MustCompile(`WriteRegStr: .*Software\\Classes\\` + regexp.QuoteMeta(m["URL_SCHEME"]) + `\\?.*URL Protocol`),
	} {
		if !want.MatchString(log) {
			t.Errorf("makensis log lacks %s", want)
		}
	}
	exe, err := os.Stat(filepath.Join(dist(t), "windows-amd64", "deskclerk.exe"))
	if err != nil {
		t.Fatal(err)
	}
	if mm := regexp.MustCompile(`File: "deskclerk\.exe"->"deskclerk\.exe" \[compress\] \d+/(\d+) bytes`).FindStringSubmatch(log); mm != nil && mm[1] != fmt.Sprint(exe.Size()) {
		t.Errorf("the installer carries a %s-byte deskclerk.exe, the packaged one has %d bytes", mm[1], exe.Size())
	}
	// The bootstrapper the installer embeds is Microsoft's signed one, as Wails ships it.
	boot := filepath.Join(stage(t), "build/windows/installer/tmp/MicrosoftEdgeWebview2Setup.exe")
	if sig := readPE(t, boot).signature; len(sig) < 1000 || !bytes.Contains(sig, []byte("Microsoft Corporation")) {
		t.Errorf("the WebView2 bootstrapper carries no Microsoft Authenticode signature (%d bytes)", len(sig))
	}
	_, bs := versionInfo(t, resource(t, boot, 16))
	if !strings.Contains(bs["CompanyName"], "Microsoft") {
		t.Errorf("bootstrapper's company %q", bs["CompanyName"])
	}
}

// stage is where make package built (its copy of the tree).
func stage(t *testing.T) string {
	t.Helper()
	if s := os.Getenv("DESKCLERK_STAGE"); s != "" {
		return s
	}
	return filepath.Join(repoRoot, "build", "bin", "stage")
}

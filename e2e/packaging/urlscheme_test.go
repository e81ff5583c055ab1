//go:build e2e

package packaging

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"text/template"
)

// TestMacInfoPlistRegistersScheme renders the staged build/darwin/Info.plist template
// with the staged wails.json, the way Wails does on macOS (its template fields and
// safeBundleID), and checks that the bundle declares the URL scheme (CFBundleURLTypes)
// that main.go's Mac.OnUrlOpen receives. The macOS build itself runs in CI on macOS.
func TestMacInfoPlistRegistersScheme(t *testing.T) {
	scheme := manifest(t)["URL_SCHEME"]
	raw, err := os.ReadFile(filepath.Join(stage(t), "wails.json"))
	if err != nil {
		t.Fatal(err)
	}
	var project map[string]any
	if err := json.Unmarshal(raw, &project); err != nil {
		t.Fatal(err)
	}
	info := project["info"].(map[string]any)
	protos, _ := info["protocols"].([]any)
	if len(protos) != 1 || protos[0].(map[string]any)["scheme"] != scheme {
		t.Fatalf("staged wails.json info.protocols %v, want the scheme %q", protos, scheme)
	}
	info["Protocols"], info["ProductName"], info["ProductVersion"] = capitalise(protos), info["productName"], info["productVersion"]
	info["Comments"], info["Copyright"] = info["comments"], info["copyright"]
	data := map[string]any{"Info": info, "OutputFilename": project["outputfilename"], "Name": project["name"]}
	nonWord := regexp.MustCompile(`[^a-zA-Z0-9]+`)
	tmpl, err := template.New("Info.plist").Funcs(template.FuncMap{
		"safeBundleID": func(s string) string { return strings.Trim(strings.ToLower(nonWord.ReplaceAllString(s, "-")), "-") },
	}).ParseFiles(filepath.Join(stage(t), "build", "darwin", "Info.plist"))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := tmpl.Execute(&out, data); err != nil {
		t.Fatal(err)
	}
	rendered := out.String()
	// Walk the plist: CFBundleURLTypes → dict → CFBundleURLSchemes → string.
	dec := xml.NewDecoder(strings.NewReader(rendered))
	dec.Strict = false
	var key, lastKey string
	inSchemes, found := false, false
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		switch el := tok.(type) {
		case xml.StartElement:
			key = el.Name.Local
		case xml.CharData:
			text := strings.TrimSpace(string(el))
			switch {
			case key == "key":
				lastKey = text
				inSchemes = text == "CFBundleURLSchemes"
			case key == "string" && inSchemes && lastKey == "CFBundleURLSchemes":
				found = found || text == scheme
			}
		case xml.EndElement:
			key = ""
		}
	}
	if !found {
		t.Errorf("the rendered Info.plist declares no CFBundleURLSchemes %q:\n%s", scheme, rendered)
	}
}

// capitalise gives wails.json's protocol entries the field names Wails' templates use.
func capitalise(protos []any) []map[string]any {
	var out []map[string]any
	for _, p := range protos {
		m := p.(map[string]any)
		out = append(out, map[string]any{"Scheme": m["scheme"], "Description": m["description"], "Role": m["role"]})
	}
	return out
}

// TestStagedNSISRegistersScheme: Wails wrote the scheme from wails.json into the
// installer script it generated in the stage.
func TestStagedNSISRegistersScheme(t *testing.T) {
	scheme := manifest(t)["URL_SCHEME"]
	b, err := os.ReadFile(filepath.Join(stage(t), "build", "windows", "installer", "wails_tools.nsh"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	if !strings.Contains(s, `!insertmacro CUSTOM_PROTOCOL_ASSOCIATE "`+scheme+`"`) || !strings.Contains(s, `!insertmacro CUSTOM_PROTOCOL_UNASSOCIATE "`+scheme+`"`) {
		t.Errorf("wails_tools.nsh does not (un)register %s://", scheme)
	}
}

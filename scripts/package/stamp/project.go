package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
)

// StampProject writes v into a staged copy of the project at dir: wails.json's
// info.productVersion (which Wails puts into the Windows manifest, the Windows
// version resource's numeric fields, the NSIS installer and Info.plist) and the
// Windows version resource's ProductVersion string (the full app version, as
// --version prints it). It refuses a git work tree: the real tree is never
// stamped, so packaging leaves it clean.
func StampProject(dir string, v Version) error {
	if _, err := os.Stat(filepath.Join(dir, ".git")); err == nil {
		return fmt.Errorf("stamp %s: this is a git work tree; stamp a staged copy", dir)
	}
	if err := editJSON(filepath.Join(dir, "wails.json"), func(doc map[string]any) error {
		info, ok := doc["info"].(map[string]any)
		if !ok {
			info = map[string]any{}
			doc["info"] = info
		}
		info["productVersion"] = v.Numeric
		return nil
	}); err != nil {
		return err
	}
	return editJSON(filepath.Join(dir, "build", "windows", "info.json"), func(doc map[string]any) error {
		fixed, ok := doc["fixed"].(map[string]any)
		if !ok {
			return errors.New(`no "fixed" object`)
		}
		fixed["file_version"] = v.Windows
		info, ok := doc["info"].(map[string]any)
		if !ok {
			return errors.New(`no "info" object`)
		}
		for lang, t := range info {
			table, ok := t.(map[string]any)
			if !ok {
				return fmt.Errorf("info.%s is not an object", lang)
			}
			table["ProductVersion"] = v.App
			table["FileVersion"] = v.Windows
		}
		return nil
	})
}

// schemeSyntax is RFC 3986 §3.1 in lower case (what the OS registrations are written in).
var schemeSyntax = regexp.MustCompile(`^[a-z][a-z0-9+.-]{0,31}$`)

// StampScheme sets the app's URL scheme in the staged wails.json's info.protocols, from
// which Wails writes the Windows installer's registry keys (NSIS, wails_tools.nsh) and
// the macOS Info.plist's CFBundleURLTypes. Like StampProject it refuses a work tree.
func StampScheme(dir, scheme string) error {
	if _, err := os.Stat(filepath.Join(dir, ".git")); err == nil {
		return fmt.Errorf("stamp %s: this is a git work tree; stamp a staged copy", dir)
	}
	if !schemeSyntax.MatchString(scheme) {
		return fmt.Errorf("stamp: %q is not a URL scheme", scheme)
	}
	return editJSON(filepath.Join(dir, "wails.json"), func(doc map[string]any) error {
		info, ok := doc["info"].(map[string]any)
		if !ok {
			return errors.New(`no "info" object`)
		}
		protos, _ := info["protocols"].([]any)
		if len(protos) != 1 {
			return fmt.Errorf("want exactly one entry in info.protocols, found %d", len(protos))
		}
		p, ok := protos[0].(map[string]any)
		if !ok {
			return errors.New("info.protocols[0] is not an object")
		}
		p["scheme"] = scheme
		return nil
	})
}

func editJSON(path string, edit func(map[string]any) error) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("stamp: %w", err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		return fmt.Errorf("stamp %s: %w", path, err)
	}
	if err := edit(doc); err != nil {
		return fmt.Errorf("stamp %s: %w", path, err)
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false) // keep "©" and "<" readable
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("stamp %s: %w", path, err)
	}
	return os.WriteFile(path, out.Bytes(), 0o644)
}

// Command stamp derives the version forms each package format needs from one
// version string, and writes them into a staged copy of the project.
//
//	stamp version VERSION        prints APP_VERSION=…, NUMERIC_VERSION=…, WINDOWS_VERSION=…, DEB_VERSION=…
//	stamp project VERSION DIR [SCHEME]
//	                             stamps DIR/wails.json and DIR/build/windows/info.json, and
//	                             SCHEME (the app's URL scheme) into wails.json info.protocols
//
// VERSION is `git describe --tags --always --dirty` output, a tag (v1.2.3) or dev.
package main

import (
	"fmt"
	"io"
	"os"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "stamp:", err)
		os.Exit(1)
	}
}

func run(args []string, out io.Writer) error {
	if len(args) < 2 {
		return fmt.Errorf("usage: stamp version VERSION | stamp project VERSION DIR [SCHEME]")
	}
	v, err := ParseVersion(args[1])
	if err != nil {
		return err
	}
	switch {
	case args[0] == "version" && len(args) == 2:
		_, err := fmt.Fprintf(out, "APP_VERSION=%s\nNUMERIC_VERSION=%s\nWINDOWS_VERSION=%s\nDEB_VERSION=%s\n", v.App, v.Numeric, v.Windows, v.Deb)
		return err
	case args[0] == "project" && len(args) == 3:
		return StampProject(args[2], v)
	case args[0] == "project" && len(args) == 4:
		if err := StampProject(args[2], v); err != nil {
			return err
		}
		return StampScheme(args[2], args[3])
	}
	return fmt.Errorf("usage: stamp version VERSION | stamp project VERSION DIR [SCHEME]")
}

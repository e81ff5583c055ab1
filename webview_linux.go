//go:build linux && webkit2_41

package main

/*
#cgo pkg-config: webkit2gtk-4.1
#include <webkit2/webkit2.h>
*/
import "C"

import "fmt"

// webviewVersion is the WebKitGTK library loaded at run time (not the headers').
func webviewVersion() string {
	return fmt.Sprintf("WebKitGTK %d.%d.%d", C.webkit_get_major_version(), C.webkit_get_minor_version(), C.webkit_get_micro_version())
}

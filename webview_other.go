//go:build !(linux && webkit2_41) && !windows

package main

// webviewVersion is unknown on this platform build (WKWebView follows macOS's version).
func webviewVersion() string { return "" }

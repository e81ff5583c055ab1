//go:build !linux || !(dev || production) || bindings

package main

// tuneWebKit: WebView2 and WKWebView size their caches themselves; builds without
// Wails' desktop frontend (tests, binding generation) have no web context.
func tuneWebKit() {}

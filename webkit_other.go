//go:build !linux

package main

// tuneWebKit: WebView2 and WKWebView size their caches themselves.
func tuneWebKit() {}

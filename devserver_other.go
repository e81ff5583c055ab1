//go:build !dev

package main

import "io"

// devServer: this build has no dev server; every page request comes from the window.
const devServer = false

func announceDevPage(io.Writer, string) {}

//go:build release

package main

import "deskclerk/auth/service"

// A release build talks only to the Clerk instance of its built-in key.
var startLocal service.LocalStarter

// localHost: no local stand-in, so no keychain entries of one.
const localHost = ""

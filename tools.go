//go:build tools

// Package main pins modules that later code imports, so `go mod tidy` keeps them
// while the packages that use them are being written.
package main

import (
	_ "github.com/clerk/clerk-sdk-go/v2/jwt"
	_ "github.com/golang-jwt/jwt/v5"
	_ "github.com/lestrrat-go/jwx/v2/jwk"
	_ "github.com/pkg/browser"
	_ "github.com/wailsapp/wails/v2"
	_ "github.com/zalando/go-keyring"
	_ "go.etcd.io/bbolt"
)

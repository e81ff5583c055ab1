package keychain

import (
	"errors"
	"testing"
	"time"
)

func TestOptionsValidate(t *testing.T) {
	ok := Options{App: "deskclerk", Instance: "clerk.example.com"}
	tests := []struct {
		name    string
		mutate  func(*Options)
		wantErr bool
	}{
		{"minimal", func(*Options) {}, false},
		{"emulator with port", func(o *Options) { o.Instance = "127.0.0.1:4318" }, false},
		{"all set", func(o *Options) { o.Account = "acct"; o.Timeout = time.Second; o.ChunkSize = MaxChunkSize }, false},
		{"no app", func(o *Options) { o.App = " " }, true},
		{"app with parens", func(o *Options) { o.App = "a (b)" }, true},
		{"no instance", func(o *Options) { o.Instance = "" }, true},
		{"url instance", func(o *Options) { o.Instance = "https://clerk.example.com" }, true},
		{"instance with path", func(o *Options) { o.Instance = "clerk.example.com/v1" }, true},
		{"instance with space", func(o *Options) { o.Instance = "clerk example" }, true},
		{"account with newline", func(o *Options) { o.Account = "a\nb" }, true},
		{"negative timeout", func(o *Options) { o.Timeout = -time.Second }, true},
		{"chunk too big for Windows", func(o *Options) { o.ChunkSize = MaxChunkSize + 1 }, true},
		{"chunk too small", func(o *Options) { o.ChunkSize = 10 }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := ok
			tt.mutate(&o)
			err := o.Validate()
			if (err != nil) != tt.wantErr {
				t.Fatalf("Validate() = %v, wantErr %v", err, tt.wantErr)
			}
			if err != nil && !errors.Is(err, ErrInvalidOptions) {
				t.Fatalf("error %v is not ErrInvalidOptions", err)
			}
		})
	}
}

func TestServiceName(t *testing.T) {
	tests := []struct{ app, instance, want string }{
		{"deskclerk", "clerk.example.com", "deskclerk (clerk.example.com)"},
		{" deskclerk ", " Clerk.Example.COM ", "deskclerk (clerk.example.com)"},
		{"deskclerk", "127.0.0.1:4318", "deskclerk (127.0.0.1:4318)"},
	}
	for _, tt := range tests {
		if got := (Options{App: tt.app, Instance: tt.instance}).ServiceName(); got != tt.want {
			t.Errorf("ServiceName(%q, %q) = %q, want %q", tt.app, tt.instance, got, tt.want)
		}
	}
	dev := Options{App: "deskclerk", Instance: "clerk.dev.example.com"}.ServiceName()
	prod := Options{App: "deskclerk", Instance: "clerk.example.com"}.ServiceName()
	if dev == prod {
		t.Fatal("dev and production instances share a service name")
	}
}

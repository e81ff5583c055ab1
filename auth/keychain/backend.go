package keychain

import (
	"errors"
	"runtime"
	"sync"

	"github.com/zalando/go-keyring"
)

// Backend is a keychain with go-keyring's shape. Get returns an error that
// errors.Is ErrNotFound (or go-keyring's keyring.ErrNotFound) when the entry
// does not exist. A Backend may also have a method Name() string, which
// Health reports; without one it is reported as "custom keychain".
type Backend interface {
	Get(service, user string) (string, error)
	Set(service, user, value string) error
	Delete(service, user string) error
}

// Backend names reported in Health.Backend.
const (
	BackendSecretService  = "Secret Service"
	BackendMacOSKeychain  = "macOS Keychain"
	BackendWindowsCredMan = "Windows Credential Manager"
	BackendMemoryOnly     = "memory only"
	backendCustom         = "custom keychain"
)

// SystemBackend is the OS keychain through github.com/zalando/go-keyring:
// the Secret Service on Linux and the BSDs, the login keychain on macOS, the
// Credential Manager on Windows. Its calls take no context and can block
// forever; the Store bounds them.
func SystemBackend() Backend { return systemBackend{} }

type systemBackend struct{}

func (systemBackend) Name() string {
	switch runtime.GOOS {
	case "darwin":
		return BackendMacOSKeychain
	case "windows":
		return BackendWindowsCredMan
	case "linux", "freebsd", "openbsd", "netbsd", "dragonfly":
		return BackendSecretService
	}
	return "no keychain on " + runtime.GOOS
}

func (systemBackend) Get(service, user string) (string, error) {
	v, err := keyring.Get(service, user)
	return v, mapNotFound(err)
}

func (systemBackend) Set(service, user, value string) error {
	return keyring.Set(service, user, value)
}

func (systemBackend) Delete(service, user string) error {
	return mapNotFound(keyring.Delete(service, user))
}

func mapNotFound(err error) error {
	if errors.Is(err, keyring.ErrNotFound) {
		return ErrNotFound
	}
	return err
}

// NewMemoryBackend returns a Backend that keeps entries in this process's
// memory. It is what the Store falls back to when no keychain works, and a
// fake for unit tests. It is safe for concurrent use.
func NewMemoryBackend() Backend { return &memoryBackend{m: map[memKey]string{}} }

type memKey struct{ service, user string }

type memoryBackend struct {
	mu sync.Mutex
	m  map[memKey]string
}

func (*memoryBackend) Name() string { return BackendMemoryOnly }

func (b *memoryBackend) Get(service, user string) (string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	v, ok := b.m[memKey{service, user}]
	if !ok {
		return "", ErrNotFound
	}
	return v, nil
}

func (b *memoryBackend) Set(service, user, value string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.m[memKey{service, user}] = value
	return nil
}

func (b *memoryBackend) Delete(service, user string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.m[memKey{service, user}]; !ok {
		return ErrNotFound
	}
	delete(b.m, memKey{service, user})
	return nil
}

// users lists the accounts stored under service (tests use it to look for
// leftover chunks).
func (b *memoryBackend) users(service string) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for k := range b.m {
		if k.service == service {
			out = append(out, k.user)
		}
	}
	return out
}

func backendName(b Backend) string {
	if n, ok := b.(interface{ Name() string }); ok {
		return n.Name()
	}
	return backendCustom
}

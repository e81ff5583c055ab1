package keychain

import "errors"

// Sentinel errors. Errors returned by this package wrap one of these (check
// with errors.Is) together with the underlying cause; none of them ever
// contains the stored value.
var (
	// ErrNotFound means no refresh state is stored for this App and Instance.
	ErrNotFound error = notFoundError{}
	// ErrTimeout means a keychain call did not finish within Options.Timeout
	// (or the caller's deadline). The call may still complete in the
	// background; the Store never waits for it.
	ErrTimeout = errors.New("keychain timed out")
	// ErrUnavailable means the keychain answered with an error or could not be
	// reached (no session bus, no Secret Service, locked keyring, …).
	ErrUnavailable = errors.New("keychain unavailable")
	// ErrCorrupt means an entry exists but cannot be read back as a whole
	// value (unknown format, missing chunk, checksum mismatch).
	ErrCorrupt = errors.New("keychain entry is damaged")
	// ErrInvalidValue is returned by Save for a value it refuses to store
	// (empty, not UTF-8, or larger than MaxValueSize).
	ErrInvalidValue = errors.New("invalid value for the keychain")
	// ErrInvalidOptions is recorded in Health when Open gets options it cannot
	// use; the Store then keeps the state in memory only.
	ErrInvalidOptions = errors.New("invalid keychain options")
)

// notFoundError is ErrNotFound. Its NotFound method lets consumers recognise it
// without importing this package (auth/gateway does).
type notFoundError struct{}

func (notFoundError) Error() string  { return "no sign-in state in the keychain" }
func (notFoundError) NotFound() bool { return true }

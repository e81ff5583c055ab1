package keychain

import "fmt"

// Health describes where the refresh state lives, for the UI.
type Health struct {
	// Backend is "Secret Service", "macOS Keychain", "Windows Credential
	// Manager" or "memory only".
	Backend string `json:"backend"`
	// Service is the keychain service name of the entries.
	Service string `json:"service"`
	// Persistent is true when the newest state will survive a restart: the
	// backend is a real keychain and the last write to it succeeded.
	Persistent bool `json:"persistent"`
	// LastError is the last keychain error (or why the Store is memory only);
	// empty when the last keychain operation succeeded. It never contains the
	// stored value.
	LastError string `json:"lastError,omitempty"`
	// Err is LastError as an error, for errors.Is(h.Err, ErrTimeout) etc.
	Err error `json:"-"`
}

// Health reports the backend in use, whether the state will survive a
// restart, and the last error.
func (s *Store) Health() Health {
	s.mu.Lock()
	defer s.mu.Unlock()
	err := s.lastErr
	if err == nil {
		err = s.fallbackErr
	}
	h := Health{
		Backend:    s.name,
		Service:    s.service,
		Persistent: s.persistent && !s.writeFailed,
		Err:        err,
	}
	if err != nil {
		h.LastError = err.Error()
	}
	return h
}

// Summary is one sentence for the user.
func (h Health) Summary() string {
	switch {
	case h.Backend == BackendMemoryOnly && h.LastError != "":
		return fmt.Sprintf("You will not stay signed in after the app closes: no working keychain (%s).", h.LastError)
	case h.Backend == BackendMemoryOnly:
		return "You will not stay signed in after the app closes: sign-in is kept in memory only."
	case !h.Persistent:
		return fmt.Sprintf("The %s did not save your sign-in (%s); you may have to sign in again after a restart.", h.Backend, h.LastError)
	case h.LastError != "":
		return fmt.Sprintf("Sign-in is kept in the %s; its last operation failed: %s.", h.Backend, h.LastError)
	}
	return fmt.Sprintf("Sign-in is kept in the %s.", h.Backend)
}

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
	// Retrying is true while the keychain has not answered since Open and the
	// Store keeps trying it (Backend is "memory only" meanwhile); Keychain names it.
	Retrying bool   `json:"retrying,omitempty"`
	Keychain string `json:"keychain,omitempty"`
	// Pending is "save" or "delete" while a Save or Delete made during the
	// retries waits for the keychain; empty otherwise.
	Pending string `json:"pending,omitempty"`
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
	if s.retrying {
		h.Retrying, h.Keychain = true, s.real.name
		if s.seq > 0 {
			h.Pending = "save"
			if !s.want.present {
				h.Pending = "delete"
			}
		}
	}
	return h
}

// Summary is one sentence for the user.
func (h Health) Summary() string {
	switch {
	case h.Retrying && h.Pending == "delete":
		return fmt.Sprintf("Sign-out is not saved yet: the %s has not answered (%s). Desk Clerk keeps trying and removes the stored sign-in as soon as it does.", h.Keychain, h.LastError)
	case h.Retrying:
		return fmt.Sprintf("You will not stay signed in after the app closes unless the %s answers; it has not yet (%s). Desk Clerk keeps trying.", h.Keychain, h.LastError)
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

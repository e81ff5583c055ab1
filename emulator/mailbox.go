package emulator

import (
	"os"
	"path/filepath"
	"strings"
)

// MailboxDir is where, inside Options.Dir, the emulator drops the last
// verification code sent to each address (one file per address, mode 0600), so
// a test driving the app — whose embedded emulator's log it cannot read — can
// type the code the way a person reads it from their mail.
const MailboxDir = "mailbox"

// MailboxFile is the file holding the last code sent to address.
func MailboxFile(dir, address string) string {
	name := strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == 0 {
			return '_'
		}
		return r
	}, strings.ToLower(address))
	return filepath.Join(dir, MailboxDir, name)
}

func (s *Server) dropInMailbox(address, code string) {
	p := MailboxFile(s.dir, address)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		s.log.Warn("emulator: mailbox", "err", err)
		return
	}
	if err := os.WriteFile(p, []byte(code+"\n"), 0o600); err != nil {
		s.log.Warn("emulator: mailbox", "err", err)
	}
}

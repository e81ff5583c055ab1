package emulator

import (
	"crypto/rand"
	"fmt"
	"math/big"
)

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// newID returns a Clerk-style identifier: a prefix, an underscore and 27 random
// base62 characters (the length of the KSUIDs Clerk uses).
func newID(prefix string) string {
	return prefix + "_" + randomString(27, base62)
}

// randomString draws n characters uniformly from alphabet with crypto/rand.
func randomString(n int, alphabet string) string {
	max := big.NewInt(int64(len(alphabet)))
	b := make([]byte, n)
	for i := range b {
		v, err := rand.Int(rand.Reader, max)
		if err != nil {
			// crypto/rand does not fail on supported platforms; a broken RNG must not yield guessable IDs.
			panic(fmt.Sprintf("emulator: crypto/rand: %v", err))
		}
		b[i] = alphabet[v.Int64()]
	}
	return string(b)
}

// newOTP returns a six-digit one-time code.
func newOTP() string {
	return randomString(6, "0123456789")
}

// newDemoPassword returns a password that satisfies the advertised password
// settings and is easy to type: three groups of four letters and digits.
func newDemoPassword() string {
	const alphabet = "abcdefghjkmnpqrstuvwxyz23456789" // no look-alikes (i, l, o, 0, 1)
	return randomString(4, alphabet) + "-" + randomString(4, alphabet) + "-" + randomString(4, alphabet)
}

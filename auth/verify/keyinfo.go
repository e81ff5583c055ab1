package verify

import (
	"sort"
	"time"
)

// KeyInfo describes the keys a Verifier holds now, for diagnostics.
type KeyInfo struct {
	KIDs      []string  // sorted; empty until the first good JWKS fetch
	FetchedAt time.Time // when the JWKS in use was fetched; zero for a PEM key
	Source    string    // the JWKS URL, or "PEM"
}

// KeyInfo reports the key ids in use and how old the cached key set is.
func (v *Verifier) KeyInfo() KeyInfo {
	switch ks := v.keys.(type) {
	case *jwksKeys:
		info := KeyInfo{Source: ks.url}
		if set := ks.keys.Load(); set != nil {
			for kid := range set.byKID {
				info.KIDs = append(info.KIDs, kid)
			}
			sort.Strings(info.KIDs)
			info.FetchedAt = set.fetched
		}
		return info
	case *pemKeys:
		info := KeyInfo{Source: "PEM"}
		if ks.kid != "" {
			info.KIDs = []string{ks.kid}
		}
		return info
	}
	return KeyInfo{}
}

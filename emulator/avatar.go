package emulator

import (
	"fmt"
	"hash/fnv"
	"html"
	"net/http"
	"unicode"
)

// avatar serves a generated initials picture, so profile images work offline
// (Clerk's default avatars live on img.clerk.com).
func avatar(w http.ResponseWriter, r *http.Request) {
	var initials []rune
	for _, ch := range r.URL.Query().Get("i") {
		if len(initials) == 2 {
			break
		}
		if unicode.IsLetter(ch) || unicode.IsDigit(ch) {
			initials = append(initials, ch)
		}
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(r.URL.Query().Get("s")))
	hue := h.Sum32() % 360
	h2 := w.Header()
	h2.Set("Content-Type", "image/svg+xml")
	h2.Set("Cache-Control", "public, max-age=86400")
	h2.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	h2.Set("Access-Control-Allow-Origin", "*")
	fmt.Fprintf(w, `<svg xmlns="http://www.w3.org/2000/svg" width="128" height="128" viewBox="0 0 128 128">`+
		`<rect width="128" height="128" fill="hsl(%d,55%%,45%%)"/>`+
		`<text x="64" y="64" dy=".35em" text-anchor="middle" font-family="sans-serif" font-size="52" fill="#fff">%s</text></svg>`,
		hue, html.EscapeString(string(initials)))
}

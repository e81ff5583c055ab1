package loopback

import (
	"bytes"
	"html/template"
)

// The landing page is static: it reflects nothing from the request, loads nothing,
// runs no script, and links nowhere (the URL it is served at holds the secret path and
// Clerk's nonce, so it must not leak through a Referer either).
var landingTemplate = template.Must(template.New("landing").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{{.Heading}} · {{.App}}</title>
<style>
body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;max-width:32rem;margin:15vh auto;padding:0 1.5rem;color:#1f2328;background:#fff}
h1{font-size:1.4rem;margin:0 0 .75rem}
p{margin:0 0 .75rem}
@media (prefers-color-scheme:dark){body{color:#e6edf3;background:#0d1117}}
</style>
</head>
<body>
<h1>{{.Heading}}</h1>
<p>{{.Body}}</p>
<p>You can close this tab.</p>
</body>
</html>
`))

type landingPages struct {
	success, failure []byte
}

func renderLanding(app string) (landingPages, error) {
	render := func(heading, body string) ([]byte, error) {
		var b bytes.Buffer
		err := landingTemplate.Execute(&b, struct{ App, Heading, Body string }{app, heading, body})
		return b.Bytes(), err
	}
	ok, err := render("Return to "+app, "Your browser has handed the sign-in back to "+app+". Switch back to the app to finish.")
	if err != nil {
		return landingPages{}, err
	}
	fail, err := render("Sign-in did not finish", "Return to "+app+" to see what happened and try again.")
	if err != nil {
		return landingPages{}, err
	}
	return landingPages{success: ok, failure: fail}, nil
}

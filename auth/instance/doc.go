// Package instance derives where a Clerk instance's public endpoints are from
// configuration: the publishable key names the Frontend API host, and from it
// follow the session-token issuer and the JWKS URL.
//
// The point is that configuration, never a token, decides where verification
// keys come from: a token's iss or jku header is only ever compared with these
// values, never used to fetch anything.
package instance

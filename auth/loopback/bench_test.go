package loopback

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// Baseline for the handler benchmarks: net/http's own 404 handler on the same request.
func BenchmarkHandlerBaselineNotFound(b *testing.B) {
	benchHandler(b, http.NotFoundHandler(), "/callback/"+testSecret+"?rotating_token_nonce=rtn_abc", "127.0.0.1:53124")
}

// A stray request: Host ok, wrong path (constant-time compare, fixed 404 body).
func BenchmarkHandlerRejectPath(b *testing.B) {
	h := newTestHandler(b)
	benchHandler(b, h, "/callback/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA?rotating_token_nonce=rtn_abc", "127.0.0.1:53124")
}

// A rebinding request: refused at the Host check.
func BenchmarkHandlerRejectHost(b *testing.B) {
	h := newTestHandler(b)
	benchHandler(b, h, "/callback/"+testSecret+"?rotating_token_nonce=rtn_abc", "evil.example")
}

// A valid callback, up to and including the landing page (delivery always accepted).
func BenchmarkHandlerAccept(b *testing.B) {
	h := newTestHandler(b)
	h.deliver = func(Result) bool { return true }
	benchHandler(b, h, "/callback/"+testSecret+"?rotating_token_nonce=rtn_abc", "127.0.0.1:53124")
}

func benchHandler(b *testing.B, h http.Handler, target, host string) {
	raw := "GET " + target + " HTTP/1.1\r\nHost: " + host + "\r\n\r\n"
	req, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw)))
	if err != nil {
		b.Fatal(err)
	}
	req = req.WithContext(context.WithValue(req.Context(), http.LocalAddrContextKey, testLocal))
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
	}
}

// Baseline for the flow benchmark: bind and close one loopback socket.
func BenchmarkFlowBaselineListenClose(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		l, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		l.Close()
	}
}

// A whole flow that is started and canceled: secret, landing pages, 127.0.0.1 + [::1]
// listeners, HTTP server, shutdown.
func BenchmarkFlowStartCancel(b *testing.B) {
	b.ReportAllocs()
	ctx := context.Background()
	for b.Loop() {
		f, err := Start(ctx, Options{})
		if err != nil {
			b.Fatal(err)
		}
		f.Cancel()
		<-f.Done()
	}
}

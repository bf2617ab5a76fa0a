package server_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/jupyterhub/hubprofiles/auth"
)

// discard is a ResponseWriter that keeps nothing, so that the benchmark
// measures the handler, not the recorder.
type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(b []byte) (int, error) { return len(b), nil }
func (d *discard) WriteHeader(int)             {}

// BenchmarkFeed: one GET profile_list through the feed listener's handler
// (the lean path), through Echo (a query string sends it there: what every
// request cost before), and through a bare net/http handler writing the same
// bytes and headers, the reference. go test -bench Feed -benchmem ./server;
// add -cpuprofile/-memprofile to see where the time goes.
func BenchmarkFeed(b *testing.B) {
	s := newServer(b, auth.Anonymous{}, prefix)
	rev := s.publish(nil)
	body := rev.ProfileList
	bare := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Cache-Control", "no-cache")
		h.Set("ETag", `"x"`)
		h.Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(body)
	})
	for _, c := range []struct {
		name string
		h    http.Handler
		url  string
	}{
		{"bare", bare, prefix + "profile_list"},
		{"feed-listener", s.srv.FeedHandler(), prefix + "profile_list"},
		{"echo", s.srv.FeedHandler(), prefix + "profile_list?via=echo"},
	} {
		b.Run(c.name, func(b *testing.B) {
			req := httptest.NewRequest(http.MethodGet, c.url, nil)
			b.ReportAllocs()
			for b.Loop() {
				c.h.ServeHTTP(&discard{h: http.Header{}}, req)
			}
		})
	}
}

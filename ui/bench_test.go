package ui_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"

	"github.com/jupyterhub/hubprofiles/edit"
	"github.com/jupyterhub/hubprofiles/internal/corpus"
	"github.com/jupyterhub/hubprofiles/profilelist"
)

// BenchmarkPages measures the server-side render time of each page (the
// router, the guard, the store reads and the template, without the
// network) with the largest list of the corpus imported.
func BenchmarkPages(b *testing.B) {
	c := newTestServer(b)
	largest := importCorpus(b, c)
	h := c.srv.Handler()
	for _, page := range []struct{ name, path string }{
		{"dashboard", ""},
		{"images", "images"},
		{"profiles", "profiles"},
		{"profile-editor", "profiles/" + largest},
		{"history", "history"},
		{"preview", "preview"},
		{"import", "import"},
	} {
		b.Run(page.name, func(b *testing.B) {
			req := httptest.NewRequest(http.MethodGet, prefix+page.path, nil)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != http.StatusOK {
				b.Fatalf("GET %s: %d", page.path, w.Code)
			}
			b.SetBytes(int64(w.Body.Len()))
			b.ReportAllocs()
			for b.Loop() {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatalf("GET %s: %d", page.path, w.Code)
				}
			}
		})
	}
}

// BenchmarkPagesBigHub is BenchmarkPages with a 500-profile list built from
// the corpus's real profiles (corpus.BigList): ten times the largest sane hub.
func BenchmarkPagesBigHub(b *testing.B) {
	c := newTestServer(b)
	src, err := profilelist.Parse(corpus.BigList(b, 500), profilelist.DefaultLimits)
	if err != nil {
		b.Fatal(err)
	}
	res, err := c.edit.Import(context.Background(), src, edit.Change{Base: edit.NoBase, Author: "system:cli", Message: "500 profiles", Operator: true})
	if err != nil {
		b.Fatalf("importing 500 profiles: %v", err)
	}
	h := c.srv.Handler()
	for _, page := range []struct{ name, path string }{
		{"dashboard", ""},
		{"images", "images"},
		{"profiles", "profiles"},
		{"profile-editor", "profiles/" + largestProfile(res.Catalog)},
		{"history", "history"},
		{"preview", "preview"},
	} {
		b.Run(page.name, func(b *testing.B) {
			req := httptest.NewRequest(http.MethodGet, prefix+page.path, nil)
			h.ServeHTTP(httptest.NewRecorder(), req) // what a revision's first view costs once
			b.ReportAllocs()
			cpu := cpuTime(b)
			for b.Loop() {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatalf("GET %s: %d", page.path, w.Code)
				}
				b.SetBytes(int64(w.Body.Len()))
			}
			// On a shared machine the wall time per request (ns/op) grows
			// with the load; the CPU time the process spent (garbage
			// collection included) does much less.
			b.ReportMetric(float64(cpuTime(b)-cpu)/float64(b.N)/1e6, "cpu-ms/op")
		})
	}
}

// cpuTime is the CPU time (user and system) this process has used so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

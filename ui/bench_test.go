package ui_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
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

package ui_test

// Security tests of the pages (issue 11, item 5 "whatever can be saved can
// be read back"): each sends what a hostile or careless editor would, the
// way a browser session does (the "session" identity: a cookie session
// whose writes must carry its CSRF token).

import (
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jupyterhub/hubprofiles/model"
)

// asSession is the header of a browser session; its forms carry _csrf.
var asSession = []string{"X-Test-As", "session"}

// everyPage is what must still answer 200 after a refused write.
var everyPage = []string{"", "profiles", "profiles/small", "images", "defaults-settings", "node-groups", "history", "preview", "import", "export"}

func TestSecurityHugeFormFieldIsRefused(t *testing.T) {
	c := newFixture(t)
	before := c.revisions()
	v := editorForm(c, "profiles/new", "save", "display_name", "Huge", "slug", "huge",
		"description", strings.Repeat("a", 5_000_000))
	v.Set("_csrf", sessionToken)
	r := c.do(http.MethodPost, "profiles/new", v, asSession...)
	if r.Status != http.StatusRequestEntityTooLarge {
		t.Fatalf("a 5 MB description: status %d, want 413; body:\n%.2000s", r.Status, r.Body)
	}
	if got := r.text("main"); !strings.Contains(got, "Nothing was saved") || !strings.Contains(got, fmt.Sprint(model.DefaultLimits.RequestBody)) {
		t.Errorf("the 413 page should say nothing was saved and name the limit; it says %q", got)
	}
	c.wantRevisions(before)
	for _, p := range everyPage {
		c.get(p) // each must still answer 200
	}
}

func TestSecurityLongFieldUnderTheBodyLimitIsRefusedWithItsLimit(t *testing.T) {
	c := newFixture(t)
	before := c.revisions()
	for _, tc := range []struct {
		field string
		n     int
		want  string
	}{
		{"display_name", 60_000, "display_name is 60000 characters; the limit is 200"},
		{"description", 900_000, "description is 900000 characters; the limit is 4000"}, // ASCII: under the 1 MiB body limit
	} {
		ch := "é"
		if tc.field == "description" {
			ch = "a"
		}
		v := editorForm(c, "profiles/new", "save", "display_name", "Long", "slug", "long", tc.field, strings.Repeat(ch, tc.n))
		v.Set("_csrf", sessionToken)
		r := c.do(http.MethodPost, "profiles/new", v, asSession...)
		if r.Status != http.StatusUnprocessableEntity {
			t.Fatalf("%s of %d characters: status %d, want 422", tc.field, tc.n, r.Status)
		}
		if loc := r.Header.Get("Location") + r.Header.Get("HX-Redirect"); loc != "" {
			t.Errorf("%s of %d characters: redirected to a URL of %d bytes; a refused form must not redirect", tc.field, tc.n, len(loc))
		}
		if !strings.Contains(string(r.Body), tc.want) {
			t.Errorf("%s of %d characters: the page does not say %q", tc.field, tc.n, tc.want)
		}
	}
	c.wantRevisions(before)
}

// zeros is an endless reader of zero bytes, so a 100 MB body is never held
// by the client.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

type countWriter int

func (c *countWriter) Write(p []byte) (int, error) { *c += countWriter(len(p)); return len(p), nil }

// upload is a multipart body of size bytes whose file part is zeros; with
// announce it has a Content-Length, without it is sent chunked (a client
// that hides its size).
func upload(size int64, announce bool) (io.Reader, string, int64) {
	pr, pw := io.Pipe()
	w := multipart.NewWriter(pw)
	go func() {
		err := w.WriteField("action", "check")
		var fw io.Writer
		if err == nil {
			fw, err = w.CreateFormFile("file", "list.yaml")
		}
		if err == nil {
			_, err = io.Copy(fw, io.LimitReader(zeros{}, size))
		}
		if err == nil {
			err = w.Close()
		}
		pw.CloseWithError(err) // the server may hang up first: then err says so
	}()
	length := int64(-1)
	if announce { // the exact length: the same envelope around an empty file, plus size
		var env countWriter
		ew := multipart.NewWriter(&env)
		ew.SetBoundary(w.Boundary())
		ew.WriteField("action", "check")
		ew.CreateFormFile("file", "list.yaml")
		ew.Close()
		length = size + int64(env)
	}
	return pr, w.FormDataContentType(), length
}

func TestSecurityHugeUploadsAreRefusedInBoundedMemory(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // where net/http would spool multipart files
	c := newFixture(t)
	const (
		uploads = 8
		size    = 100 << 20
	)
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)

	var (
		peakHeap  atomic.Uint64
		tempFiles atomic.Int64
		stop      = make(chan struct{})
		sampled   = make(chan struct{})
	)
	go func() { // sample the heap and the temp dir while the uploads run
		defer close(sampled)
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peakHeap.Load() {
				peakHeap.Store(m.HeapInuse)
			}
			if es, _ := os.ReadDir(tmp); int64(len(es)) > tempFiles.Load() {
				tempFiles.Store(int64(len(es)))
			}
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()

	// Clients that announce the size ask before sending it (Expect:
	// 100-continue, as curl does): a server that refuses on the announced
	// size answers 413 without ever receiving the body.
	hc := &http.Client{Transport: &http.Transport{ExpectContinueTimeout: time.Minute}}
	defer hc.CloseIdleConnections()
	var wg sync.WaitGroup
	statuses := make([]int, uploads)
	errs := make([]error, uploads)
	for i := range uploads {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body, ct, length := upload(size, i%2 == 0) // half announce their size, half do not
			req, err := http.NewRequest(http.MethodPost, c.url+"import", body)
			if err != nil {
				errs[i] = err
				return
			}
			req.ContentLength = length
			req.Header.Set("Content-Type", ct)
			req.Header.Set("X-Test-As", "viewer") // viewers may check a list
			if length >= 0 {
				req.Header.Set("Expect", "100-continue")
			}
			res, err := hc.Do(req)
			if err != nil {
				errs[i] = err
				return
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			statuses[i] = res.StatusCode
		}()
	}
	wg.Wait()
	close(stop)
	<-sampled
	var after runtime.MemStats
	runtime.ReadMemStats(&after)

	for i := range uploads {
		switch {
		case errs[i] == nil && statuses[i] == http.StatusRequestEntityTooLarge:
		case errs[i] == nil:
			t.Errorf("upload %d: status %d, want 413", i, statuses[i])
		case i%2 == 0:
			t.Errorf("upload %d announced its size: %v, want a 413 answer before the body is read", i, errs[i])
		case strings.Contains(errs[i].Error(), "reset") || strings.Contains(errs[i].Error(), "broken pipe"):
			// A chunked upload is cut off once it passes the limit: the
			// server answers 413 and closes the connection, which the
			// client, still writing, may see first.
		default:
			t.Errorf("upload %d: %v", i, errs[i])
		}
	}
	grew := int64(peakHeap.Load()) - int64(base.HeapInuse)
	allocated := after.TotalAlloc - base.TotalAlloc
	t.Logf("%d concurrent uploads of %d MB: peak heap in use %.1f MB above the start (%.1f MB allocated in all), %d temp file(s)",
		uploads, size>>20, float64(grew)/(1<<20), float64(allocated)/(1<<20), tempFiles.Load())
	// Before the body limit this was 1,057 MB and 8 temp files: every upload
	// was read whole. Now at most ImportBody of each is read (4 MiB); the
	// bound leaves room for garbage not yet collected on a busy machine,
	// and is still less than one upload read whole.
	if limit := int64(size); grew > limit {
		t.Errorf("peak heap grew by %d bytes, more than %d: uploads are read past the limit", grew, limit)
	}
	if tempFiles.Load() != 0 {
		t.Errorf("%d temporary file(s) appeared in TMPDIR: uploads are spooled to disk", tempFiles.Load())
	}
	c.get("import") // still serving
}

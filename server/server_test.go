package server_test

// The server's own routes — the profile_list feed, healthz, metrics and the
// prefix — through the real router over HTTP, on a real SQLite file. The
// API has its own tests in package api. The feeds are requested on the feed
// listener (the hub's, no login) unless a test is about the public one.

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jupyterhub/hubprofiles/auth"
	"github.com/jupyterhub/hubprofiles/edit"
	"github.com/jupyterhub/hubprofiles/examples"
	"github.com/jupyterhub/hubprofiles/model"
	"github.com/jupyterhub/hubprofiles/profilelist"
	"github.com/jupyterhub/hubprofiles/server"
	"github.com/jupyterhub/hubprofiles/store"
)

const prefix = "/services/hubprofiles/"

type testServer struct {
	t     testing.TB
	srv   *server.Server
	edit  *edit.Editor
	store *store.Store
	root  string // the public listener
	feed  string // the feed listener
	http  *http.Client
}

func newServer(t testing.TB, id auth.Identifier, pfx string) *testServer {
	t.Helper()
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "hubprofiles.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ed := edit.New(st, nil, log)
	srv, err := server.New(ctx, server.Options{Prefix: pfx, Editor: ed, Identify: id, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	fs := httptest.NewServer(srv.FeedHandler())
	t.Cleanup(fs.Close)
	hc := hs.Client()
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &testServer{t: t, srv: srv, edit: ed, store: st, root: hs.URL, feed: fs.URL, http: hc}
}

// getFeed requests path on the feed listener.
func (s *testServer) getFeed(path string, hdr ...string) (*http.Response, []byte) {
	s.t.Helper()
	return s.do(s.feed+path, hdr...)
}

// get requests path (from the server's root) with header name, value pairs.
func (s *testServer) get(path string, hdr ...string) (*http.Response, []byte) {
	s.t.Helper()
	return s.do(s.root+path, hdr...)
}

func (s *testServer) do(url string, hdr ...string) (*http.Response, []byte) {
	s.t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		s.t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := s.http.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	return res, body
}

// commit writes the example list as a new revision, publishing it if asked,
// as another process on the same database would (no Refresh).
func (s *testServer) commit(publish bool, change func(*model.Catalog)) *store.Revision {
	s.t.Helper()
	src, err := profilelist.Parse(examples.ProfileList, profilelist.DefaultLimits)
	if err != nil {
		s.t.Fatal(err)
	}
	res, err := s.edit.Import(context.Background(), src, edit.Change{Base: edit.NoBase, Author: "system:test", Message: "test", Publish: publish})
	if err != nil {
		s.t.Fatal(err)
	}
	if change != nil {
		res, err = s.edit.Commit(context.Background(), edit.Change{Base: edit.NoBase, Author: "system:test", Message: "change", Publish: publish,
			Apply: func(c *model.Catalog) error { change(c); return nil }})
		if err != nil {
			s.t.Fatal(err)
		}
	}
	return res.Revision
}

// publish commits and makes the server serve it.
func (s *testServer) publish(change func(*model.Catalog)) *store.Revision {
	s.t.Helper()
	r := s.commit(true, change)
	if err := s.srv.Refresh(context.Background()); err != nil {
		s.t.Fatal(err)
	}
	return r
}

// wantError checks a JSON error body {"error": {"code", "message"}}.
func wantError(t testing.TB, res *http.Response, body []byte, status int, code string) {
	t.Helper()
	if res.StatusCode != status {
		t.Fatalf("status %d, want %d; body %s", res.StatusCode, status, body)
	}
	var e struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(body, &e); err != nil || e.Error.Code != code || e.Error.Message == "" {
		t.Errorf("error body %s, want code %q with a message", body, code)
	}
}

func TestNewChecksThePrefix(t *testing.T) {
	for _, p := range []string{"", "services/hubprofiles/", "/services/hubprofiles"} {
		st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "db"))
		if err != nil {
			t.Fatal(err)
		}
		ed := edit.New(st, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if _, err := server.New(context.Background(), server.Options{Prefix: p, Editor: ed, Identify: auth.Anonymous{}, Log: slog.Default()}); err == nil {
			t.Errorf("prefix %q accepted", p)
		}
		st.Close()
	}
}

func TestProfileListFeed(t *testing.T) {
	s := newServer(t, auth.Anonymous{}, prefix)

	res, body := s.getFeed(prefix + "profile_list")
	wantError(t, res, body, http.StatusServiceUnavailable, "nothing_published")
	if res.Header.Get("Cache-Control") != "no-cache" || res.Header.Get("ETag") != "" {
		t.Errorf("503 headers %v", res.Header)
	}

	rev := s.publish(nil)
	res, body = s.getFeed(prefix + "profile_list")
	if res.StatusCode != http.StatusOK || string(body) != string(rev.ProfileList) {
		t.Fatalf("profile_list: %d %s; want the live revision's bytes %s", res.StatusCode, body, rev.ProfileList)
	}
	etag := res.Header.Get("ETag")
	for _, tc := range []struct {
		header, want string
	}{
		{"Content-Type", "application/json"},
		{"Cache-Control", "no-cache"},
		{"X-Hubprofiles-Revision", "1"},
	} {
		if got := res.Header.Get(tc.header); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.header, got, tc.want)
		}
	}
	if !regexp.MustCompile(`^"[0-9a-f]{32}"$`).MatchString(etag) {
		t.Errorf("ETag %q is not a quoted content hash", etag)
	}
	var list []any
	if err := json.Unmarshal(body, &list); err != nil || len(list) != 2 {
		t.Errorf("profile_list is not the 2-profile example: %v", err)
	}

	for _, tc := range []struct {
		ifNoneMatch string
		status      int
	}{
		{etag, http.StatusNotModified},
		{"W/" + etag, http.StatusNotModified},
		{`"other", ` + etag, http.StatusNotModified},
		{"*", http.StatusNotModified},
		{`"other"`, http.StatusOK},
		{strings.Trim(etag, `"`), http.StatusOK}, // unquoted is not the same tag
	} {
		res, body := s.getFeed(prefix+"profile_list", "If-None-Match", tc.ifNoneMatch)
		if res.StatusCode != tc.status {
			t.Errorf("If-None-Match %s: %d, want %d", tc.ifNoneMatch, res.StatusCode, tc.status)
		}
		if tc.status == http.StatusNotModified && (len(body) != 0 || res.Header.Get("ETag") != etag || res.Header.Get("X-Hubprofiles-Revision") != "1") {
			t.Errorf("304: body %q, headers %v", body, res.Header)
		}
	}

	// A new publication: new bytes, new ETag, the old one no longer matches.
	rev2 := s.publish(func(c *model.Catalog) { c.Profiles = c.Profiles[:1] })
	res, body = s.getFeed(prefix+"profile_list", "If-None-Match", etag)
	if res.StatusCode != http.StatusOK || string(body) != string(rev2.ProfileList) || res.Header.Get("ETag") == etag {
		t.Errorf("after publishing revision %d: %d, ETag %s (was %s)", rev2.ID, res.StatusCode, res.Header.Get("ETag"), etag)
	}
	if got := res.Header.Get("X-Hubprofiles-Revision"); got != "3" {
		t.Errorf("X-Hubprofiles-Revision %q, want 3", got)
	}

	// Outside the prefix there is nothing.
	if res, _ := s.getFeed("/profile_list"); res.StatusCode != http.StatusNotFound {
		t.Errorf("/profile_list outside the prefix: %d", res.StatusCode)
	}
}

func TestProfileListAtRevision(t *testing.T) {
	t.Run("anonymous", func(t *testing.T) {
		s := newServer(t, auth.Anonymous{}, prefix)
		s.publish(nil)
		for _, q := range []string{"head", "1", "x"} {
			res, body := s.get(prefix + "profile_list?revision=" + q)
			wantError(t, res, body, http.StatusUnauthorized, "unauthorized")
		}
	})
	t.Run("viewer", func(t *testing.T) {
		s := newServer(t, auth.Dev{}, prefix)
		live := s.publish(nil)
		head := s.commit(false, func(c *model.Catalog) { c.Profiles = c.Profiles[1:] })
		for _, tc := range []struct {
			query string
			rev   *store.Revision
		}{
			{"head", head},
			{strconv.FormatInt(live.ID, 10), live},
			{strconv.FormatInt(head.ID, 10), head},
		} {
			res, body := s.get(prefix + "profile_list?revision=" + tc.query)
			if res.StatusCode != http.StatusOK || string(body) != string(tc.rev.ProfileList) {
				t.Errorf("?revision=%s: %d %s", tc.query, res.StatusCode, body)
			}
			if got := res.Header.Get("X-Hubprofiles-Revision"); got != strconv.FormatInt(tc.rev.ID, 10) {
				t.Errorf("?revision=%s: X-Hubprofiles-Revision %q, want %d", tc.query, got, tc.rev.ID)
			}
			if res.Header.Get("ETag") != "" {
				t.Errorf("?revision=%s answers the live ETag %s", tc.query, res.Header.Get("ETag"))
			}
		}
		// The feed itself still serves the live revision.
		if res, _ := s.get(prefix + "profile_list"); res.Header.Get("X-Hubprofiles-Revision") != "1" {
			t.Errorf("a draft went live")
		}
		for _, tc := range []struct {
			query  string
			status int
			code   string
		}{
			{"x", http.StatusBadRequest, "bad_request"},
			{"0", http.StatusBadRequest, "bad_request"},
			{"-2", http.StatusBadRequest, "bad_request"},
			{"99", http.StatusNotFound, "not_found"},
		} {
			res, body := s.get(prefix + "profile_list?revision=" + tc.query)
			wantError(t, res, body, tc.status, tc.code)
		}
	})
}

// TestWatch: a publication by another process is served without a restart.
func TestWatch(t *testing.T) {
	s := newServer(t, auth.Anonymous{}, prefix)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.srv.Watch(ctx, 10*time.Millisecond); close(done) }()
	t.Cleanup(func() { cancel(); <-done })

	rev := s.commit(true, nil)
	deadline := time.Now().Add(5 * time.Second)
	for {
		res, body := s.getFeed(prefix + "profile_list")
		if res.StatusCode == http.StatusOK {
			if string(body) != string(rev.ProfileList) {
				t.Errorf("serves %s, want %s", body, rev.ProfileList)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the publication was not picked up: %d", res.StatusCode)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestHealthz(t *testing.T) {
	s := newServer(t, auth.Anonymous{}, prefix)
	for _, get := range []func(string, ...string) (*http.Response, []byte){s.get, s.getFeed} {
		res, body := get(prefix + "healthz")
		if res.StatusCode != http.StatusOK || strings.TrimSpace(string(body)) != `{"status":"ok"}` {
			t.Errorf("healthz before publishing: %d %s", res.StatusCode, body)
		}
	}
	s.publish(nil)
	res, body := s.get(prefix + "healthz")
	if res.StatusCode != http.StatusOK || strings.TrimSpace(string(body)) != `{"live_revision":1,"status":"ok"}` {
		t.Errorf("healthz: %d %s", res.StatusCode, body)
	}
	// The database going away is degraded_test.go's.
}

func TestMetrics(t *testing.T) {
	s := newServer(t, auth.Anonymous{}, prefix)
	s.getFeed(prefix + "profile_list") // 503
	s.publish(nil)
	res, _ := s.getFeed(prefix + "profile_list") // 200
	s.getFeed(prefix + "profile_list")           // 200
	s.getFeed(prefix+"profile_list", "If-None-Match", res.Header.Get("ETag"))
	s.get(prefix + "api/v1/images") // 401

	res, body := s.getFeed(prefix + "metrics")
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("metrics: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	text := string(body)
	for _, want := range []string{
		`hubprofiles_profile_list_responses_total{code="200"} 2`,
		`hubprofiles_profile_list_responses_total{code="304"} 1`,
		`hubprofiles_profile_list_responses_total{code="503"} 1`,
		`hubprofiles_live_revision 1`,
		`hubprofiles_http_requests_total{code="401",method="GET",route="/services/hubprofiles/api/v1/images"} 1`,
		`hubprofiles_http_requests_total{code="200",method="GET",route="/services/hubprofiles/profile_list"} 2`,
		`hubprofiles_http_request_duration_seconds_count{route="/services/hubprofiles/profile_list"} 4`,
		`hubprofiles_database_up 1`,
		`hubprofiles_build_info{goversion="` + runtime.Version() + `",revision="`,
		`go_goroutines`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func TestPrefix(t *testing.T) {
	s := newServer(t, auth.Anonymous{}, prefix)
	res, _ := s.get("/services/hubprofiles")
	if res.StatusCode != http.StatusMovedPermanently || res.Header.Get("Location") != prefix {
		t.Errorf("GET the prefix without its slash: %d Location %q, want 301 to %s", res.StatusCode, res.Header.Get("Location"), prefix)
	}
	for _, p := range []string{"/healthz", "/metrics", "/api/v1/openapi.yaml", "/services/profile_list"} {
		if res, _ := s.get(p); res.StatusCode != http.StatusNotFound {
			t.Errorf("%s outside the prefix: %d, want 404", p, res.StatusCode)
		}
	}

	// Dev mode mounts everything at /.
	d := newServer(t, auth.Dev{}, "/")
	d.publish(nil)
	for _, p := range []string{"/profile_list", "/healthz", "/metrics", "/api/v1/me", "/api/v1/openapi.yaml"} {
		if res, body := d.get(p); res.StatusCode != http.StatusOK {
			t.Errorf("prefix /: %s: %d %s", p, res.StatusCode, body)
		}
	}
}

// The feed listener answers GET profile_list and defaults on a lean path
// (fastfeed.go); a query string sends the same request through Echo. Both
// must send the same status, body and headers (the lean path adds only
// Content-Length), for a 200 and for a 304.
func TestFeedListenerFastPathSendsWhatEchoSends(t *testing.T) {
	s := newServer(t, auth.Anonymous{}, prefix)
	s.publish(nil)
	for _, name := range []string{"profile_list", "defaults"} {
		first, _ := s.getFeed(prefix + name)
		for _, hdr := range [][]string{nil, {"If-None-Match", first.Header.Get("ETag")}} {
			fast, fastBody := s.getFeed(prefix+name, hdr...)
			slow, slowBody := s.getFeed(prefix+name+"?via=echo", hdr...)
			if fast.StatusCode != slow.StatusCode || string(fastBody) != string(slowBody) {
				t.Fatalf("%s %v: lean path %d %q, Echo %d %q", name, hdr, fast.StatusCode, fastBody, slow.StatusCode, slowBody)
			}
			for _, h := range []http.Header{fast.Header, slow.Header} {
				h.Del("Date")
				h.Del("Content-Length")
			}
			if !reflect.DeepEqual(fast.Header, slow.Header) {
				t.Errorf("%s %v (%d): headers differ:\nlean path %v\nEcho      %v", name, hdr, fast.StatusCode, fast.Header, slow.Header)
			}
			if fast.StatusCode == http.StatusOK && fast.ContentLength != int64(len(fastBody)) {
				t.Errorf("%s: Content-Length %d for %d bytes", name, fast.ContentLength, len(fastBody))
			}
		}
	}
}

// TestErrorsNegotiated: a browser that opens a wrong URL gets a page in the
// layout, a script gets the API's JSON error, and the API's paths answer
// JSON to everyone.
func TestErrorsNegotiated(t *testing.T) {
	s := newServer(t, auth.Dev{}, prefix)
	const browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
	res, body := s.get(prefix+"no-such-page", "Accept", browser)
	if res.StatusCode != http.StatusNotFound || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("a browser at a wrong URL: %d %s, want a 404 page", res.StatusCode, res.Header.Get("Content-Type"))
	}
	for _, want := range []string{`<nav aria-label="Main">`, "<h1>Not Found</h1>", "There is no page at " + prefix + "no-such-page."} {
		if !strings.Contains(string(body), want) {
			t.Errorf("the 404 page does not have %q:\n%s", want, body)
		}
	}
	res, body = s.get(prefix + "no-such-page")
	wantError(t, res, body, http.StatusNotFound, "not_found")
	res, body = s.get(prefix+"api/v1/no-such-thing", "Accept", browser)
	wantError(t, res, body, http.StatusNotFound, "not_found")
}

// TestHeadOnEveryGetRoute: HEAD is answered wherever GET is, with GET's
// headers and no body, so `curl -sI` shows a feed's ETag (docs/api.md).
func TestHeadOnEveryGetRoute(t *testing.T) {
	s := newServer(t, auth.Dev{}, prefix)
	s.publish(nil)
	head := func(url string) *http.Response {
		t.Helper()
		req, err := http.NewRequest(http.MethodHead, url, nil)
		if err != nil {
			t.Fatal(err)
		}
		res, err := s.http.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		if b, _ := io.ReadAll(res.Body); len(b) > 0 {
			t.Errorf("HEAD %s sent a body of %d bytes", url, len(b))
		}
		return res
	}
	for _, url := range []string{s.root + prefix + "profile_list", s.feed + prefix + "profile_list?x=1", s.root + prefix + "api/v1/catalog"} {
		res := head(url)
		if res.StatusCode != http.StatusOK || res.Header.Get("ETag") == "" {
			t.Errorf("HEAD %s: %d, ETag %q; want 200 with the ETag", url, res.StatusCode, res.Header.Get("ETag"))
		}
	}
	for _, r := range s.srv.Routes() {
		if r.Method != http.MethodGet || strings.ContainsAny(r.Path, ":*") {
			continue
		}
		if res := head(s.root + r.Path); res.StatusCode == http.StatusMethodNotAllowed || res.StatusCode >= 500 {
			t.Errorf("HEAD %s: %d", r.Path, res.StatusCode)
		}
	}
}

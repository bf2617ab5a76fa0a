package server_test

// Degraded mode against the real databases: PostgreSQL (internal/testpg)
// stopped at start and while running, a SQLite file unreachable or locked
// at start. The server must keep serving the hub, say what is wrong, refuse
// writes with 503, and recover by itself once the database is back.

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	_ "github.com/glebarez/go-sqlite" // the "sqlite" driver, to lock the file from outside

	"github.com/jupyterhub/hubprofiles/auth"
	"github.com/jupyterhub/hubprofiles/edit"
	"github.com/jupyterhub/hubprofiles/examples"
	"github.com/jupyterhub/hubprofiles/internal/testpg"
	"github.com/jupyterhub/hubprofiles/internal/testserver"
	"github.com/jupyterhub/hubprofiles/profilelist"
	"github.com/jupyterhub/hubprofiles/server"
	"github.com/jupyterhub/hubprofiles/store"
)

// recoverWithin bounds every wait for the server to notice the database
// going or coming back: generous, for a loaded machine; the test polls, so a
// fast machine does not wait it out.
const recoverWithin = 90 * time.Second

// seedLive publishes the example list in the database at dbURL through a
// server that keeps its feed copy at copyPath (if not ""), as a running
// sidecar would have, and returns the live revision.
func seedLive(t *testing.T, dbURL, copyPath string) *store.Revision {
	t.Helper()
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	st, err := store.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ed := edit.New(st, nil, log)
	src, err := profilelist.Parse(examples.ProfileList, profilelist.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	res, err := ed.Import(ctx, src, edit.Change{Base: edit.NoBase, Author: "system:test", Message: "seed", Publish: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := server.New(ctx, server.Options{Prefix: prefix, Editor: ed, Identify: auth.Anonymous{}, Log: log, FeedCopy: copyPath}); err != nil {
		t.Fatal(err)
	}
	return res.Revision
}

// degradable is a server started the way serve starts it: on a store that
// has not reached its database yet, with Watch running.
type degradable struct {
	*testServer
	logs *testserver.Log
}

func startDegradable(t *testing.T, dbURL, copyPath string) *degradable {
	t.Helper()
	logs := &testserver.Log{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	st, err := store.Connect(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ed := edit.New(st, nil, log)
	srv, err := server.New(context.Background(), server.Options{Prefix: prefix, Editor: ed, Identify: auth.Dev{}, Log: log,
		Prepare: st.Migrate, FeedCopy: copyPath, RetryMin: 20 * time.Millisecond, RetryMax: 250 * time.Millisecond})
	if err != nil {
		t.Fatalf("New without a database: %v", err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	fs := httptest.NewServer(srv.FeedHandler())
	t.Cleanup(fs.Close)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { srv.Watch(ctx, 20*time.Millisecond); close(done) }()
	t.Cleanup(func() { cancel(); <-done }) // first: before the store closes
	hc := hs.Client()
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &degradable{&testServer{t: t, srv: srv, edit: ed, store: st, root: hs.URL, feed: fs.URL, http: hc}, logs}
}

// health is healthz's body.
func (s *degradable) health() map[string]any {
	s.t.Helper()
	res, body := s.getFeed(prefix + "healthz")
	if res.StatusCode != http.StatusOK {
		s.t.Fatalf("healthz: %d %s, want 200 whatever the database does", res.StatusCode, body)
	}
	var h map[string]any
	if err := json.Unmarshal(body, &h); err != nil {
		s.t.Fatalf("healthz: %v: %s", err, body)
	}
	return h
}

// waitStatus polls healthz until its status is want.
func (s *degradable) waitStatus(want string) map[string]any {
	s.t.Helper()
	deadline := time.Now().Add(recoverWithin)
	for {
		h := s.health()
		if h["status"] == want {
			return h
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("healthz still says %v after %v, want %q", h, recoverWithin, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// send makes a request with a body on the public listener.
func (s *degradable) send(method, path, contentType string, body []byte) (*http.Response, []byte) {
	s.t.Helper()
	req, err := http.NewRequest(method, s.root+path, bytes.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	res, err := s.http.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(res.Body)
	return res, b.Bytes()
}

// wantFeed checks that the feed listener serves revision rev's list.
func (s *degradable) wantFeed(rev *store.Revision) {
	s.t.Helper()
	res, body := s.getFeed(prefix + "profile_list")
	if res.StatusCode != http.StatusOK || !bytes.Equal(body, rev.ProfileList) || res.Header.Get("X-Hubprofiles-Revision") != strconv.FormatInt(rev.ID, 10) {
		s.t.Fatalf("profile_list: %d revision %q, want 200 with revision %d's list; body %.200s", res.StatusCode, res.Header.Get("X-Hubprofiles-Revision"), rev.ID, body)
	}
	if res, _ := s.getFeed(prefix + "defaults"); res.StatusCode != http.StatusOK {
		s.t.Errorf("defaults: %d, want 200", res.StatusCode)
	}
}

// wantRefused checks that the API and the pages refuse to read and write,
// with 503 and a message, and that writes say nothing was saved.
func (s *degradable) wantRefused() {
	s.t.Helper()
	image, _ := json.Marshal(map[string]string{"slug": "added-while-down", "ref": "quay.io/jupyter/base-notebook:2025-06-02"})
	for _, tc := range []struct {
		method, path, contentType string
		body                      []byte
		want                      string
	}{
		{http.MethodPost, "api/v1/images", "application/json", image, "nothing was saved"},
		{http.MethodPost, "api/v1/revisions/1/publish", "application/json", nil, "nothing was saved"},
		{http.MethodGet, "api/v1/images", "", nil, "the database is unavailable"},
	} {
		res, body := s.send(tc.method, prefix+tc.path, tc.contentType, tc.body)
		wantError(s.t, res, body, http.StatusServiceUnavailable, "database_unavailable")
		if !strings.Contains(string(body), tc.want) || res.Header.Get("Retry-After") == "" {
			s.t.Errorf("%s %s: %s (Retry-After %q), want it to say %q", tc.method, tc.path, body, res.Header.Get("Retry-After"), tc.want)
		}
	}
	form := url.Values{"slug": {"added-while-down"}, "ref": {"quay.io/jupyter/base-notebook:2025-06-02"}}.Encode()
	for _, tc := range []struct {
		method, path string
		body         []byte
		want         []string
	}{
		{http.MethodGet, "", nil, []string{"The database is unavailable", "Spawns are not affected"}},
		{http.MethodGet, "history", nil, []string{"The database is unavailable"}},
		{http.MethodPost, "images", []byte(form), []string{"nothing was saved"}},
	} {
		res, body := s.send(tc.method, prefix+tc.path, "application/x-www-form-urlencoded", tc.body)
		if res.StatusCode != http.StatusServiceUnavailable || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
			s.t.Errorf("page %s /%s: %d %s, want a 503 page", tc.method, tc.path, res.StatusCode, res.Header.Get("Content-Type"))
		}
		for _, w := range tc.want {
			if !strings.Contains(string(body), w) {
				s.t.Errorf("page %s /%s does not say %q: %s", tc.method, tc.path, w, body)
			}
		}
	}
}

// TestDegradedPostgres: PostgreSQL stopped at start, started, then stopped
// while the server runs.
func TestDegradedPostgres(t *testing.T) {
	pg, dbURL := testpg.StartServer(t)
	copyPath := filepath.Join(t.TempDir(), "live-feed.json")
	seeded := seedLive(t, dbURL, copyPath)
	if err := pg.Halt(); err != nil {
		t.Fatal(err)
	}

	// A cold start without the database: the feed from the disk copy.
	s := startDegradable(t, dbURL, copyPath)
	h := s.health()
	if h["status"] != "degraded" || !strings.HasPrefix(h["database"].(string), "unavailable since ") || !strings.Contains(h["feed"].(string), "disk copy") {
		t.Errorf("healthz at a start without the database: %v", h)
	}
	if strings.Contains(strings.ToLower(h["database"].(string)), "connect") || strings.Contains(h["database"].(string), "127.0.0.1") {
		t.Errorf("healthz leaks the database error: %v", h)
	}
	s.wantFeed(seeded)
	s.wantRefused()
	if _, body := s.getFeed(prefix + "metrics"); !strings.Contains(string(body), "hubprofiles_database_up 0") {
		t.Errorf("metrics do not say the database is down")
	}
	// A viewer on the pages sees what the database said; healthz does not.
	if _, body := s.get(prefix); !strings.Contains(string(body), "The database said") {
		t.Errorf("the page does not show the dev admin the database's error: %s", body)
	}

	// The database comes back: the server leaves degraded mode by itself.
	if err := pg.Resume(); err != nil {
		t.Fatal(err)
	}
	h = s.waitStatus("ok")
	if _, ok := h["database"]; ok {
		t.Errorf("healthz after recovery: %v", h)
	}
	if n, err := s.store.Count(context.Background()); err != nil || n != seeded.ID {
		t.Fatalf("revisions after the outage: %d (%v), want %d: a refused write saved something", n, err, seeded.ID)
	}
	image, _ := json.Marshal(map[string]string{"slug": "added-after", "ref": "quay.io/jupyter/base-notebook:2025-06-02"})
	res, body := s.send(http.MethodPost, prefix+"api/v1/images", "application/json", image)
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("a write after recovery: %d %s", res.StatusCode, body)
	}
	head := strings.Trim(res.Header.Get("ETag"), `"`)
	if res, body := s.send(http.MethodPost, prefix+"api/v1/revisions/"+head+"/publish", "application/json", nil); res.StatusCode != http.StatusOK {
		t.Fatalf("publishing after recovery: %d %s", res.StatusCode, body)
	}
	live, err := s.store.Head(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	s.wantFeed(live)
	c, err := os.ReadFile(copyPath)
	if err != nil || !strings.Contains(string(c), `"revision":`+head) {
		t.Errorf("the disk copy was not rewritten at the publication of %s: %.100s (%v)", head, c, err)
	}

	// The database goes away while the server runs: the feed from memory.
	if err := pg.Halt(); err != nil {
		t.Fatal(err)
	}
	h = s.waitStatus("degraded")
	if h["feed"] != "from memory" || h["live_revision"] != float64(live.ID) {
		t.Errorf("healthz after losing the database: %v", h)
	}
	s.wantFeed(live)
	s.wantRefused()
	if !strings.Contains(s.logs.String(), "the database is back") || !strings.Contains(s.logs.String(), "the database is unavailable") {
		t.Errorf("the log does not tell the outage and the recovery:\n%s", s.logs.String())
	}
}

// TestDegradedSQLite: a SQLite file that cannot be opened, or is locked,
// when the server starts.
func TestDegradedSQLite(t *testing.T) {
	t.Run("unreachable", func(t *testing.T) {
		dir := t.TempDir()
		dbDir := filepath.Join(dir, "volume")
		if err := os.Mkdir(dbDir, 0o755); err != nil {
			t.Fatal(err)
		}
		dbURL, copyPath := filepath.Join(dbDir, "hubprofiles.db"), filepath.Join(dir, "live-feed.json")
		seeded := seedLive(t, dbURL, copyPath)
		// The volume is not there (not mounted yet, say).
		if err := os.Rename(dbDir, dbDir+".away"); err != nil {
			t.Fatal(err)
		}
		s := startDegradable(t, dbURL, copyPath)
		if h := s.health(); h["status"] != "degraded" {
			t.Errorf("healthz: %v", h)
		}
		s.wantFeed(seeded)
		s.wantRefused()
		if err := os.Rename(dbDir+".away", dbDir); err != nil {
			t.Fatal(err)
		}
		if h := s.waitStatus("ok"); h["live_revision"] != float64(seeded.ID) {
			t.Errorf("healthz after recovery: %v", h)
		}
		s.wantFeed(seeded)
	})

	t.Run("locked, no disk copy", func(t *testing.T) {
		dbURL := filepath.Join(t.TempDir(), "hubprofiles.db")
		seeded := seedLive(t, dbURL, "")
		lock, err := sql.Open("sqlite", dbURL)
		if err != nil {
			t.Fatal(err)
		}
		defer lock.Close()
		conn, err := lock.Conn(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		for _, q := range []string{"PRAGMA locking_mode=EXCLUSIVE", "BEGIN EXCLUSIVE", "SELECT count(*) FROM revisions"} {
			if _, err := conn.ExecContext(context.Background(), q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		s := startDegradable(t, dbURL, "")
		if h := s.health(); h["status"] != "degraded" || h["feed"] != "nothing to serve (503)" {
			t.Errorf("healthz with the file locked: %v", h)
		}
		res, body := s.getFeed(prefix + "profile_list")
		wantError(t, res, body, http.StatusServiceUnavailable, "nothing_published")
		s.wantRefused()

		for _, q := range []string{"ROLLBACK", "PRAGMA locking_mode=NORMAL", "SELECT count(*) FROM revisions"} {
			if _, err := conn.ExecContext(context.Background(), q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		conn.Close()
		lock.Close()
		s.waitStatus("ok")
		s.wantFeed(seeded)
	})

	t.Run("damaged disk copy", func(t *testing.T) {
		dir := t.TempDir()
		copyPath := filepath.Join(dir, "live-feed.json")
		seedLive(t, filepath.Join(dir, "hubprofiles.db"), copyPath)
		c, err := os.ReadFile(copyPath)
		if err != nil {
			t.Fatal(err)
		}
		// Someone edits the list by hand: its ETag no longer matches.
		c = bytes.Replace(c, []byte(`display_name`), []byte(`display_nane`), 1)
		if err := os.WriteFile(copyPath, c, 0o644); err != nil {
			t.Fatal(err)
		}
		s := startDegradable(t, filepath.Join(dir, "missing", "hubprofiles.db"), copyPath)
		res, body := s.getFeed(prefix + "profile_list")
		wantError(t, res, body, http.StatusServiceUnavailable, "nothing_published")
		if !strings.Contains(s.logs.String(), "does not match its ETag") {
			t.Errorf("the damaged copy was not reported:\n%s", s.logs.String())
		}
	})
}

// Package testserver starts, for tests, the real hubprofiles router on a
// fresh SQLite file, the way the API and page tests both need it.
package testserver

import (
	"context"
	"github.com/jupyterhub/hubprofiles/internal/proc"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/jupyterhub/hubprofiles/auth"
	"github.com/jupyterhub/hubprofiles/edit"
	"github.com/jupyterhub/hubprofiles/infra"
	"github.com/jupyterhub/hubprofiles/registry"
	"github.com/jupyterhub/hubprofiles/server"
	"github.com/jupyterhub/hubprofiles/store"
	"github.com/jupyterhub/hubprofiles/usage"
)

// Options configure a test server.
type Options struct {
	Prefix   string
	Infra    string // the infrastructure config, YAML ("" is empty)
	Identify auth.Identifier
	Images   *registry.Checker // nil: no registry checks
	Usage    *usage.Watcher    // nil: usage unknown
	LogLevel slog.Level
	// Database is the SQLite file to serve ("" for a fresh one in
	// t.TempDir()): a copy of a database fixture, for tests of what an
	// existing database reads back as.
	Database string
}

// Server is a running test server and what it runs on.
type Server struct {
	URL   string // the root URL, without the prefix
	Srv   *server.Server
	Edit  *edit.Editor
	Store *store.Store
	HTTP  *http.Client // does not follow redirects: tests see them as they are
	Logs  *Log
}

// Start builds the server, serves it on loopback, and stops it in
// t.Cleanup; on failure the test log gets the server's log.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	ctx := context.Background()
	logs := &Log{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: o.LogLevel}))
	dbPath := o.Database
	if dbPath == "" {
		dbPath = filepath.Join(t.TempDir(), "hubprofiles.db")
	}
	st, err := store.Open(ctx, dbPath)
	if err != nil {
		t.Fatalf("store.Open: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	ic, err := infra.Parse([]byte(o.Infra))
	if err != nil {
		t.Fatalf("infra.Parse: %v", err)
	}
	ed := edit.New(st, ic, log)
	if o.Usage != nil {
		ed.SetUsage(o.Usage)
	}
	if _, err := ed.SetConfig(ctx, ic); err != nil {
		t.Fatalf("SetConfig: %v", err)
	}
	if o.Images != nil {
		ed.SetImageChecker(o.Images)
	}
	srv, err := server.New(ctx, server.Options{Prefix: o.Prefix, Editor: ed, Identify: o.Identify, Images: o.Images, Log: log})
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	hc := hs.Client()
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &Server{URL: hs.URL, Srv: srv, Edit: ed, Store: st, HTTP: hc, Logs: logs}
}

// Revisions is how many revisions the database holds.
func (s *Server) Revisions(t testing.TB) int64 {
	t.Helper()
	n, err := s.Store.Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// Publications is how many publications the database holds.
func (s *Server) Publications(t testing.TB) int {
	t.Helper()
	ps, err := s.Store.Publications(context.Background(), store.MaxListLimit)
	if err != nil {
		t.Fatal(err)
	}
	return len(ps)
}

// Log collects the server log; requests log from many goroutines.
type Log struct{ proc.Buffer }

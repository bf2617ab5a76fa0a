package main

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jupyterhub/hubprofiles/examples"
	"github.com/jupyterhub/hubprofiles/internal/testpg"
)

// TestServeStartsWithoutItsDatabase: serve, pointed at a PostgreSQL that is
// stopped and whose database was never migrated, starts anyway (degraded,
// healthz 200), and once PostgreSQL runs, migrates, records the config and
// serves what is published, without a restart.
func TestServeStartsWithoutItsDatabase(t *testing.T) {
	pg, dbURL := testpg.StartServer(t)
	if err := pg.Halt(); err != nil {
		t.Fatal(err)
	}
	line, logs := serveInProcess(t, nil, "--database-url", dbURL, "--feed-listen", "127.0.0.1:0")
	feed := "http://" + attr(line, "feed_listen") + "/services/hubprofiles/"
	if attr(line, "degraded") != "true" {
		t.Errorf("the ready line does not say degraded: %s", line)
	}
	healthz := func() map[string]any {
		t.Helper()
		res, err := (&http.Client{Timeout: 10 * time.Second}).Get(feed + "healthz")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		var h map[string]any
		if res.StatusCode != http.StatusOK || json.Unmarshal(body, &h) != nil {
			t.Fatalf("healthz: %d %s, want 200 whatever the database does", res.StatusCode, body)
		}
		return h
	}
	if h := healthz(); h["status"] != "degraded" {
		t.Errorf("healthz with PostgreSQL stopped: %v", h)
	}
	if got := status(t, feed+"profile_list"); got != http.StatusServiceUnavailable {
		t.Errorf("profile_list with nothing to serve: %d, want 503", got)
	}

	if err := pg.Resume(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(90 * time.Second)
	for healthz()["status"] != "ok" {
		if time.Now().After(deadline) {
			t.Fatalf("still degraded 90 s after PostgreSQL started:\n%s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Migrated at recovery: another process can now publish, and serve
	// picks it up.
	list := filepath.Join(t.TempDir(), "list.yaml")
	if err := os.WriteFile(list, examples.ProfileList, 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runCmd(t, nil, "import", "--database-url", dbURL, "--publish", list); code != 0 {
		t.Fatalf("import after recovery: exit %d: %s", code, stderr)
	}
	for status(t, feed+"profile_list") != http.StatusOK {
		if time.Now().After(deadline) {
			t.Fatalf("the publication is not served:\n%s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(logs.String(), "the database is back") {
		t.Errorf("the recovery was not logged:\n%s", logs.String())
	}
}

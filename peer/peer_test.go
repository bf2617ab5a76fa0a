package peer

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jupyterhub/hubprofiles/infra"
)

// A peer is another team's server: one that answers too much, redirects
// or is not hubprofiles must give an error that says so, and the token
// must not follow a redirect. (Reading a real peer is tested in package
// api and the browser journey, with two real servers.)
func TestFetchRefusesMisbehavingPeers(t *testing.T) {
	var leaked bool
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		leaked = leaked || r.Header.Get("Authorization") != ""
		w.Write([]byte(`{"live": 1, "revisions": [{"id": 1}]}`))
	}))
	t.Cleanup(elsewhere.Close)
	peer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasPrefix(r.URL.Path, "/huge/"):
			w.Write([]byte(`{"live": 1, "revisions": [{"id": 1, "message": "`))
			w.Write([]byte(strings.Repeat("x", int(maxAnswer))))
			w.Write([]byte(`"}]}`))
		case strings.HasPrefix(r.URL.Path, "/moved/"):
			http.Redirect(w, r, elsewhere.URL+r.URL.Path, http.StatusFound)
		case strings.HasPrefix(r.URL.Path, "/html/"):
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte("<html>a login page</html>"))
		case strings.HasPrefix(r.URL.Path, "/document/"):
			// A revision whose "catalog" is a profile list, not a document.
			if strings.Contains(r.URL.Path, "/revisions/") {
				w.Write([]byte(`{"id": 1, "catalog": [{"display_name": "x"}]}`))
				return
			}
			w.Write([]byte(`{"live": 1, "revisions": [{"id": 1}]}`))
		}
	}))
	t.Cleanup(peer.Close)
	token := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(token, []byte("secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		"huge":     "answered with more than",
		"moved":    "302 Found (a redirect",
		"html":     "did not answer with hubprofiles' JSON",
		"document": "not a hubprofiles catalog",
	} {
		t.Run(path, func(t *testing.T) {
			_, err := New().Fetch(context.Background(), infra.Peer{Name: "staging", URL: peer.URL + "/" + path + "/", TokenFile: token}, "live")
			var pe *Error
			if !errors.As(err, &pe) || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "peer staging") {
				t.Errorf("err = %v, want a peer error saying %q", err, want)
			}
		})
	}
	if leaked {
		t.Error("the token followed a redirect to another server")
	}
	if _, err := New().Fetch(context.Background(), infra.Peer{Name: "staging", URL: peer.URL + "/html/", TokenFile: token}, "latest"); err == nil || !strings.Contains(err.Error(), `not "latest"`) {
		t.Errorf("a bad revision: %v", err)
	}
}

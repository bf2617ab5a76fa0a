package auth_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jupyterhub/hubprofiles/auth"
	"github.com/jupyterhub/hubprofiles/edit"
	"github.com/jupyterhub/hubprofiles/examples"
	"github.com/jupyterhub/hubprofiles/infra"
	"github.com/jupyterhub/hubprofiles/internal/testhub"
	"github.com/jupyterhub/hubprofiles/profilelist"
	"github.com/jupyterhub/hubprofiles/server"
	"github.com/jupyterhub/hubprofiles/store"
)

const prefix = "/services/hubprofiles/"

// env is a real JupyterHub with hubprofiles registered as a service, both
// on loopback.
type env struct {
	hub     *testhub.Hub
	sidecar string // direct URL of the sidecar
	srv     *server.Server
}

func start(t *testing.T) *env { t.Helper(); return startWith(t, nil) }

// startWith is start with changes to the identifier's settings.
func startWith(t *testing.T, set func(*auth.HubConfig)) *env {
	t.Helper()
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	s, err := store.Open(ctx, filepath.Join(t.TempDir(), "hubprofiles.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	cfg := &infra.Config{Access: infra.Access{EditorGroups: []string{"hub-editors"}, ViewerGroups: []string{"staff"}}}
	ed := edit.New(s, cfg, log)
	src, err := profilelist.Parse(examples.ProfileList, profilelist.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ed.Import(ctx, src, edit.Change{Base: edit.NoBase, Author: "test", Message: "example", Publish: true}); err != nil {
		t.Fatal(err)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sidecar := "http://" + ln.Addr().String()
	// Answer at once (503) while the hub starts: a service that accepts but
	// does not answer makes JupyterHub wait about 20 s at its start.
	var ready atomic.Pointer[http.Handler]
	httpSrv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h := ready.Load(); h != nil {
			(*h).ServeHTTP(w, r)
			return
		}
		http.Error(w, "starting", http.StatusServiceUnavailable)
	})}
	go func() { _ = httpSrv.Serve(ln) }()
	t.Cleanup(func() { _ = httpSrv.Close() })
	hub := testhub.Start(t, "hubprofiles", sidecar)
	hc := auth.HubConfig{
		APIURL: hub.APIURL, AuthorizeURL: "/hub/api/oauth2/authorize",
		ClientID: "service-hubprofiles", ClientSecret: hub.ServiceToken,
		CallbackURL: prefix + "oauth_callback", Timeout: 3 * time.Second, TokenTTL: 200 * time.Millisecond,
	}
	if set != nil {
		set(&hc)
	}
	ident := auth.NewHub(hc, []byte("0123456789abcdef0123456789abcdef"), prefix, log)
	srv, err := server.New(ctx, server.Options{Prefix: prefix, Editor: ed, Identify: ident, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	handler := srv.Handler()
	ready.Store(&handler)
	return &env{hub: hub, sidecar: sidecar, srv: srv}
}

type response struct {
	status int
	header http.Header
	body   string
	url    string // after redirects
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(r.body), &m); err != nil {
		t.Fatalf("not JSON (%d): %s", r.status, r.body)
	}
	return m
}

func (r response) errorCode(t *testing.T) string {
	t.Helper()
	e, _ := r.json(t)["error"].(map[string]any)
	code, _ := e["code"].(string)
	return code
}

func do(t *testing.T, c *http.Client, method, url, body string, headers ...string) response {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: string(b), url: resp.Request.URL.String()}
}

// TestLoginThroughJupyterHub drives the OAuth login with a real hub and
// checks what each kind of user may do.
func TestLoginThroughJupyterHub(t *testing.T) {
	e := start(t)
	home := e.hub.PublicURL + prefix
	api := e.hub.PublicURL + prefix + "api/v1"

	t.Run("admin logs in and edits", func(t *testing.T) {
		b := e.hub.Browser(t, testhub.Admin)
		r := do(t, b, "GET", home, "")
		if r.status != 200 || !strings.Contains(r.body, "<h1>Dashboard</h1>") || !strings.Contains(r.body, "published by test") || r.url != home {
			t.Fatalf("home after login: %d at %s\n%s\n%s", r.status, r.url, r.body, e.hub.Log())
		}
		me := do(t, b, "GET", api+"/me", "").json(t)
		csrf, _ := me["csrf_token"].(string)
		if me["role"] != "editor" || csrf == "" {
			t.Fatalf("me = %v", me)
		}
		patch := `{"description":"edited by alice"}`
		if r := do(t, b, "PATCH", api+"/images/scipy-notebook", patch); r.status != 403 || r.errorCode(t) != "csrf" {
			t.Errorf("a cookie write without the CSRF token: %d %s", r.status, r.body)
		}
		r = do(t, b, "PATCH", api+"/images/scipy-notebook", patch, "X-CSRF-Token", csrf)
		if r.status != 200 {
			t.Fatalf("edit: %d %s", r.status, r.body)
		}
		rev := r.json(t)["revision"].(map[string]any)
		if rev["author"] != testhub.Admin {
			t.Errorf("the revision's author is %v, want alice", rev["author"])
		}
		if r := do(t, b, "GET", home+"logout", ""); r.status != 200 {
			t.Errorf("logout: %d", r.status)
		}
		if r := do(t, b, "GET", api+"/me", ""); r.status != 401 {
			t.Errorf("after logout: %d", r.status)
		}
	})

	t.Run("viewer reads but cannot write", func(t *testing.T) {
		b := e.hub.Browser(t, testhub.Viewer)
		if r := do(t, b, "GET", home, ""); r.status != 200 {
			t.Fatalf("home: %d %s", r.status, r.body)
		}
		me := do(t, b, "GET", api+"/me", "").json(t)
		if me["role"] != "viewer" {
			t.Fatalf("me = %v", me)
		}
		if r := do(t, b, "GET", api+"/images", ""); r.status != 200 {
			t.Errorf("read: %d", r.status)
		}
		r := do(t, b, "PATCH", api+"/images/scipy-notebook", `{"description":"x"}`, "X-CSRF-Token", me["csrf_token"].(string))
		if r.status != 403 || r.errorCode(t) != "forbidden" {
			t.Errorf("write: %d %s", r.status, r.body)
		}
	})

	t.Run("plain user gets the 403 page", func(t *testing.T) {
		b := e.hub.Browser(t, testhub.Plain)
		r := do(t, b, "GET", home, "")
		if r.status != 403 || !strings.Contains(r.body, "logged in as carol.") || !strings.Contains(r.body, "hub-editors") {
			t.Errorf("home: %d %s", r.status, r.body)
		}
		if r := do(t, b, "GET", api+"/images", ""); r.status != 403 {
			t.Errorf("API: %d", r.status)
		}
	})

	t.Run("anonymous is sent to the hub login", func(t *testing.T) {
		b := e.hub.Browser(t, "")
		b.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		r := do(t, b, "GET", home+"?x=1", "")
		if r.status != 302 || r.header.Get("Location") != prefix+"login?next=%2Fservices%2Fhubprofiles%2F%3Fx%3D1" {
			t.Fatalf("home: %d Location %q", r.status, r.header.Get("Location"))
		}
		r = do(t, b, "GET", e.hub.PublicURL+r.header.Get("Location"), "")
		if r.status != 302 || !strings.HasPrefix(r.header.Get("Location"), "/hub/api/oauth2/authorize?") {
			t.Fatalf("login: %d Location %q", r.status, r.header.Get("Location"))
		}
		r = do(t, b, "GET", e.hub.PublicURL+r.header.Get("Location"), "")
		if r.status != 302 || !strings.HasPrefix(r.header.Get("Location"), "/hub/login") {
			t.Errorf("authorize without a hub login: %d Location %q", r.status, r.header.Get("Location"))
		}
		// The API answers 401 instead of redirecting, and so does
		// profile_list on this, the public listener (the hub reads it on
		// the feed listener).
		if r := do(t, b, "GET", api+"/images", ""); r.status != 401 || r.errorCode(t) != "unauthorized" {
			t.Errorf("API: %d %s", r.status, r.body)
		}
		if r := do(t, b, "GET", home+"profile_list", ""); r.status != 401 {
			t.Errorf("profile_list: %d", r.status)
		}
	})

	t.Run("open redirects stay inside the service", func(t *testing.T) {
		b := e.hub.Browser(t, testhub.Admin)
		for _, next := range []string{"https://evil.example/", "//evil.example/", "/hub/admin"} {
			r := do(t, b, "GET", home+"login?next="+next, "")
			if r.url != home {
				t.Errorf("next=%s landed on %s", next, r.url)
			}
		}
	})

	t.Run("forged session cookie", func(t *testing.T) {
		b := e.hub.Browser(t, "")
		r := do(t, b, "GET", api+"/images", "", "Cookie", "hubprofiles-session=eyJ1Ijp7Im5hbWUiOiJtYWxsb3J5IiwiYWRtaW4iOnRydWV9LCJlIjo5OTk5OTk5OTk5fQ.AAAA")
		if r.status != 401 {
			t.Errorf("forged cookie: %d %s", r.status, r.body)
		}
	})

	t.Run("API tokens", func(t *testing.T) {
		c := &http.Client{Timeout: 10 * time.Second}
		adminTok, _ := e.hub.Token(t, testhub.Admin)
		viewerTok, _ := e.hub.Token(t, testhub.Viewer)
		editorTok, _ := e.hub.Token(t, testhub.Editor)
		plainTok, _ := e.hub.Token(t, testhub.Plain)
		patch := `{"description":"by token"}`
		img := api + "/images/scipy-notebook"
		tests := []struct {
			name, authz    string
			read, write    int
			readCode, code string
		}{
			{"admin token", "token " + adminTok, 200, 200, "", ""},
			{"editor group, Bearer", "Bearer " + editorTok, 200, 200, "", ""},
			{"viewer group", "token " + viewerTok, 200, 403, "", "forbidden"},
			{"plain user", "token " + plainTok, 403, 403, "forbidden", "forbidden"},
			{"garbage", "token not-a-token", 401, 401, "unauthorized", "unauthorized"},
			{"the service's own token", "token " + e.hub.ServiceToken, 401, 401, "unauthorized", "unauthorized"},
		}
		for _, tt := range tests {
			r := do(t, c, "GET", api+"/images", "", "Authorization", tt.authz)
			if r.status != tt.read || (tt.readCode != "" && r.errorCode(t) != tt.readCode) {
				t.Errorf("%s read: %d %s", tt.name, r.status, r.body)
			}
			r = do(t, c, "PATCH", img, patch, "Authorization", tt.authz)
			if r.status != tt.write || (tt.code != "" && r.errorCode(t) != tt.code) {
				t.Errorf("%s write: %d %s", tt.name, r.status, r.body)
			}
		}
		// Revoked: refused once the short cache has expired.
		tok, id := e.hub.Token(t, testhub.Admin)
		if r := do(t, c, "GET", api+"/images", "", "Authorization", "token "+tok); r.status != 200 {
			t.Fatalf("fresh token: %d", r.status)
		}
		e.hub.RevokeToken(t, testhub.Admin, id)
		time.Sleep(300 * time.Millisecond)
		if r := do(t, c, "GET", api+"/images", "", "Authorization", "token "+tok); r.status != 401 {
			t.Errorf("revoked token: %d %s", r.status, r.body)
		}
	})

	t.Run("authorization matrix over every API route", func(t *testing.T) {
		c := &http.Client{Timeout: 10 * time.Second}
		viewerTok, _ := e.hub.Token(t, testhub.Viewer)
		editorTok, _ := e.hub.Token(t, testhub.Editor)
		checked := 0
		for _, rt := range e.srv.Routes() {
			if !strings.HasPrefix(rt.Path, prefix+"api/v1/") || rt.Path == prefix+"api/v1/openapi.yaml" ||
				strings.HasSuffix(rt.Path, "/*") { // Echo's not-found catch-all of the group
				continue
			}
			url := e.sidecar + strings.NewReplacer(":slug", "nope", ":id", "999").Replace(rt.Path)
			// Every non-GET route writes, except validate and an image
			// check, which only read.
			write := rt.Method != http.MethodGet && !strings.HasSuffix(rt.Path, "/validate") && !strings.HasSuffix(rt.Path, "/check")
			anon := do(t, c, rt.Method, url, "{}")
			viewer := do(t, c, rt.Method, url, "{}", "Authorization", "token "+viewerTok)
			editor := do(t, c, rt.Method, url, "{}", "Authorization", "token "+editorTok)
			if anon.status != 401 {
				t.Errorf("%s %s anonymous: %d, want 401", rt.Method, rt.Path, anon.status)
			}
			if write && viewer.status != 403 {
				t.Errorf("%s %s viewer: %d, want 403", rt.Method, rt.Path, viewer.status)
			}
			if !write && (viewer.status == 401 || viewer.status == 403) {
				t.Errorf("%s %s viewer: %d, want access", rt.Method, rt.Path, viewer.status)
			}
			if editor.status == 401 || editor.status == 403 {
				t.Errorf("%s %s editor: %d, want access", rt.Method, rt.Path, editor.status)
			}
			checked++
		}
		if checked < 20 {
			t.Errorf("only %d API routes walked", checked)
		}
	})

	t.Run("hub down", func(t *testing.T) {
		c := &http.Client{Timeout: 10 * time.Second}
		tok, _ := e.hub.Token(t, testhub.Admin)
		// A hub that runs the sidecar elsewhere reads the public listener
		// with a token of someone who may read hubprofiles.
		if r := do(t, c, "GET", e.sidecar+prefix+"profile_list", "", "Authorization", "token "+tok); r.status != 200 {
			t.Errorf("profile_list with an admin's token: %d %s", r.status, r.body)
		}
		e.hub.Stop()
		r := do(t, c, "GET", e.sidecar+prefix+"api/v1/images", "", "Authorization", "token "+tok)
		if r.status != 503 || r.errorCode(t) != "hub_unavailable" {
			t.Errorf("API with the hub down: %d %s", r.status, r.body)
		}
		rec := httptest.NewRecorder()
		e.srv.FeedHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, prefix+"profile_list", nil))
		if rec.Code != 200 {
			t.Errorf("profile_list on the feed listener with the hub down: %d", rec.Code)
		}
		r = do(t, c, "GET", fmt.Sprintf("%s%soauth_callback?code=x&state=y", e.sidecar, prefix), "")
		if r.status != 400 {
			t.Errorf("a callback without its login: %d", r.status)
		}
	})
}

package auth_test

// Security tests of issue 11 (items 3, 4 and part of 8): each one is an
// attack, made through the entry points an attacker has (API tokens the
// real JupyterHub issues, cookies and CSRF tokens of a real login), and
// asserts it fails.

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jupyterhub/hubprofiles/auth"
	"github.com/jupyterhub/hubprofiles/edit"
	"github.com/jupyterhub/hubprofiles/internal/testhub"
	"github.com/jupyterhub/hubprofiles/server"
	"github.com/jupyterhub/hubprofiles/store"
)

// clock is a time source the tests advance instead of sleeping.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Now()} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

const testImage = "/images/scipy-notebook"

// TestSecurityTokenWithoutServiceScopeIsRefused: a token the hub knows but
// that does not carry access:services!service=hubprofiles (or
// access:services) must not read or write, whoever owns it.
func TestSecurityTokenWithoutServiceScopeIsRefused(t *testing.T) {
	e := start(t)
	api := e.sidecar + prefix + "api/v1"
	c := &http.Client{Timeout: 10 * time.Second}
	const need = "access:services!service=hubprofiles"

	serverTok := e.hub.ServerToken(t, testhub.Editor)
	nameOnly := e.hub.ScopedToken(t, testhub.Editor, "read:users:name!user")
	adminNameOnly := e.hub.ScopedToken(t, testhub.Admin, "read:users:name!user")
	serviceOnly := e.hub.ScopedToken(t, testhub.Editor, need)
	editorFull, _ := e.hub.Token(t, testhub.Editor)
	adminFull, _ := e.hub.Token(t, testhub.Admin)

	// What the real hub reports, so the test is about real tokens.
	if s := e.hub.Scopes(t, serverTok); slices.Contains(s, need) || !slices.Contains(s, "access:servers!user=dave") || !slices.Contains(s, "users:activity!user=dave") {
		t.Fatalf("the hub reports a server token's scopes as %v", s)
	}
	if s := e.hub.Scopes(t, nameOnly); slices.Contains(s, need) {
		t.Fatalf("the hub reports a read:users:name token's scopes as %v", s)
	}
	if s := e.hub.Scopes(t, adminFull); !slices.Contains(s, "access:services") {
		t.Fatalf("the hub reports an admin's token scopes as %v", s)
	}

	for _, tt := range []struct {
		name, token string
		ok          bool
	}{
		{"a single-user server's token", serverTok, false},
		{"a token limited to read:users:name", nameOnly, false},
		{"an admin's token limited to read:users:name", adminNameOnly, false},
		{"a token with access:services!service=hubprofiles only", serviceOnly, true},
		{"an editor's token with the user's full scopes", editorFull, true},
		{"an admin's token with full scopes", adminFull, true},
	} {
		for _, authz := range []string{"token " + tt.token, "Bearer " + tt.token} {
			read := do(t, c, "GET", api+"/images", "", "Authorization", authz)
			write := do(t, c, "PATCH", api+testImage, `{"description":"written with `+tt.name+`"}`, "Authorization", authz)
			if tt.ok {
				if read.status != 200 || write.status != 200 {
					t.Errorf("%s (%s): read %d, write %d %s", tt.name, authz[:5], read.status, write.status, write.body)
				}
				continue
			}
			for what, r := range map[string]response{"read": read, "write": write} {
				if r.status != 403 || r.errorCode(t) != "insufficient_scope" || !strings.Contains(r.body, need) {
					t.Errorf("%s (%s) %s: %d %s, want 403 insufficient_scope naming %s", tt.name, authz[:5], what, r.status, r.body, need)
				}
			}
		}
	}
}

// loggedIn logs user in to the hub and to hubprofiles, and returns the
// browser, its session cookie and CSRF token.
func loggedIn(t *testing.T, e *env, user string) (*http.Client, *http.Cookie, string) {
	t.Helper()
	b := e.hub.Browser(t, user)
	home := e.hub.PublicURL + prefix
	if r := do(t, b, "GET", home, ""); r.url != home || r.status >= 500 {
		t.Fatalf("login as %s: %d at %s\n%s", user, r.status, r.url, r.body)
	}
	me := do(t, b, "GET", home+"api/v1/me", "").json(t)
	csrf, _ := me["csrf_token"].(string)
	u, _ := url.Parse(home)
	for _, ck := range b.Jar.Cookies(u) {
		if ck.Name == "hubprofiles-session" && csrf != "" {
			return b, ck, csrf
		}
	}
	t.Fatalf("no session after logging in as %s: %v", user, me)
	return nil, nil, ""
}

// replay sends a write with a copied cookie and CSRF token, as someone who
// took them from the browser would.
func replay(t *testing.T, e *env, ck *http.Cookie, csrf string) response {
	t.Helper()
	c := &http.Client{Timeout: 10 * time.Second}
	return do(t, c, "PATCH", e.hub.PublicURL+prefix+"api/v1"+testImage, `{"description":"replayed"}`,
		"Cookie", ck.Name+"="+ck.Value, "X-CSRF-Token", csrf)
}

// TestSecurityCookieAfterLogoutIsRefused: logging out ends the session on
// the server; a copy of the cookie and its CSRF token no longer writes.
func TestSecurityCookieAfterLogoutIsRefused(t *testing.T) {
	e := start(t)
	b, ck, csrf := loggedIn(t, e, testhub.Admin)
	if r := replay(t, e, ck, csrf); r.status != 200 {
		t.Fatalf("the copied cookie before logout: %d %s", r.status, r.body)
	}
	if r := do(t, b, "POST", e.hub.PublicURL+prefix+"logout", ""); r.status != 200 {
		t.Fatalf("logout: %d", r.status)
	}
	if r := replay(t, e, ck, csrf); r.status != 401 {
		t.Errorf("the copied cookie after logout: %d %s, want 401", r.status, r.body)
	}
	c := &http.Client{Timeout: 10 * time.Second}
	if r := do(t, c, "GET", e.hub.PublicURL+prefix+"api/v1/me", "", "Cookie", ck.Name+"="+ck.Value); r.status != 401 {
		t.Errorf("reading with the copied cookie after logout: %d", r.status)
	}
}

// TestSecurityHubLogoutEndsTheSession: logging out of the hub deletes the
// OAuth token of that login, so the next re-check ends our session too.
func TestSecurityHubLogoutEndsTheSession(t *testing.T) {
	clk := newClock()
	e := startWith(t, func(c *auth.HubConfig) { c.Now = clk.Now })
	b, ck, csrf := loggedIn(t, e, testhub.Editor)
	if r := do(t, b, "GET", e.hub.PublicURL+"/hub/logout", ""); r.status >= 400 {
		t.Fatalf("hub logout: %d", r.status)
	}
	clk.Advance(auth.DefaultRecheck)
	if r := replay(t, e, ck, csrf); r.status != 401 {
		t.Errorf("our cookie after the hub's logout and a re-check: %d %s, want 401", r.status, r.body)
	}
}

// TestSecurityRoleRemovedAtHubTakesEffectWithinRecheck: a user taken out
// of the editor group, or out of the hub's admins, keeps no editor rights
// past the re-check interval, though the cookie's lifetime runs on.
func TestSecurityRoleRemovedAtHubTakesEffectWithinRecheck(t *testing.T) {
	clk := newClock()
	e := startWith(t, func(c *auth.HubConfig) { c.Now = clk.Now })
	me := e.hub.PublicURL + prefix + "api/v1/me"

	_, editorCk, editorCSRF := loggedIn(t, e, testhub.Editor)
	_, adminCk, adminCSRF := loggedIn(t, e, testhub.Admin)
	e.hub.RemoveFromGroup(t, "hub-editors", testhub.Editor)
	e.hub.SetAdmin(t, testhub.Admin, false)

	clk.Advance(auth.DefaultRecheck)
	c := &http.Client{Timeout: 10 * time.Second}
	for _, s := range []struct {
		who  string
		ck   *http.Cookie
		csrf string
	}{{"removed from hub-editors", editorCk, editorCSRF}, {"no longer a hub admin", adminCk, adminCSRF}} {
		if r := replay(t, e, s.ck, s.csrf); r.status != 403 || r.errorCode(t) != "forbidden" {
			t.Errorf("%s: write %d %s, want 403", s.who, r.status, r.body)
		}
		if r := do(t, c, "GET", me, "", "Cookie", s.ck.Name+"="+s.ck.Value); r.status != 403 || !strings.Contains(r.body, "yours is none") {
			t.Errorf("%s: /me %d %s, want 403 as role none", s.who, r.status, r.body)
		}
	}

	// And back: rights return at the next re-check, without a new login.
	e.hub.AddToGroup(t, "hub-editors", testhub.Editor)
	clk.Advance(auth.DefaultRecheck)
	if r := replay(t, e, editorCk, editorCSRF); r.status != 200 {
		t.Errorf("back in hub-editors: write %d %s", r.status, r.body)
	}
}

// TestSecurityRecheckWithHubDownFailsClosed: when the hub cannot confirm a
// session's role, the session neither reads nor writes on its old role.
func TestSecurityRecheckWithHubDownFailsClosed(t *testing.T) {
	clk := newClock()
	e := startWith(t, func(c *auth.HubConfig) { c.Now = clk.Now })
	_, ck, csrf := loggedIn(t, e, testhub.Editor)
	e.hub.Stop()
	clk.Advance(auth.DefaultRecheck)
	c := &http.Client{Timeout: 10 * time.Second}
	r := do(t, c, "PATCH", e.sidecar+prefix+"api/v1"+testImage, `{"description":"hub down"}`,
		"Cookie", ck.Name+"="+ck.Value, "X-CSRF-Token", csrf)
	if r.status != 503 || r.errorCode(t) != "hub_unavailable" {
		t.Errorf("a write due for re-check with the hub down: %d %s, want 503", r.status, r.body)
	}
}

// TestSecuritySessionLifetimeIsEnforced: past --session-lifetime the cookie
// identifies nobody, whatever the browser keeps.
func TestSecuritySessionLifetimeIsEnforced(t *testing.T) {
	clk := newClock()
	e := startWith(t, func(c *auth.HubConfig) { c.Now = clk.Now; c.SessionLifetime = 10 * time.Minute })
	_, ck, csrf := loggedIn(t, e, testhub.Admin)
	clk.Advance(10 * time.Minute)
	if r := replay(t, e, ck, csrf); r.status != 401 {
		t.Errorf("a write after the session's lifetime: %d %s, want 401", r.status, r.body)
	}
}

// TestSecurityOAuthCallbackErrorIsEscaped: the hub's error code comes back
// in the callback URL, which anyone can craft; it is shown as text.
func TestSecurityOAuthCallbackErrorIsEscaped(t *testing.T) {
	// The login's errors are pages of the server (in the layout): the
	// whole server, with a hub that is never reached on this path.
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "hubprofiles.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	h := auth.NewHub(auth.HubConfig{APIURL: "http://127.0.0.1:1/hub/api", AuthorizeURL: "/hub/api/oauth2/authorize",
		ClientID: "service-hubprofiles", CallbackURL: prefix + "oauth_callback"}, []byte("0123456789abcdef0123456789abcdef"), prefix, nil)
	srv, err := server.New(ctx, server.Options{Prefix: prefix, Editor: edit.New(st, nil, log), Identify: h, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	ec := srv.Handler()

	login := httptest.NewRecorder()
	ec.ServeHTTP(login, httptest.NewRequest("GET", prefix+"login", nil))
	loc, _ := url.Parse(login.Header().Get("Location"))
	state := loc.Query().Get("state")
	if login.Code != 302 || state == "" {
		t.Fatalf("login: %d %v", login.Code, login.Header())
	}
	req := httptest.NewRequest("GET", prefix+"oauth_callback?state="+state+"&error="+url.QueryEscape(`<script>alert(1)</script><img src=x onerror=alert(2)>`), nil)
	for _, ck := range login.Result().Cookies() {
		req.AddCookie(ck)
	}
	req.Header.Set("Accept", "text/html")
	rec := httptest.NewRecorder()
	ec.ServeHTTP(rec, req)
	body := rec.Body.String()
	if rec.Code != 403 || strings.Contains(body, "<script>") || strings.Contains(body, "<img") || !strings.Contains(body, "&lt;script&gt;") {
		t.Errorf("callback with a hostile error: %d\n%s", rec.Code, body)
	}
}

// TestSecurityCookiesStaySecureBehindProxyChain: behind an ingress that
// ends TLS and configurable-http-proxy, which appends its own scheme to
// X-Forwarded-Proto, the browser still spoke HTTPS: cookies keep Secure.
func TestSecurityCookiesStaySecureBehindProxyChain(t *testing.T) {
	e := start(t)
	c := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, tt := range []struct {
		proto  string // what the ingress sends to the real proxy, which appends ",http"
		secure bool
	}{{"https", true}, {"", false}, {"http", false}} {
		var headers []string
		if tt.proto != "" {
			headers = []string{"X-Forwarded-Proto", tt.proto}
		}
		r := do(t, c, "GET", e.hub.PublicURL+prefix+"login", "", headers...)
		cks := (&http.Response{Header: r.header}).Cookies()
		if r.status != 302 || len(cks) == 0 {
			t.Fatalf("login through the proxy with X-Forwarded-Proto %q: %d %v", tt.proto, r.status, r.header)
		}
		for _, ck := range cks {
			if ck.Secure != tt.secure {
				t.Errorf("X-Forwarded-Proto %q through the proxy: cookie %s Secure=%v, want %v", tt.proto, ck.Name, ck.Secure, tt.secure)
			}
		}
	}
	// The list as the sidecar sees it, straight.
	for proto, want := range map[string]bool{"https,http": true, "https, http": true, "HTTPS": true, "http,https": false} {
		r := do(t, c, "GET", e.sidecar+prefix+"login", "", "X-Forwarded-Proto", proto)
		for _, ck := range (&http.Response{Header: r.header}).Cookies() {
			if ck.Secure != want {
				t.Errorf("X-Forwarded-Proto %q: cookie %s Secure=%v, want %v", proto, ck.Name, ck.Secure, want)
			}
		}
	}
}

// TestSecurityEditorWithRealTokenCannotTakeOverTheHub: the two HIGH attacks
// of an editor, made with a real JupyterHub token of a member of the editor
// group (the identity a hostile editor really has): a display name with a
// script (which KubeSpawner's form would print unescaped to every user) and
// a privileged override (root on a node). Both are refused with the field
// path, and nothing is written or published.
func TestSecurityEditorWithRealTokenCannotTakeOverTheHub(t *testing.T) {
	e := start(t)
	api := e.sidecar + prefix + "api/v1"
	c := &http.Client{Timeout: 10 * time.Second}
	tok, _ := e.hub.Token(t, testhub.Editor)
	authz := "token " + tok
	before := do(t, c, "GET", api+"/revisions", "", "Authorization", authz)
	if before.status != 200 {
		t.Fatalf("an editor's token cannot read revisions: %d %s", before.status, before.body)
	}
	for _, tt := range []struct{ name, list, path, says string }{
		{"a script in a display name",
			`[{"display_name":"A <script>alert(1)</script>","kubespawner_override":{"image":"quay.io/jupyter/base-notebook:2025-06-02"}}]`,
			"/0/display_name", "markup"},
		{"a privileged container",
			`[{"display_name":"Root","slug":"root","kubespawner_override":{"image":"quay.io/jupyter/base-notebook:2025-06-02","extra_container_config":{"securityContext":{"privileged":true}}}}]`,
			"/0/kubespawner_override/extra_container_config", "policy.editorOverrides"},
	} {
		r := do(t, c, "POST", api+"/import?publish=true", tt.list, "Authorization", authz)
		if r.status != 422 || !strings.Contains(r.body, tt.path) || !strings.Contains(r.body, tt.says) {
			t.Errorf("%s: %d %s, want 422 naming %s and %q", tt.name, r.status, r.body, tt.path, tt.says)
		}
	}
	if after := do(t, c, "GET", api+"/revisions", "", "Authorization", authz); after.body != before.body {
		t.Errorf("the refused imports changed the history:\nbefore %s\nafter  %s", before.body, after.body)
	}
}

// Package testhub runs a real JupyterHub (Debian's jupyterhub package, 3.0)
// for tests: DummyAuthenticator with one password, an admin, users in
// groups, and hubprofiles registered as an external service. Tests fail,
// never skip, when JupyterHub is not installed.
package testhub

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jupyterhub/hubprofiles/internal/proc"
)

// Password is every test user's password (DummyAuthenticator).
const Password = "test-password"

// The users and their groups.
const (
	Admin  = "alice" // hub admin
	Viewer = "bob"   // in group "staff"
	Editor = "dave"  // in group "hub-editors"
	Plain  = "carol" // in no group
)

// Hub is a running JupyterHub.
type Hub struct {
	PublicURL    string // through the proxy, as browsers see it
	APIURL       string // the hub's own API (JUPYTERHUB_API_URL)
	ServiceName  string
	ServiceToken string // the service's api_token = its OAuth client secret
	adminToken   string // a service with the admin role, for managing tokens
	dir          string
	proc         *proc.Process
}

// FreePort returns a free TCP port on 127.0.0.1.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

const config = `
import json, os
c = get_config()
here = os.path.dirname(os.path.abspath(__file__))
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = %d
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = %d
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:%d"
c.ConfigurableHTTPProxy.auth_token = "proxy-token-0123456789abcdef"
c.ConfigurableHTTPProxy.pid_file = os.path.join(here, "proxy.pid")
c.JupyterHub.db_url = "sqlite:///" + os.path.join(here, "jupyterhub.sqlite")
c.JupyterHub.cookie_secret = bytes.fromhex("ab" * 32)
c.JupyterHub.pid_file = os.path.join(here, "jupyterhub.pid")
c.JupyterHub.authenticator_class = "jupyterhub.auth.DummyAuthenticator"
c.DummyAuthenticator.password = %q
c.Authenticator.admin_users = {"alice"}
c.Authenticator.allowed_users = {"alice", "bob", "carol", "dave"}
c.JupyterHub.load_groups = {"staff": ["bob"], "hub-editors": ["dave"]}
c.JupyterHub.spawner_class = "jupyterhub.spawner.SimpleLocalProcessSpawner"
c.JupyterHub.services = [
    {"name": %q, "url": %q, "api_token": %q, "oauth_no_confirm": True},
    {"name": "test-admin", "api_token": %q},
]
c.JupyterHub.load_roles = [
    {"name": "user", "scopes": ["self", "access:services!service=%s"]},
    {"name": "test-admin", "scopes": ["admin:users", "tokens", "read:users", "admin:groups"], "services": ["test-admin"]},
]
`

// Start runs a hub that sends /services/{service}/ to serviceURL.
func Start(t testing.TB, service, serviceURL string) *Hub {
	t.Helper()
	return StartWith(t, service, serviceURL, "")
}

// StartWith is Start with more Python appended to the hub's config (it may
// replace the spawner or add roles); the hub's directory is the variable
// here, and the file StateFile names is in it.
func StartWith(t testing.TB, service, serviceURL, extraConfig string) *Hub {
	t.Helper()
	bin := "/usr/bin/jupyterhub"
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("JupyterHub is not installed (%v): apt-get install --no-install-recommends jupyterhub", err)
	}
	dir := t.TempDir()
	public, internal, proxyAPI := FreePort(t), FreePort(t), FreePort(t)
	h := &Hub{
		PublicURL:    fmt.Sprintf("http://127.0.0.1:%d", public),
		APIURL:       fmt.Sprintf("http://127.0.0.1:%d/hub/api", internal),
		ServiceName:  service,
		ServiceToken: "service-token-" + service + "-0123456789",
		adminToken:   "test-admin-token-0123456789abcdef",
		dir:          dir,
	}
	cfg := fmt.Sprintf(config, public, internal, proxyAPI, Password, service, serviceURL, h.ServiceToken, h.adminToken, service) + extraConfig
	if err := os.WriteFile(filepath.Join(dir, "jupyterhub_config.py"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-f", filepath.Join(dir, "jupyterhub_config.py"))
	cmd.Dir = dir
	// Debian's proxy needs NODE_PATH with nodesource's node.
	cmd.Env = append(os.Environ(), "NODE_PATH=/usr/share/nodejs")
	// If the test binary dies, take the hub with it (its proxy, in the same
	// process group, is stopped by Stop otherwise).
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	p, err := proc.Start(cmd, filepath.Join(dir, "jupyterhub.log"))
	if err != nil {
		t.Fatalf("starting JupyterHub: %v", err)
	}
	h.proc = p
	t.Cleanup(h.Stop)
	client := &http.Client{Timeout: 5 * time.Second}
	err = p.WaitReady(100*time.Millisecond, func() error {
		resp, err := client.Get(h.PublicURL + "/hub/api")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET /hub/api through the proxy: %s", resp.Status)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("JupyterHub: %v", err)
	}
	return h
}

// Stop ends the hub and its proxy (idempotent): SIGTERM to the process
// group, SIGKILL after 15 s; it never blocks longer than that plus 10 s.
func (h *Hub) Stop() {
	if h.proc == nil {
		return
	}
	if err := h.proc.StopGroup(syscall.SIGTERM, 15*time.Second); err != nil {
		fmt.Fprintf(os.Stderr, "testhub: %v\n", err)
	}
}

// StateFile is the path of name in the hub's directory, for files a test
// shares with the extra config of StartWith.
func (h *Hub) StateFile(name string) string { return filepath.Join(h.dir, name) }

// Log is what the hub printed (the end of it), for failure messages.
func (h *Hub) Log() string { return h.proc.LogTail() }

// Browser returns an HTTP client with a cookie jar that does not follow
// redirects by itself, logged in to the hub as user (password "" leaves it
// logged out).
func (h *Hub) Browser(t testing.TB, user string) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	if user == "" {
		return c
	}
	// Not following the login's redirect keeps the hub from spawning a
	// server (it sends a fresh login to /hub/spawn).
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.PostForm(h.PublicURL+"/hub/login", url.Values{"username": {user}, "password": {Password}})
	c.CheckRedirect = nil
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode >= 400 {
		t.Fatalf("hub login as %s: %s\n%s", user, resp.Status, h.Log())
	}
	return c
}

// Token creates an API token for user, through the hub's admin API.
func (h *Hub) Token(t testing.TB, user string) (token, id string) {
	t.Helper()
	var out struct {
		Token string `json:"token"`
		ID    string `json:"id"`
	}
	h.admin(t, http.MethodPost, "/users/"+user+"/tokens", `{"note":"hubprofiles test","expires_in":3600}`, &out)
	if out.Token == "" {
		t.Fatalf("no token created for %s", user)
	}
	return out.Token, out.ID
}

// ScopedToken creates an API token for user limited to scopes (JupyterHub
// refuses scopes the user does not have).
func (h *Hub) ScopedToken(t testing.TB, user string, scopes ...string) string {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"note": "hubprofiles test", "expires_in": 3600, "scopes": scopes})
	return h.newToken(t, user, string(body))
}

// ServerToken creates the kind of token JupyterHub gives a user's
// single-user server (the "server" role: access:servers and
// users:activity of that user only), as the spawner does.
func (h *Hub) ServerToken(t testing.TB, user string) string {
	t.Helper()
	return h.newToken(t, user, `{"note":"hubprofiles test: server token","expires_in":3600,"roles":["server"]}`)
}

func (h *Hub) newToken(t testing.TB, user, body string) string {
	t.Helper()
	var out struct {
		Token string `json:"token"`
	}
	h.admin(t, http.MethodPost, "/users/"+user+"/tokens", body, &out)
	if out.Token == "" {
		t.Fatalf("no token created for %s", user)
	}
	return out.Token
}

// Scopes is what the hub reports for a token on GET /hub/api/user.
func (h *Hub) Scopes(t testing.TB, token string) []string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, h.APIURL+"/user", nil)
	req.Header.Set("Authorization", "token "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Scopes []string `json:"scopes"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("GET /user: %s: %v", resp.Status, err)
	}
	return out.Scopes
}

// RemoveFromGroup takes user out of group at the hub.
func (h *Hub) RemoveFromGroup(t testing.TB, group, user string) {
	t.Helper()
	h.admin(t, http.MethodDelete, "/groups/"+group+"/users", `{"users":["`+user+`"]}`, nil)
}

// AddToGroup puts user in group at the hub.
func (h *Hub) AddToGroup(t testing.TB, group, user string) {
	t.Helper()
	h.admin(t, http.MethodPost, "/groups/"+group+"/users", `{"users":["`+user+`"]}`, nil)
}

// SetAdmin makes user a hub admin or not.
func (h *Hub) SetAdmin(t testing.TB, user string, admin bool) {
	t.Helper()
	h.admin(t, http.MethodPatch, "/users/"+user, fmt.Sprintf(`{"admin":%t}`, admin), nil)
}

// RevokeToken deletes a token of user.
func (h *Hub) RevokeToken(t testing.TB, user, id string) {
	t.Helper()
	h.admin(t, http.MethodDelete, "/users/"+user+"/tokens/"+id, "", nil)
}

func (h *Hub) admin(t testing.TB, method, path, body string, out any) {
	t.Helper()
	req, _ := http.NewRequest(method, h.APIURL+path, strings.NewReader(body))
	req.Header.Set("Authorization", "token "+h.adminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		t.Fatalf("%s %s: %s %s", method, path, resp.Status, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
}

package testhub

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jupyterhub/hubprofiles/usage"
)

// serversConfig makes the hub start servers that run nothing: the
// stand-in spawner's server is a listener of the test, shared by all, and
// stays "running" until stopped. user_options are JupyterHub's own (the
// body of the REST spawn request). Stopping a server may back-date its
// last_activity (post_stop_hook, after the hub sets it to now), so that a
// test can have servers last used days ago; the days come from
// backdate.json in the hub's directory, by "user/server".
const serversConfig = `
import datetime as _dt
from jupyterhub.spawner import Spawner as _Spawner

class StandInSpawner(_Spawner):
    async def start(self):
        self._up = True
        return %q

    async def poll(self):
        return None if getattr(self, "_up", False) else 0

    async def stop(self, now=False):
        self._up = False

def _backdate(spawner):
    path = os.path.join(here, "backdate.json")
    if not os.path.exists(path):
        return
    with open(path) as f:
        days = json.load(f).get(spawner.user.name + "/" + spawner.name)
    if days is not None:
        spawner.orm_spawner.last_activity = _dt.datetime.utcnow() - _dt.timedelta(days=days)

c.JupyterHub.spawner_class = StandInSpawner
c.Spawner.post_stop_hook = _backdate
c.JupyterHub.allow_named_servers = True
c.JupyterHub.named_server_limit_per_user = 0
for _role in c.JupyterHub.load_roles:
    if _role["name"] == "test-admin":
        _role["scopes"].append("servers")  # start and stop anyone's server
c.JupyterHub.services.append({"name": "no-scopes", "api_token": %q})
c.JupyterHub.load_roles.append({"name": "hubprofiles-usage", "scopes": %s, "services": [%q]})
`

// NoScopesToken is the token of a service the hub gives no role.
const NoScopesToken = "service-token-no-scopes-0123456789"

// StartWithServers runs a hub whose users can start (stand-in) servers,
// and gives the service named service the scopes.
func StartWithServers(t testing.TB, service, serviceURL string, scopes ...string) *Hub {
	t.Helper()
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) }))
	t.Cleanup(up.Close)
	sc, _ := json.Marshal(scopes)
	return StartWith(t, service, serviceURL, fmt.Sprintf(serversConfig, up.URL, NoScopesToken, sc, service))
}

// Spawn starts user's server (name "" for the default one) with
// userOptions, as a POST to the hub's REST API does, and waits until the
// hub reports it ready.
func (h *Hub) Spawn(t testing.TB, user, server string, userOptions map[string]any) {
	t.Helper()
	body, _ := json.Marshal(userOptions)
	h.admin(t, http.MethodPost, "/users/"+user+"/servers/"+server, string(body), nil)
	deadline := time.Now().Add(60 * time.Second) // a busy machine: the hub polls the server's URL
	for {
		var u struct {
			Servers map[string]struct {
				Ready bool `json:"ready"`
			} `json:"servers"`
		}
		h.admin(t, http.MethodGet, "/users/"+user, "", &u)
		if u.Servers[server].Ready {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s's server %q is not ready after 60 s\n%s", user, server, h.Log())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// StopServer stops user's server and, with daysAgo > 0, back-dates its
// last activity that many days.
func (h *Hub) StopServer(t testing.TB, user, server string, daysAgo float64) {
	t.Helper()
	path := h.StateFile("backdate.json")
	days := map[string]float64{}
	if b, err := os.ReadFile(path); err == nil {
		_ = json.Unmarshal(b, &days)
	}
	if daysAgo > 0 {
		days[user+"/"+server] = daysAgo
	} else {
		delete(days, user+"/"+server)
	}
	b, _ := json.Marshal(days)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	h.admin(t, http.MethodDelete, "/users/"+user+"/servers/"+server, "", nil)
	deadline := time.Now().Add(60 * time.Second)
	for {
		var u struct {
			Servers map[string]json.RawMessage `json:"servers"`
		}
		h.admin(t, http.MethodGet, "/users/"+user, "", &u)
		if _, up := u.Servers[server]; !up {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s's server %q has not stopped after 60 s\n%s", user, server, h.Log())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// AddUsers creates users at the hub (for a hub with many of them).
func (h *Hub) AddUsers(t testing.TB, names ...string) {
	t.Helper()
	for len(names) > 0 {
		n := min(len(names), 500)
		h.admin(t, http.MethodPost, "/users", `{"usernames":["`+strings.Join(names[:n], `","`)+`"]}`, nil)
		names = names[n:]
	}
}

// UsedList is the profile list of UseServers: "small" (the default) with
// an option "image" of choices "python" (quay.io/x/py:1, the default) and
// "r" (quay.io/x/r:1), and "old" (quay.io/x/old:1).
const UsedList = `[
 {"display_name": "Small", "slug": "small", "default": true,
  "profile_options": {"image": {"display_name": "Image", "choices": {
    "python": {"display_name": "Python", "default": true, "kubespawner_override": {"image": "quay.io/x/py:1"}},
    "r": {"display_name": "R", "kubespawner_override": {"image": "quay.io/x/r:1"}}}}}},
 {"display_name": "Old", "slug": "old", "kubespawner_override": {"image": "quay.io/x/old:1"}}
]`

// UseServers starts servers from UsedList as users would: alice and bob
// run "small" (alice picked "r", bob "python"), carol ran "small" with
// its default choice three days ago, dave ran "old" 100 days ago.
func (h *Hub) UseServers(t testing.TB) {
	t.Helper()
	h.Spawn(t, "alice", "", map[string]any{"profile": "small", "image": "r"})
	h.Spawn(t, "bob", "", map[string]any{"profile": "small", "image": "python"})
	h.Spawn(t, "carol", "", map[string]any{"profile": "small"})
	h.StopServer(t, "carol", "", 3)
	h.Spawn(t, "dave", "", map[string]any{"profile": "old"})
	h.StopServer(t, "dave", "", 100)
}

// Watcher reads the hub with token once, as hubprofiles' background
// refresh does (a failure stays in its report, which is what some tests
// look at).
func (h *Hub) Watcher(t testing.TB, token string) *usage.Watcher {
	t.Helper()
	w := usage.NewWatcher(&usage.Hub{APIURL: h.APIURL, Token: token},
		func() usage.Settings { return usage.Settings{Interval: time.Hour} }, slog.New(slog.DiscardHandler))
	_ = w.Refresh(context.Background())
	return w
}

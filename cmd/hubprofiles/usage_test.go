package main

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jupyterhub/hubprofiles/internal/testhub"
	hubusage "github.com/jupyterhub/hubprofiles/usage"
)

// TestServeReadsUsageFromTheHub: serve, run as the hub's service with the
// usage role, reads who uses what in the background with its own token and
// at the config's usage settings, and the API shows it.
func TestServeReadsUsageFromTheHub(t *testing.T) {
	hub := testhub.StartWithServers(t, "hubprofiles", "http://127.0.0.1:9", hubusage.Scopes...)
	hub.UseServers(t)
	cfg := writeFile(t, "config.yaml", "usage: {interval: 1m, pageSize: 2}\n")
	env := map[string]string{"JUPYTERHUB_API_URL": hub.APIURL, "JUPYTERHUB_API_TOKEN": hub.ServiceToken,
		"JUPYTERHUB_SERVICE_NAME": "hubprofiles", "JUPYTERHUB_CLIENT_ID": "service-hubprofiles"}
	line, logs := serveInProcess(t, env, "--config", cfg, "--feed-listen", "off")
	api := "http://" + attr(line, "listen") + "/services/hubprofiles/api/v1/"
	token, _ := hub.Token(t, "alice")
	call := func(method, path, body string) (int, []byte) {
		t.Helper()
		req, _ := http.NewRequest(method, api+path, strings.NewReader(body))
		req.Header.Set("Authorization", "token "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	if code, body := call(http.MethodPost, "import?publish=true", testhub.UsedList); code != http.StatusCreated {
		t.Fatalf("import: %d %s", code, body)
	}
	deadline := time.Now().Add(60 * time.Second) // the first read runs at start, in the background
	for {
		var v hubusage.View
		code, body := call(http.MethodGet, "usage", "")
		if err := json.Unmarshal(body, &v); code != http.StatusOK || err != nil {
			t.Fatalf("GET usage: %d %s", code, body)
		}
		if v.Known {
			if v.Servers != 4 || v.Profiles[0].Usage.Running != 2 || v.Problem != "" {
				t.Errorf("usage = %s, want 4 servers, small run by 2", body)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("usage still unknown after 60 s: %s\n%s", body, logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !strings.Contains(logs.String(), `msg="usage: read the hub's servers" servers=4`) {
		t.Errorf("the log does not say the hub was read:\n%s", logs.String())
	}
	// pageSize 2: four users in two requests.
	hubLog, err := os.ReadFile(hub.StateFile("jupyterhub.log"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(hubLog), "GET /hub/api/users?include_stopped_servers=1&limit=2&offset="); n < 2 {
		t.Errorf("the hub answered %d pages of 2 users, want at least 2", n)
	}
}

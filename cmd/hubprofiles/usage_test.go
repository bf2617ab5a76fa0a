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

// TestUsageCommand: an operator in the hub pod runs `hubprofiles usage`
// against a real hub where alice and bob run "small" (r and python),
// carol used it 3 days ago and dave ran "old" 100 days ago. The table
// gives each profile, choice and image its figures and calls the unused
// image a candidate for removal; --json is GET api/v1/usage's answer. A
// token without the scopes, or no hub, is an error that says so.
func TestUsageCommand(t *testing.T) {
	hub := testhub.StartWithServers(t, "hubprofiles", "http://127.0.0.1:9", hubusage.Scopes...)
	hub.UseServers(t)
	dbf := []string{"--data-dir", t.TempDir()}
	list := writeFile(t, "list.json", testhub.UsedList)
	if code, _, stderr := runCmd(t, nil, append([]string{"import", list, "--publish"}, dbf...)...); code != 0 {
		t.Fatalf("import: exit %d: %s", code, stderr)
	}
	podEnv := map[string]string{"JUPYTERHUB_API_URL": hub.APIURL, "JUPYTERHUB_API_TOKEN": hub.ServiceToken}

	t.Run("table", func(t *testing.T) {
		code, out, stderr := runCmd(t, podEnv, append([]string{"usage", "--revision", "live"}, dbf...)...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if !strings.Contains(out, "Usage of the live catalog (revision 1), read from the hub at ") || !strings.Contains(out, "4 server(s) of 4 user(s)") {
			t.Errorf("the heading does not say what was read:\n%s", out)
		}
		// what: running, users 7d, users 30d; then when it was last used
		want := map[string]string{
			"profile small":               "2 3 3",
			"image: python":               "1 2 2",
			"image: r":                    "1 1 1",
			"profile old":                 "0 0 0",
			"image py (quay.io/x/py:1)":   "1 2 2",
			"image r (quay.io/x/r:1)":     "1 1 1",
			"image old (quay.io/x/old:1)": "0 0 0",
		}
		lines := map[string]string{}
		for _, line := range strings.Split(out, "\n") {
			for what := range want {
				if strings.HasPrefix(strings.TrimSpace(line), what+" ") {
					lines[what] = strings.Join(strings.Fields(strings.TrimPrefix(strings.TrimSpace(line), what)), " ")
				}
			}
		}
		for what, counts := range want {
			if !strings.HasPrefix(lines[what], counts+" ") {
				t.Errorf("%s: %q, want the counts %s\n%s", what, lines[what], counts, out)
			}
		}
		old := lines["image old (quay.io/x/old:1)"]
		if !strings.Contains(old, "candidate for removal") || strings.Contains(old, "never") {
			t.Errorf("old: %q, want a last use 100 days ago and a candidate for removal", old)
		}
		if strings.Contains(out, " \n") {
			t.Errorf("lines end in spaces:\n%q", out)
		}
		if strings.Count(out, "candidate for removal") != 1 {
			t.Errorf("only the old image is a candidate for removal:\n%s", out)
		}
	})

	t.Run("json from a token file", func(t *testing.T) {
		token := writeFile(t, "token", hub.ServiceToken+"\n")
		code, out, stderr := runCmd(t, nil, append([]string{"usage", "--json", "--hub-api-url", hub.APIURL, "--token-file", token}, dbf...)...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		var v hubusage.View
		dec := json.NewDecoder(strings.NewReader(out))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("not the JSON of GET api/v1/usage: %v\n%s", err, out)
		}
		if !v.Known || v.Servers != 4 || len(v.Profiles) != 2 || v.Profiles[0].Slug != "small" || v.Profiles[0].Usage.Running != 2 ||
			len(v.Images) != 3 || v.Images[2].Slug != "old" || !v.Images[2].RemovalCandidate {
			t.Errorf("usage = %s", out)
		}
	})

	t.Run("token without the scopes", func(t *testing.T) {
		env := map[string]string{"JUPYTERHUB_API_URL": hub.APIURL, "JUPYTERHUB_API_TOKEN": testhub.NoScopesToken}
		code, out, stderr := runCmd(t, env, append([]string{"usage"}, dbf...)...)
		if code != 1 || out != "" || !strings.Contains(stderr, "the token lacks the scope list:users") {
			t.Errorf("exit %d, stdout %q, stderr %q; want exit 1 naming list:users", code, out, stderr)
		}
	})

	t.Run("hub unreachable", func(t *testing.T) {
		env := map[string]string{"JUPYTERHUB_API_URL": "http://127.0.0.1:9/hub/api", "JUPYTERHUB_API_TOKEN": hub.ServiceToken}
		code, _, stderr := runCmd(t, env, append([]string{"usage"}, dbf...)...)
		if code != 1 || !strings.Contains(stderr, "JupyterHub cannot be reached") {
			t.Errorf("exit %d, stderr %q; want exit 1, the hub cannot be reached", code, stderr)
		}
		if code, _, stderr := runCmd(t, nil, append([]string{"usage"}, dbf...)...); code != 2 || !strings.Contains(stderr, "JUPYTERHUB_API_URL") {
			t.Errorf("no hub given: exit %d, stderr %q; want exit 2 naming JUPYTERHUB_API_URL", code, stderr)
		}
	})
}

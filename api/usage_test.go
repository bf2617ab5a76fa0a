package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jupyterhub/hubprofiles/internal/testhub"
	"github.com/jupyterhub/hubprofiles/usage"
)

func TestUsage(t *testing.T) {
	hub := testhub.StartWithServers(t, "hubprofiles", "http://127.0.0.1:9", usage.Scopes...)
	hub.UseServers(t)

	c := newTestServer(t, withUsage(hub.Watcher(t, hub.ServiceToken)))
	c.must(http.StatusCreated, http.MethodPost, "api/v1/import?publish=true", testhub.UsedList)

	t.Run("GET usage gives every profile, choice and image in catalog order", func(t *testing.T) {
		var got usage.View
		if err := json.Unmarshal(c.get("api/v1/usage").Body, &got); err != nil {
			t.Fatal(err)
		}
		if !got.Known || got.Problem != "" || got.Servers != 4 || got.Users != 4 || got.AsOf == nil {
			t.Fatalf("known %v, problem %q, servers %d, users %d, as of %v; want known, 4 servers of 4 users", got.Known, got.Problem, got.Servers, got.Users, got.AsOf)
		}
		small := got.Profiles[0]
		if small.Slug != "small" || small.Usage.Running != 2 || small.Usage.Users7d != 3 || small.Usage.Users30d != 3 {
			t.Errorf("small = %+v, want 2 running, 3 users in 7 and 30 days", small)
		}
		python, r := small.Options[0].Choices[0], small.Options[0].Choices[1]
		if python.Key != "python" || python.Usage.Running != 1 || python.Usage.Users7d != 2 || r.Key != "r" || r.Usage.Running != 1 || r.Usage.Users7d != 1 {
			t.Errorf("choices = %+v, want python running 1 (bob; carol's default 3 days ago), r running 1 (alice)", small.Options[0].Choices)
		}
		if small.Options[0].FreeText != nil {
			t.Errorf("free text = %+v, want null: the option has no free-text field", small.Options[0].FreeText)
		}
		old := got.Profiles[1]
		if old.Usage.Running != 0 || old.Usage.Users30d != 0 || old.Usage.LastUsed == nil || time.Since(*old.Usage.LastUsed) < 99*24*time.Hour {
			t.Errorf("old = %+v, want unused for 30 days, last used 100 days ago", old)
		}
		images := map[string]usage.ImageUsage{}
		for _, im := range got.Images {
			images[im.Slug] = im
		}
		if !images["old"].RemovalCandidate || images["py"].RemovalCandidate || images["r"].RemovalCandidate || images["r"].Usage.Running != 1 {
			t.Errorf("images = %+v, want only old a removal candidate", got.Images)
		}
	})

	t.Run("validate warns about a list that drops what is in use", func(t *testing.T) {
		dropR := strings.Replace(testhub.UsedList, `,
    "r": {"display_name": "R", "kubespawner_override": {"image": "quay.io/x/r:1"}}`, "", 1)
		if dropR == testhub.UsedList {
			t.Fatal("the test's edit did not apply")
		}
		body := c.must(http.StatusOK, http.MethodPost, "api/v1/validate", dropR).Body
		for _, want := range []string{
			`choice \"r\" of option \"image\" (profile \"small\") is removed but in use: 1 user is running this now; 1 used it in the last 30 days, 1 in the last 7`,
			`image \"r\" (quay.io/x/r:1) is no longer offered by any profile but in use: 1 user is running this now`,
		} {
			if !strings.Contains(string(body), want) {
				t.Errorf("validate = %s\nwant a warning %s", body, want)
			}
		}
		if strings.Contains(string(body), `profile \"old\" is removed`) {
			t.Errorf("validate warns about old, which no one used in 30 days: %s", body)
		}
	})

	t.Run("a write that removes a profile in use answers with the facts", func(t *testing.T) {
		r := c.must(http.StatusOK, http.MethodDelete, "api/v1/profiles/small", nil)
		want := `profile \"small\" is removed but in use: 2 users are running this now; 3 used it in the last 30 days, 3 in the last 7`
		if !strings.Contains(string(r.Body), want) {
			t.Errorf("DELETE profiles/small = %s\nwant the warning %s", r.Body, want)
		}
	})

	t.Run("without the scopes usage is unknown, and says why", func(t *testing.T) {
		nc := newTestServer(t, withUsage(hub.Watcher(t, testhub.NoScopesToken)))
		nc.must(http.StatusCreated, http.MethodPost, "api/v1/import?publish=true", testhub.UsedList)
		var got usage.View
		if err := json.Unmarshal(nc.get("api/v1/usage").Body, &got); err != nil {
			t.Fatal(err)
		}
		if got.Known || got.AsOf != nil || !strings.Contains(got.Problem, "list:users") || got.Profiles[0].Usage.Running != 0 {
			t.Errorf("known %v, as of %v, problem %q; want unknown, naming list:users", got.Known, got.AsOf, got.Problem)
		}
		r := nc.must(http.StatusOK, http.MethodDelete, "api/v1/profiles/small", nil)
		if strings.Contains(string(r.Body), "in use") {
			t.Errorf("with usage unknown the write claims use: %s", r.Body)
		}
	})

	t.Run("outside JupyterHub usage is unknown", func(t *testing.T) {
		var got usage.View
		if err := json.Unmarshal(newTestServer(t).get("api/v1/usage").Body, &got); err != nil {
			t.Fatal(err)
		}
		if got.Known || !strings.Contains(got.Problem, "not running under JupyterHub") {
			t.Errorf("known %v, problem %q", got.Known, got.Problem)
		}
	})
}

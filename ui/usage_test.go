package ui_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/jupyterhub/hubprofiles/edit"
	"github.com/jupyterhub/hubprofiles/internal/testhub"
	"github.com/jupyterhub/hubprofiles/internal/testserver"
	"github.com/jupyterhub/hubprofiles/model"
	"github.com/jupyterhub/hubprofiles/profilelist"
	"github.com/jupyterhub/hubprofiles/usage"
)

// usedServer is a test server with testhub.UsedList published and usage
// read from hub with token.
func usedServer(t *testing.T, hub *testhub.Hub, token string) *client {
	t.Helper()
	c := newTestServerFrom(t, testserver.Options{Prefix: prefix, Infra: infraConfig, Identify: byHeader{},
		Usage: hub.Watcher(t, token), LogLevel: slog.LevelWarn})
	src, err := profilelist.Parse([]byte(testhub.UsedList), profilelist.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.edit.Import(context.Background(), src, edit.Change{Base: edit.NoBase, Author: "alice", Message: "the used list", Publish: true}); err != nil {
		t.Fatal(err)
	}
	return c
}

// rowOf is the text of the table row holding the link to path.
func rowOf(r *response, path string) string {
	return textOf(r.Find(fmt.Sprintf(`tr:has(a[href="%s%s"])`, prefix, path)).First())
}

func TestUsagePages(t *testing.T) {
	hub := testhub.StartWithServers(t, "hubprofiles", "http://127.0.0.1:9", usage.Scopes...)
	hub.UseServers(t)
	c := usedServer(t, hub, hub.ServiceToken)

	t.Run("the profiles page says who uses each profile", func(t *testing.T) {
		r := c.get("profiles")
		if got := rowOf(r, "profiles/small"); !strings.Contains(got, "2 running now · 3 user(s) in 7 days · 3 in 30 days · last used") {
			t.Errorf("small's row = %q", got)
		}
		if got := rowOf(r, "profiles/old"); !strings.Contains(got, "unused for 30 days (last used") {
			t.Errorf("old's row = %q", got)
		}
		if got := r.text(".usage-note"); !strings.Contains(got, "the servers the hub reported at") {
			t.Errorf("usage note = %q", got)
		}
	})

	t.Run("the images page flags an image no one used in 90 days", func(t *testing.T) {
		r := c.get("images")
		if got := rowOf(r, "images/old"); !strings.Contains(got, "candidate for removal") || !strings.Contains(got, "unused for 30 days") {
			t.Errorf("old's row = %q, want a candidate for removal", got)
		}
		if got := rowOf(r, "images/r"); strings.Contains(got, "candidate") || !strings.Contains(got, "1 running now") {
			t.Errorf("r's row = %q, want 1 running and no flag", got)
		}
	})

	t.Run("the profile editor says who uses each choice", func(t *testing.T) {
		r := c.get("profiles/small")
		if got := r.text("#profile-usage"); !strings.Contains(got, "2 running now") {
			t.Errorf("profile usage = %q", got)
		}
		choices := texts(r.Doc().Selection, ".choice-usage")
		if len(choices) != 2 || !strings.Contains(choices[0], "1 running now · 2 user(s) in 7 days") || !strings.Contains(choices[1], "1 running now · 1 user(s) in 7 days") {
			t.Errorf("choice usage = %q, want python (bob now, carol 3 days ago) and r (alice now)", choices)
		}
	})

	t.Run("deleting a profile in use is confirmed with who uses it", func(t *testing.T) {
		r := c.get("profiles/small/delete")
		want := `profile "small" is removed but in use: 2 users are running this now; 3 used it in the last 30 days, 3 in the last 7`
		// The profile, and the images only it offered.
		if got := texts(r.Find("#confirm-usage"), "li"); len(got) != 3 || got[0] != want ||
			!strings.HasPrefix(got[1], `image "py" (quay.io/x/py:1) is no longer offered by any profile but in use: 1 user is running this now`) ||
			!strings.HasPrefix(got[2], `image "r" (quay.io/x/r:1) is no longer offered by any profile but in use`) {
			t.Errorf("who uses it = %q, want %q and the images py and r", got, want)
		}
		for _, w := range texts(r.Find("#confirm"), "section[aria-labelledby=warn-h] li") {
			if strings.Contains(w, "in use") {
				t.Errorf("the usage warning is shown twice, also among the warnings: %q", w)
			}
		}
	})

	t.Run("publishing a draft that drops a choice in use names it", func(t *testing.T) {
		res, err := c.edit.Commit(context.Background(), edit.Change{Base: edit.NoBase, Author: "alice", Message: "drop r",
			Apply: func(cat *model.Catalog) error {
				o := &cat.Profiles[0].Options[0]
				o.Choices = o.Choices[:1]
				return nil
			}})
		if err != nil {
			t.Fatal(err)
		}
		r := c.get(fmt.Sprintf("history/%d/publish", res.Revision.ID))
		got := strings.Join(texts(r.Find("#confirm-usage"), "li"), "\n")
		if !strings.Contains(got, `choice "r" of option "image" (profile "small") is removed but in use: 1 user is running this now`) {
			t.Errorf("who uses it = %q", got)
		}
	})

	t.Run("without the scopes the pages say usage unknown", func(t *testing.T) {
		nc := usedServer(t, hub, testhub.NoScopesToken)
		r := nc.get("profiles")
		if got := rowOf(r, "profiles/small"); !strings.Contains(got, "usage unknown") {
			t.Errorf("small's row = %q", got)
		}
		if got := r.text(".usage-note"); !strings.Contains(got, "Usage unknown: the service's token lacks the scope list:users") {
			t.Errorf("usage note = %q", got)
		}
		if got := nc.get("profiles/small/delete").text("#confirm-usage"); !strings.Contains(got, "Usage unknown") {
			t.Errorf("confirmation = %q", got)
		}
		if got := nc.get("images").text("table"); strings.Contains(got, "candidate for removal") {
			t.Errorf("with usage unknown an image is flagged: %q", got)
		}
	})
}

package usage_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/jupyterhub/hubprofiles/internal/testhub"
	"github.com/jupyterhub/hubprofiles/model"
	"github.com/jupyterhub/hubprofiles/usage"
)

// catalog is what the test hub's users started their servers from.
func catalog() *model.Catalog {
	return &model.Catalog{
		Images: []model.Image{
			{Slug: "py", DisplayName: "Python", Ref: "quay.io/x/py:1"},
			{Slug: "r", DisplayName: "R", Ref: "quay.io/x/r:1"},
			{Slug: "old", DisplayName: "Old", Ref: "quay.io/x/old:1"},
			{Slug: "never", DisplayName: "Never used", Ref: "quay.io/x/never:1"},
		},
		Defaults: model.Defaults{Image: "py"},
		Profiles: []model.Profile{
			{Slug: "small", DisplayName: "Small", Default: true, Image: "py", Options: []model.Option{{
				Key: "image", Choices: []model.Choice{{Key: "python", Image: "py", Default: true}, {Key: "r", Image: "r"}},
				Unlisted: &model.Unlisted{Enabled: true, Image: "{value}"},
			}}},
			{Slug: "gpu", DisplayName: "GPU", Options: []model.Option{{
				Key: "size", Choices: []model.Choice{{Key: "one"}, {Key: "two"}},
			}}},
		},
	}
}

// usedHub is a hub with the servers of catalog's users: started through
// the hub's REST API with real user_options, some running, some stopped
// days ago (testhub back-dates their last activity).
func usedHub(t *testing.T) *testhub.Hub {
	t.Helper()
	h := testhub.StartWithServers(t, "hubprofiles", "http://127.0.0.1:9", usage.Scopes...)
	h.Spawn(t, "alice", "", map[string]any{"profile": "small", "image": "r"})
	h.Spawn(t, "bob", "", map[string]any{"profile": "small"})
	h.Spawn(t, "bob", "second", map[string]any{"profile": "gpu", "size": "two"})
	h.StopServer(t, "bob", "second", 3)
	h.Spawn(t, "carol", "", map[string]any{"profile": "small", "image--unlisted-choice": "quay.io/x/old:1"})
	h.StopServer(t, "carol", "", 20)
	h.Spawn(t, "dave", "", map[string]any{})
	h.StopServer(t, "dave", "", 45)
	h.Spawn(t, "dave", "gone", map[string]any{"profile": "removed-since"})
	h.StopServer(t, "dave", "gone", 1)
	return h
}

func TestHub(t *testing.T) {
	h := usedHub(t)
	ctx := context.Background()
	service := &usage.Hub{APIURL: h.APIURL, Token: h.ServiceToken}

	// The service's scopes read every server with its user_options, in
	// one page or in pages of two users.
	for _, size := range []int{0, 2} {
		t.Run(fmt.Sprintf("the service's scopes, page size %d", size), func(t *testing.T) {
			paged := *service
			paged.PageSize = size
			servers, err := paged.Servers(ctx)
			if err != nil {
				t.Fatal(err)
			}
			checkTally(t, usage.Count(catalog(), servers, time.Now()))
		})
	}

	t.Run("past maxUsers the read stops and says so", func(t *testing.T) {
		capped := *service
		capped.PageSize, capped.MaxUsers = 2, 3
		servers, err := capped.Servers(ctx)
		var trunc *usage.Truncated
		if !errors.As(err, &trunc) || trunc.Read != 3 || trunc.Total != 4 {
			t.Fatalf("err = %v, want Truncated{3, 4}", err)
		}
		users := map[string]bool{}
		for _, s := range servers {
			users[s.User] = true
		}
		if len(users) != 3 {
			t.Errorf("servers of %d users, want 3: %v", len(users), users)
		}
	})

	// Which scopes are needed, found on the hub itself: alice (an admin)
	// may hand out any of her scopes to a token.
	for _, tc := range []struct {
		name    string
		token   string
		missing string // "" : works
	}{
		{"list:users and read:servers are enough", h.ScopedToken(t, "alice", "list:users", "read:servers"), ""},
		{"without read:servers the servers are hidden", h.ScopedToken(t, "alice", "list:users", "read:users"), "read:servers"},
		{"without list:users the list is refused", h.ScopedToken(t, "alice", "read:servers", "read:users"), "list:users"},
		{"a service with no role", testhub.NoScopesToken, "list:users"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			servers, err := (&usage.Hub{APIURL: h.APIURL, Token: tc.token}).Servers(ctx)
			if tc.missing == "" {
				if err != nil {
					t.Fatal(err)
				}
				checkTally(t, usage.Count(catalog(), servers, time.Now()))
				return
			}
			var se *usage.ScopeError
			if !errors.As(err, &se) || !slices.Equal(se.Missing, []string{tc.missing}) {
				t.Fatalf("err = %v, want a ScopeError missing %s", err, tc.missing)
			}
		})
	}

	t.Run("the watcher: unknown, then known, then the last figures with the failure", func(t *testing.T) {
		set := func() usage.Settings { return usage.Settings{Interval: time.Hour} }
		w := usage.NewWatcher(&usage.Hub{APIURL: h.APIURL, Token: testhub.NoScopesToken}, set, slog.New(slog.DiscardHandler))
		c := catalog()
		if err := w.Refresh(ctx); err == nil {
			t.Fatal("a refresh without scopes worked")
		}
		r := w.Report(c)
		if r.Known || r.Problem == "" || r.Profile("small").Running != 0 {
			t.Fatalf("without scopes: known %v, problem %q, want unknown with the reason", r.Known, r.Problem)
		}
		w = usage.NewWatcher(service, set, slog.New(slog.DiscardHandler))
		if err := w.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		r = w.Report(c)
		if !r.Known || r.Problem != "" {
			t.Fatalf("after a refresh: known %v, problem %q", r.Known, r.Problem)
		}
		checkTally(t, r.Tally)
		if w.Report(c) != r {
			t.Error("a second report of the same catalog and servers was tallied again")
		}
		h.Stop() // the hub goes away: the figures stay, with the failure
		if err := w.Refresh(ctx); !errors.Is(err, usage.ErrUnreachable) {
			t.Fatalf("refresh with the hub down: %v, want ErrUnreachable", err)
		}
		r = w.Report(c)
		if !r.Known || r.Problem == "" || r.Profile("small").Running != 2 {
			t.Fatalf("hub down: known %v, problem %q, small running %d; want the last figures and the failure", r.Known, r.Problem, r.Profile("small").Running)
		}
	})
}

// checkTally checks the usage of the servers usedHub started.
func checkTally(t *testing.T, got *usage.Tally) {
	t.Helper()
	ago := func(c usage.Counts) float64 {
		if c.LastUsed == nil {
			return -1
		}
		return time.Since(*c.LastUsed).Hours() / 24
	}
	type want struct {
		running, runningUsers, week, month int
		agoMin, agoMax                     float64 // days; -1 -1: never
	}
	for _, tc := range []struct {
		what string
		got  usage.Counts
		want want
	}{
		{"profile small", got.Profile("small"), want{2, 2, 2, 3, 0, 0.1}},
		{"profile gpu", got.Profile("gpu"), want{0, 0, 1, 1, 2.9, 3.1}},
		{"choice small/image/python (bob's default choice now, dave's 45 days ago)", got.Choice("small", "image", "python"), want{1, 1, 1, 1, 0, 0.1}},
		{"choice small/image/r", got.Choice("small", "image", "r"), want{1, 1, 1, 1, 0, 0.1}},
		{"choice gpu/size/two", got.Choice("gpu", "size", "two"), want{0, 0, 1, 1, 2.9, 3.1}},
		{"choice gpu/size/one", got.Choice("gpu", "size", "one"), want{0, 0, 0, 0, -1, -1}},
		{"free text of small/image", got.Free("small", "image"), want{0, 0, 0, 1, 19.9, 20.1}},
		{"image py (bob's two servers, dave's)", got.Image("py"), want{1, 1, 1, 1, 0, 0.1}},
		{"image r", got.Image("r"), want{1, 1, 1, 1, 0, 0.1}},
		{"image old (carol's free text names its reference)", got.Image("old"), want{0, 0, 0, 1, 19.9, 20.1}},
		{"image never", got.Image("never"), want{0, 0, 0, 0, -1, -1}},
	} {
		c, w := tc.got, tc.want
		if c.Running != w.running || c.RunningUsers != w.runningUsers || c.Users7d != w.week || c.Users30d != w.month {
			t.Errorf("%s: running %d (users %d), 7 days %d, 30 days %d; want %d (%d), %d, %d",
				tc.what, c.Running, c.RunningUsers, c.Users7d, c.Users30d, w.running, w.runningUsers, w.week, w.month)
		}
		if d := ago(c); d < w.agoMin || d > w.agoMax {
			t.Errorf("%s: last used %.2f days ago, want %.1f to %.1f", tc.what, d, w.agoMin, w.agoMax)
		}
	}
	if got.Servers != 6 || got.Users != 4 || got.Unmatched != 1 {
		t.Errorf("servers %d, users %d, unmatched %d; want 6, 4, 1", got.Servers, got.Users, got.Unmatched)
	}
	if got.RemovalCandidate("old") || got.RemovalCandidate("py") || !got.RemovalCandidate("never") {
		t.Errorf("removal candidates: old %v, py %v, never %v; want only never",
			got.RemovalCandidate("old"), got.RemovalCandidate("py"), got.RemovalCandidate("never"))
	}
}

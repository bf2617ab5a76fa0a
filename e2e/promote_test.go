package e2e

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/jupyterhub/hubprofiles/auth"
	"github.com/jupyterhub/hubprofiles/edit"
	"github.com/jupyterhub/hubprofiles/infra"
	"github.com/jupyterhub/hubprofiles/internal/testhub"
	"github.com/jupyterhub/hubprofiles/internal/testregistry"
	"github.com/jupyterhub/hubprofiles/model"
	"github.com/jupyterhub/hubprofiles/profilelist"
	"github.com/jupyterhub/hubprofiles/registry"
	"github.com/jupyterhub/hubprofiles/server"
	"github.com/jupyterhub/hubprofiles/store"
)

// seededEditor is an editor on a fresh store with the infrastructure
// config and, as serve does at start, the config's revision, then
// seedList on the registry regHost imported and published (what the hub
// had before hubprofiles).
func seededEditor(t *testing.T, config, regHost string) (*edit.Editor, *edit.Result) {
	t.Helper()
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg, err := infra.Parse([]byte(config))
	if err != nil {
		t.Fatal(err)
	}
	s, err := store.Open(ctx, filepath.Join(t.TempDir(), "hubprofiles.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	ed := edit.New(s, cfg, log)
	if _, err := ed.SetConfig(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	src, err := profilelist.Parse(fmt.Appendf(nil, seedList, regHost), profilelist.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	seed, err := ed.Import(ctx, src, edit.Change{Base: edit.NoBase, Author: "operator", Message: "the hub's profile list before hubprofiles", Publish: true})
	if err != nil {
		t.Fatal(err)
	}
	return ed, seed
}

// TestPromoteJourney: staging → production in the browser. Staging is a
// hubprofiles server behind a real JupyterHub, which checks the token
// production reads it with (a real hub token of a viewer, scoped to the
// service); production is the hub the admin works on. The admin compares,
// ticks one profile, gets one draft naming staging's revision, and
// publishes it the usual way. A token without the service's scope is
// refused by staging's hub, and production says so.
func TestPromoteJourney(t *testing.T) {
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	reg := testregistry.Start(t, testregistry.Options{})
	for _, im := range [][2]string{{"demo/python", "3.11"}, {"demo/python", "3.12"}, {"demo/python", "3.13"}, {"demo/julia", "1.11"}} {
		testregistry.Push(t, reg.Host, im[0], im[1])
	}
	registries := fmt.Sprintf("registries:\n  - {host: %q, insecure: true}\n", reg.Host)

	// Staging, behind its hub.
	stagingURL, serveStaging := lateServer(t)
	hub := testhub.Start(t, "hubprofiles", stagingURL)
	staging, _ := seededEditor(t, registries+"access:\n  viewerGroups: [staff]\n", reg.Host)
	stagingSrv, err := server.New(ctx, server.Options{Prefix: prefix, Editor: staging, Identify: hubIdentity(hub, log), Log: log})
	if err != nil {
		t.Fatal(err)
	}
	serveStaging(stagingSrv.Handler())
	// What the staging admins tried: Julia, and SciPy 3.13 for Small.
	res, err := staging.Commit(ctx, edit.Change{Base: edit.NoBase, Author: "stella", Message: "Julia on staging", Apply: func(c *model.Catalog) error {
		if err := c.AddImage(model.Image{Slug: "julia", DisplayName: "Julia 1.11", Ref: reg.Host + "/demo/julia:1.11"}); err != nil {
			return err
		}
		c.Images[0].Ref = reg.Host + "/demo/python:3.13"
		return c.AddProfile(model.Profile{Slug: "julia", DisplayName: "Julia", Description: "Julia 1.11 with 4 GB", Image: "julia"})
	}})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := staging.Publish(ctx, res.Revision.ID, "stella", "Julia for everyone on staging"); err != nil {
		t.Fatal(err)
	}
	stagingRev := res.Revision.ID

	// Production: its admin's browser, and staging as its peer.
	dir := t.TempDir()
	good, unscoped := filepath.Join(dir, "staging-token"), filepath.Join(dir, "unscoped-token")
	if err := os.WriteFile(good, []byte(hub.ScopedToken(t, testhub.Viewer, "access:services!service=hubprofiles")), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(unscoped, []byte(hub.ScopedToken(t, testhub.Viewer, "read:users:name!user")), 0o600); err != nil {
		t.Fatal(err)
	}
	peers := fmt.Sprintf("peers:\n  - {name: staging, url: %q, tokenFile: %q}\n  - {name: staging-unscoped, url: %q, tokenFile: %q}\n",
		stagingURL+prefix, good, stagingURL+prefix, unscoped)
	prod, _ := seededEditor(t, registries+peers, reg.Host)
	images, err := registry.New(registry.Options{Hosts: []registry.Host{{Name: reg.Host, Insecure: true}}, Timeout: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	prod.SetImageChecker(images)
	prodSrv, err := server.New(ctx, server.Options{Prefix: prefix, Editor: prod, Identify: auth.Dev{}, Images: images, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	web := httptest.NewServer(prodSrv.Handler())
	t.Cleanup(web.Close)
	e := &env{home: web.URL + prefix}
	_, live, err := prod.Live(ctx)
	if err != nil {
		t.Fatal(err)
	}
	liveBefore := live.Revision.ID

	b := startBrowser(t)
	t.Run("compare and take one profile", func(t *testing.T) {
		e.open(t, b, "history")
		do(t, b, "opening the comparison", chromedp.Click(chromedp.CSS(`a.button[href$="/peers/staging"]`)))
		waitURL(t, b, "the comparison", func(l string) bool { return strings.HasSuffix(l, "/peers/staging") })
		if h := text(t, b, "main h1"); h != "Compare with staging" {
			t.Errorf("heading %q", h)
		}
		table := text(t, b, "#promote table")
		for _, want := range []string{`added profile "Julia"`, "tag 3.11 → 3.13", `added image "julia"`} {
			if !strings.Contains(table, want) {
				t.Errorf("the comparison lacks %q:\n%s", want, table)
			}
		}
		if lead := text(t, b, "main h1 + p"); !strings.Contains(lead, fmt.Sprintf("live revision %d", stagingRev)) {
			t.Errorf("the page does not name staging's live revision %d: %q", stagingRev, lead)
		}
		do(t, b, "ticking Julia",
			chromedp.Click(chromedp.CSS(`input[name=take][value="profile:julia"]`)),
			chromedp.SendKeys(chromedp.ID("message"), "Julia for the spring course"))
		shot(t, b, "peer-compare")
		do(t, b, "taking it", chromedp.Click(chromedp.CSS(`#promote button[type=submit]`)))
		loc := waitURL(t, b, "the new draft", func(l string) bool { return strings.Contains(l, "/history/") && strings.Contains(l, "done=") })
		if flash := text(t, b, "main"); !strings.Contains(flash, fmt.Sprintf("from staging revision %d", stagingRev)) || !strings.Contains(flash, `profile "julia"`) {
			t.Errorf("at %s the page says:\n%s", loc, flash)
		}
		head, err := prod.Head(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf("promote from staging revision %d: Julia for the spring course", stagingRev); head.Revision.Message != want {
			t.Errorf("the draft's message is %q, want %q", head.Revision.Message, want)
		}
		if im, _ := head.Catalog.Image(head.Catalog.Images[0].Slug); strings.HasSuffix(im.Ref, "3.13") {
			t.Errorf("the tag bump was not ticked but was taken: %s", im.Ref)
		}
		if _, live, _ := prod.Live(ctx); live.Revision.ID != liveBefore {
			t.Errorf("taking published revision %d", live.Revision.ID)
		}
		// The usual confirm-and-publish.
		do(t, b, "publishing the draft", chromedp.Click(chromedp.CSS(`main .actions a.button[href$="/publish"]`)))
		waitURL(t, b, "the publish confirmation", func(l string) bool { return strings.HasSuffix(l, fmt.Sprintf("/history/%d/publish", head.Revision.ID)) })
		do(t, b, "confirming", chromedp.Click(chromedp.CSS(`#confirm form button[type=submit]`)))
		waitURL(t, b, "the history after publishing", func(l string) bool { return strings.Contains(l, "/history?done=") })
		if _, live, _ := prod.Live(ctx); live.Revision.ID != head.Revision.ID || live.Catalog.ProfileIndex("julia") < 0 {
			t.Errorf("live is revision %d, want the promoted %d with Julia", live.Revision.ID, head.Revision.ID)
		}
	})

	t.Run("a token without the service's scope", func(t *testing.T) {
		revs, err := prod.Head(ctx)
		if err != nil {
			t.Fatal(err)
		}
		e.open(t, b, "peers/staging-unscoped")
		if h := text(t, b, "main h1"); h != "Cannot read staging-unscoped" {
			t.Errorf("heading %q", h)
		}
		if msg := text(t, b, "main h1 + p"); !strings.Contains(msg, "403") || !strings.Contains(msg, "access:services!service=hubprofiles") || !strings.Contains(msg, "Nothing was changed") {
			t.Errorf("the page says %q, want the 403 with the scope the token lacks", msg)
		}
		if now, _ := prod.Head(ctx); now.Revision.ID != revs.Revision.ID {
			t.Error("a refused peer wrote a revision")
		}
	})
}

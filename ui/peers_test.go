package ui_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jupyterhub/hubprofiles/auth"
	"github.com/jupyterhub/hubprofiles/edit"
	"github.com/jupyterhub/hubprofiles/examples"
	"github.com/jupyterhub/hubprofiles/internal/testserver"
	"github.com/jupyterhub/hubprofiles/model"
	"github.com/jupyterhub/hubprofiles/profilelist"
)

// TestComparePage: production's page over a real staging server on
// loopback. Viewers see the differences without a way to take them;
// editors tick, and get one draft; nothing ticked writes nothing.
func TestComparePage(t *testing.T) {
	ctx := context.Background()
	staging := testserver.Start(t, testserver.Options{Prefix: prefix, Infra: infraConfig, Identify: auth.Dev{}, LogLevel: slog.LevelWarn})
	src, err := profilelist.Parse(examples.ProfileList, profilelist.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := staging.Edit.Import(ctx, src, edit.Change{Base: edit.NoBase, Author: "stella", Message: "import", Publish: true}); err != nil {
		t.Fatal(err)
	}
	res, err := staging.Edit.Commit(ctx, edit.Change{Base: edit.NoBase, Author: "stella", Message: "spare on staging too", Apply: func(c *model.Catalog) error {
		return c.AddImage(model.Image{Slug: "spare", DisplayName: "Spare", Ref: "quay.io/jupyter/base-notebook:2025-07-01"})
	}})
	if err != nil {
		t.Fatal(err)
	}
	token := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(token, []byte("unused: staging lets everyone in"), 0o600); err != nil {
		t.Fatal(err)
	}
	ts := testserver.Start(t, testserver.Options{Prefix: prefix, Identify: byHeader{}, LogLevel: slog.LevelWarn,
		Infra: infraConfig + fmt.Sprintf("peers:\n  - {name: staging, url: %q, tokenFile: %q}\n", staging.URL+prefix, token)})
	c := &client{t: t, url: ts.URL + prefix, srv: ts.Srv, edit: ts.Edit, store: ts.Store, http: ts.HTTP, logs: ts.Logs, ts: ts}
	if _, err := c.edit.Import(ctx, src, edit.Change{Base: edit.NoBase, Author: "alice", Message: "import", Publish: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.edit.Commit(ctx, edit.Change{Base: edit.NoBase, Author: "bob", Message: "a spare image", Apply: func(cat *model.Catalog) error {
		return cat.AddImage(model.Image{Slug: "spare", DisplayName: "Spare", Ref: "quay.io/jupyter/base-notebook:2025-06-02"})
	}}); err != nil {
		t.Fatal(err)
	}
	revs := c.revisions()

	if link := c.get("history").Find(`a.button[href$="peers/staging"]`); link.Length() != 1 {
		t.Error("History has no Compare with staging button")
	}
	// Staging's live revision lacks the spare image; its head has another tag.
	if rows := c.get("peers/staging").Find("#promote tbody tr"); rows.Length() != 1 || !strings.Contains(textOf(rows), `removed image "spare"`) {
		t.Errorf("against staging's live revision: %q", textOf(rows))
	}
	viewer := c.get("peers/staging?revision=head", "X-Test-As", "viewer")
	if row := textOf(viewer.Find("#promote tbody tr")); !strings.Contains(row, "tag 2025-06-02 → 2025-07-01") {
		t.Errorf("the row says %q, want the tag change", row)
	}
	if viewer.Find(`input[name=take], #promote button`).Length() != 0 {
		t.Error("a viewer is offered to take")
	}
	page := c.get("peers/staging?revision=head")
	box := page.Find(`input[name=take][value="image:spare"]`)
	if box.Length() != 1 {
		t.Fatalf("no checkbox for the spare image:\n%s", page.Body)
	}
	if v, _ := page.Find(`#promote input[name=revision]`).Attr("value"); v != fmt.Sprint(res.Revision.ID) {
		t.Errorf("the form takes from staging revision %q, want the compared %d", v, res.Revision.ID)
	}

	nothing := c.do(http.MethodPost, "peers/staging", form("revision", fmt.Sprint(res.Revision.ID), "base", fmt.Sprint(revs)))
	if nothing.Status != http.StatusUnprocessableEntity || !strings.Contains(textOf(nothing.Find("main")), "Nothing ticked") {
		t.Errorf("nothing ticked: %d %q", nothing.Status, textOf(nothing.Find("main")))
	}
	r := c.post(http.StatusOK, "peers/staging", form("take", "image:spare", "revision", fmt.Sprint(res.Revision.ID), "base", fmt.Sprint(revs), "message", "newer base"), htmx...)
	if want := fmt.Sprintf("%shistory/%d?done=", prefix, revs+1); !strings.HasPrefix(r.Header.Get("HX-Redirect"), want) {
		t.Errorf("HX-Redirect %q, want the new draft %s…", r.Header.Get("HX-Redirect"), want)
	}
	head, err := c.edit.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if im, _ := head.Catalog.Image("spare"); im.Ref != "quay.io/jupyter/base-notebook:2025-07-01" || head.Revision.Message != fmt.Sprintf("promote from staging revision %d: newer base", res.Revision.ID) {
		t.Errorf("head: spare %s, message %q", im.Ref, head.Revision.Message)
	}
	if c.revisions() != revs+1 {
		t.Errorf("%d revisions written, want 1", c.revisions()-revs)
	}
}

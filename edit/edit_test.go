package edit

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jupyterhub/hubprofiles/infra"
	"github.com/jupyterhub/hubprofiles/model"
	"github.com/jupyterhub/hubprofiles/ordered"
	"github.com/jupyterhub/hubprofiles/profilelist"
	"github.com/jupyterhub/hubprofiles/store"
)

func newEditor(t *testing.T, cfg *infra.Config) *Editor {
	t.Helper()
	s, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "hubprofiles.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return New(s, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
}

func importList(t *testing.T, e *Editor, list string, publish bool) *Result {
	t.Helper()
	src, err := profilelist.Parse([]byte(list), profilelist.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.Import(context.Background(), src, Change{Base: NoBase, Author: "alice", Message: "import", Publish: publish})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

const twoProfiles = `
- display_name: Small
  kubespawner_override: {image: "quay.io/jupyter/scipy-notebook:2025-06-02", mem_limit: 2G}
- display_name: GPU
  profile_options:
    image:
      display_name: Image
      choices:
        py: {display_name: Python, kubespawner_override: {image: "quay.io/jupyter/scipy-notebook:2025-06-02"}}
        torch: {display_name: PyTorch, kubespawner_override: {image: "quay.io/jupyter/pytorch-notebook:2025-06-02"}}
`

func TestCommitOneRevisionPerWrite(t *testing.T) {
	ctx := context.Background()
	e := newEditor(t, nil)
	res := importList(t, e, twoProfiles, false)
	if res.Revision.ID != 1 || len(res.Catalog.Images) != 2 {
		t.Fatalf("import: revision %d, %d images", res.Revision.ID, len(res.Catalog.Images))
	}
	// A tag bump reaches every profile that offers the image, in one revision.
	bump, err := e.Commit(ctx, Change{Base: 1, Author: "alice", Message: "bump", Apply: func(c *model.Catalog) error {
		im, _ := c.Image("scipy-notebook")
		im.Ref = "quay.io/jupyter/scipy-notebook:2025-07-01"
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	if bump.Revision.ID != 2 || bump.Revision.ParentID != 1 {
		t.Fatalf("revision %d parent %d", bump.Revision.ID, bump.Revision.ParentID)
	}
	if n := strings.Count(string(bump.Revision.ProfileList), "scipy-notebook:2025-07-01"); n != 2 {
		t.Errorf("the bumped tag appears %d times in the rendered list, want 2", n)
	}
	if strings.Contains(string(bump.Revision.ProfileList), "2025-06-02\"") && strings.Contains(string(bump.Revision.ProfileList), "scipy-notebook:2025-06-02") {
		t.Error("the old tag is still rendered")
	}
}

func TestCommitStale(t *testing.T) {
	ctx := context.Background()
	e := newEditor(t, nil)
	importList(t, e, twoProfiles, false)
	describe := func(base int64, d string) error {
		_, err := e.Commit(ctx, Change{Base: base, Author: "bob", Message: d, Apply: func(c *model.Catalog) error {
			c.Images[0].Description = d
			return nil
		}})
		return err
	}
	if err := describe(1, "first"); err != nil {
		t.Fatal(err)
	}
	err := describe(1, "second")
	var se *StaleError
	if !errors.As(err, &se) {
		t.Fatalf("err = %v, want a StaleError", err)
	}
	if se.Base != 1 || se.Head != 2 || len(se.Changes) != 1 || se.Changes[0].Path != "/images/0/description" || se.Changes[0].To != "first" {
		t.Errorf("stale error = %+v", se)
	}
	// Without a base the change applies to the head.
	if err := describe(NoBase, "third"); err != nil {
		t.Fatal(err)
	}
	if n, _ := e.Store().Count(ctx); n != 3 {
		t.Errorf("%d revisions, want 3 (the stale write wrote nothing)", n)
	}
}

func TestCommitRefusesErrors(t *testing.T) {
	ctx := context.Background()
	e := newEditor(t, &infra.Config{Policy: infra.Policy{AllowedRegistries: []string{"quay.io"}}})
	importList(t, e, twoProfiles, false)
	_, err := e.Commit(ctx, Change{Base: NoBase, Author: "bob", Apply: func(c *model.Catalog) error {
		c.Profiles[0].MemLimit, _ = model.QuantityOf("4Gi") // typed since import; Kubernetes units are not KubeSpawner's
		c.Profiles[1].Options[0].Choices[1].Image = ""
		c.Profiles[1].Options[0].Choices[1].Override = ordered.MapOf("image", "docker.io/library/python:3.12")
		return nil
	}})
	findings, ok := model.FindingsOf(err)
	if !ok {
		t.Fatalf("err = %v, want an invalid change", err)
	}
	paths := map[string]bool{}
	for _, f := range findings {
		if f.Severity == model.Error {
			paths[f.Path] = true
		}
	}
	for _, p := range []string{"/profiles/0/mem_limit", "/profiles/1/options/0/choices/1/kubespawner_override/image"} {
		if !paths[p] {
			t.Errorf("no error at %s; got %v", p, findings)
		}
	}
	if n, _ := e.Store().Count(ctx); n != 1 {
		t.Errorf("%d revisions, want 1: a refused change writes nothing", n)
	}
}

func TestPublishAndRestore(t *testing.T) {
	ctx := context.Background()
	e := newEditor(t, nil)
	importList(t, e, twoProfiles, true)
	if _, live, err := e.Live(ctx); err != nil || live.Revision.ID != 1 {
		t.Fatalf("live = %v, %v", live, err)
	}
	// Removing a live profile is allowed, with a warning for users who saved it.
	res, err := e.Commit(ctx, Change{Base: 1, Author: "bob", Apply: func(c *model.Catalog) error { return c.RemoveProfile("gpu") }})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Warnings) == 0 || !strings.Contains(res.Warnings[len(res.Warnings)-1].Message, `profile "gpu" is live but not in this list`) {
		t.Errorf("warnings = %v", res.Warnings)
	}
	if _, _, err := e.Publish(ctx, 2, "bob", "publish"); err != nil {
		t.Fatal(err)
	}
	// Roll back: publish the old one again; restore it as a new draft.
	if _, _, err := e.Publish(ctx, 1, "bob", "roll back"); err != nil {
		t.Fatal(err)
	}
	if _, live, _ := e.Live(ctx); live.Revision.ID != 1 {
		t.Errorf("live after roll back = %d", live.Revision.ID)
	}
	restored, err := e.Restore(ctx, 1, 2, "bob", "")
	if err != nil {
		t.Fatal(err)
	}
	if restored.Revision.ID != 3 || restored.Revision.ContentSHA256 != mustRevision(t, e, 1).ContentSHA256 {
		t.Errorf("restore gave revision %d with other content", restored.Revision.ID)
	}
	if _, _, err := e.Publish(ctx, 99, "bob", ""); !errors.Is(err, model.ErrNotFound) {
		t.Errorf("publishing a missing revision: %v", err)
	}
}

func mustRevision(t *testing.T, e *Editor, id int64) *store.Revision {
	t.Helper()
	r, err := e.Store().Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestSetConfigRecordsNodeGroups(t *testing.T) {
	ctx := context.Background()
	small := model.NodeGroup{Slug: "small", DisplayName: "small", NodeSelector: ordered.MapOf("pool", "small")}
	e := newEditor(t, nil)
	importList(t, e, `[{"display_name":"A","kubespawner_override":{"node_selector":{"pool":"small"}}}]`, false)
	res, err := e.SetConfig(ctx, &infra.Config{NodeGroups: []model.NodeGroup{small}})
	if err != nil || res == nil || res.Revision.Author != "system:config" {
		t.Fatalf("SetConfig = %+v, %v; want a system:config revision", res, err)
	}
	if again, err := e.SetConfig(ctx, &infra.Config{NodeGroups: []model.NodeGroup{small}}); err != nil || again != nil {
		t.Errorf("an unchanged config wrote a revision: %+v, %v", again, err)
	}
	// Re-import: the selector now becomes the node group.
	res = importList(t, e, `[{"display_name":"A","kubespawner_override":{"node_selector":{"pool":"small"}}}]`, false)
	if res.Catalog.Profiles[0].NodeGroup != "small" {
		t.Fatalf("node group = %q", res.Catalog.Profiles[0].NodeGroup)
	}
	// The group disappears from the config while in use: its definition is kept.
	if _, err := e.SetConfig(ctx, &infra.Config{}); err != nil {
		t.Fatal(err)
	}
	head, _ := e.Head(ctx)
	if _, ok := head.Catalog.NodeGroup("small"); !ok {
		t.Error("a node group still in use was dropped")
	}
}

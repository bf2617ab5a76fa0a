package ui_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/jupyterhub/hubprofiles/edit"
	"github.com/jupyterhub/hubprofiles/internal/corpus"
	"github.com/jupyterhub/hubprofiles/profilelist"
)

// TestEffectiveSettingsPage: the defaults page shows, for a real list
// (cloudbank__berea: one profile "CPU only" with sizes and a node selector
// in its override, and an option "image" with one default choice), what a
// user gets and from where — values worked out by hand from the file.
func TestEffectiveSettingsPage(t *testing.T) {
	c := newTestServer(t)
	data, err := os.ReadFile(filepath.Join(corpus.Dir(t), "cloudbank__berea.json"))
	if err != nil {
		t.Fatal(err)
	}
	src, err := profilelist.Parse(data, profilelist.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.edit.Import(context.Background(), src, edit.Change{Base: edit.NoBase, Author: "test", Message: "berea"}); err != nil {
		t.Fatal(err)
	}
	v := form("image", "", "default_url", "/lab", "base", "2")
	c.post(http.StatusSeeOther, "defaults-settings", v)

	r := c.get("defaults-settings")
	rows := r.Find("main table tbody tr")
	if rows.Length() != 1 {
		t.Fatalf("%d rows, want 1 (one profile whose only choice is the default)", rows.Length())
	}
	cells := rows.First().Find("td")
	want := []string{
		"CPU only default choices",
		`us-central1-docker.pkg.dev/cal-icor-hubs/user-images/base-user-image:fbab22cbce38 choice "00-base" of option "image"`,
		"/lab hub default",
		"512M profile / 1G profile",
		"0.1 profile / 2 profile",
		"node.kubernetes.io/instance-type=n2-highmem-4 profile",
	}
	for i, w := range want {
		if got := textOf(cells.Eq(i)); got != w {
			t.Errorf("cell %d = %q, want %q", i, got, w)
		}
	}
	// The preview shows the same table.
	if got := textOf(c.get("preview").Find("#preview-body table tbody tr td").Eq(2)); got != "/lab hub default" {
		t.Errorf("preview's interface cell = %q", got)
	}
}

// TestNodeGroupsCountRawSelectors: a profile whose override sets a node
// group's selector itself (here without the group's toleration, so import
// keeps it raw) is listed as using the group.
func TestNodeGroupsCountRawSelectors(t *testing.T) {
	c := newTestServer(t)
	src, err := profilelist.Parse([]byte(`[{"display_name":"GPU raw","kubespawner_override":{"node_selector":{"cloud.google.com/gke-accelerator":"nvidia-tesla-t4"}}}]`), profilelist.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.edit.Import(context.Background(), src, edit.Change{Base: edit.NoBase, Author: "test", Message: "raw"})
	if err != nil {
		t.Fatal(err)
	}
	if ng := res.Catalog.Profiles[0].NodeGroup; ng != "" {
		t.Fatalf("import made it node group %q; the test needs a raw selector", ng)
	}
	rows := c.get("node-groups").Find("main table tbody tr")
	if got := textOf(rows.Eq(1).Find("td").Eq(5)); got != "GPU raw" {
		t.Errorf("gpu-t4 used by %q, want GPU raw", got)
	}
	if got := textOf(rows.Eq(0).Find("td").Eq(5)); got != "no profile" {
		t.Errorf("n2-highmem-4 used by %q, want no profile", got)
	}
}

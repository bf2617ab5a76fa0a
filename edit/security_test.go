package edit

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/jupyterhub/hubprofiles/model"
	"github.com/jupyterhub/hubprofiles/ordered"
)

// Every field within its limit can still add up to a catalog the parser
// could not read back (issue 11, item 5): the writer refuses it, so no
// stored revision is ever unreadable.
func TestSecurityCatalogThatWouldNotReadBackIsRefused(t *testing.T) {
	e := newEditor(t, nil)
	ctx := context.Background()
	deep := func() *ordered.Map { // 40 levels: within 64 KiB, deeper than the stored limit
		m := ordered.NewMap()
		cur := m
		for range 40 {
			next := ordered.NewMap()
			cur.Set("x", next)
			cur = next
		}
		return m
	}
	for _, tc := range []struct {
		name  string
		apply func(c *model.Catalog) error
		want  string
	}{
		{"too many bytes", func(c *model.Catalog) error {
			for i := range 60 { // 60 × 60 KB overrides: each within its limit, 3.6 MB in all
				ov := ordered.NewMap()
				env := ordered.NewMap()
				env.Set("DATA", strings.Repeat("x", 60_000))
				ov.Set("environment", env)
				c.Profiles = append(c.Profiles, model.Profile{Slug: fmt.Sprintf("p%d", i), DisplayName: fmt.Sprintf("P %d", i), Override: ov})
			}
			return nil
		}, "; the limit is 2097152"},
		{"too deep", func(c *model.Catalog) error {
			ov := ordered.NewMap()
			ov.Set("extra_pod_config", deep())
			c.Profiles = append(c.Profiles, model.Profile{Slug: "deep", DisplayName: "Deep", Override: ov})
			return nil
		}, "would not read back within the limits"},
	} {
		before, _ := e.store.Count(ctx)
		// As an operator: the limits hold for everyone, and extra_pod_config
		// is not an editor's to write.
		_, err := e.Commit(ctx, Change{Base: NoBase, Author: "t", Message: tc.name, Apply: tc.apply, Operator: true})
		if fs, ok := model.FindingsOf(err); !ok || !strings.Contains(fmt.Sprint(fs), tc.want) {
			t.Errorf("%s: err %v, want a validation error saying %q", tc.name, err, tc.want)
		}
		if after, _ := e.store.Count(ctx); after != before {
			t.Errorf("%s: %d revisions, want %d: nothing may be stored", tc.name, after, before)
		}
	}
}

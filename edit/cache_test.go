package edit

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/jupyterhub/hubprofiles/model"
	"github.com/jupyterhub/hubprofiles/registry"
)

// answers is an ImageChecker whose answers the test changes.
type answers map[string]registry.Result

func (a answers) Cached(ref string) (registry.Result, bool) { r, ok := a[ref]; return r, ok }

// CheckAll asks nothing: the answers are the test's.
func (a answers) CheckAll(_ context.Context, refs []string) map[string]registry.Result {
	out := map[string]registry.Result{}
	for _, ref := range refs {
		if r, ok := a[ref]; ok {
			out[ref] = r
		}
	}
	return out
}

func messages(fs []model.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Message)
	}
	return out
}

func hasMessage(fs []model.Finding, part string) bool {
	return slices.ContainsFunc(messages(fs), func(m string) bool { return strings.Contains(m, part) })
}

// ValidateRevision keeps a stored revision's findings, but never past a
// change of what they depend on: the live revision, the registry's answers
// about the images, the infrastructure config. Each step checks it gives
// what Validate (which keeps nothing) gives.
func TestValidateRevisionFollowsWhatFindingsDependOn(t *testing.T) {
	ctx := context.Background()
	e := newEditor(t, nil)
	imgs := answers{}
	e.SetImageChecker(imgs)
	importList(t, e, twoProfiles, true)
	// The draft drops the GPU profile, which is live.
	if _, err := e.Commit(ctx, Change{Base: NoBase, Author: "alice", Message: "drop", Apply: func(c *model.Catalog) error {
		c.Profiles = c.Profiles[:1]
		return nil
	}}); err != nil {
		t.Fatal(err)
	}
	check := func(step string, want func([]model.Finding) bool) {
		t.Helper()
		head, err := e.Head(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got, fresh := e.ValidateRevision(ctx, head), e.Validate(ctx, head.Catalog)
		if !slices.Equal(messages(got), messages(fresh)) {
			t.Errorf("%s: ValidateRevision says %q, Validate %q", step, messages(got), messages(fresh))
		}
		if !want(got) {
			t.Errorf("%s: findings %q", step, messages(got))
		}
	}
	dropped := func(fs []model.Finding) bool { return hasMessage(fs, `profile "gpu" is live but not in this list`) }
	check("draft over the live import", dropped)
	check("asked again", dropped)

	imgs["quay.io/jupyter/scipy-notebook:2025-06-02"] = registry.Result{Status: registry.NotFound, Message: "the registry has no such tag"}
	check("the registry says the image is missing", func(fs []model.Finding) bool {
		return dropped(fs) && hasMessage(fs, "the registry has no such tag")
	})

	if _, _, err := e.Publish(ctx, 2, "alice", "publish the draft"); err != nil {
		t.Fatal(err)
	}
	check("the draft is live now", func(fs []model.Finding) bool { return !dropped(fs) })
}

package ui_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/jupyterhub/hubprofiles/edit"
	"github.com/jupyterhub/hubprofiles/model"
)

// TestEditorStaleMerges is issue 14's lost update: two admins open the same
// profile; B saves first. A's save is refused (409) and shows a merged form:
// B's values where A changed nothing, A's where only A changed something,
// and, where both changed a field, A's value marked with B's beside it.
// Saving again writes A's changes on top of B's: none of B's is reverted.
func TestEditorStaleMerges(t *testing.T) {
	c := newFixture(t)
	// Both forms are filled from revision 3. Choices of option "image":
	// 0 scipy, 1 r.
	a := editorForm(c, "profiles/small", "save",
		"description", "edited by A",
		"display_name", "Small (A)",
		"opt.0.choice.0.display_name", "SciPy (A)")
	b := editorForm(c, "profiles/small", "save",
		"cpu_limit", "1.5",
		"display_name", "Small (B)",
		"opt.0.choice.1.display_name", "R (B)",
		"opt.0.default", "1",
		"opt.0.choice.2.key", "julia", "opt.0.choice.2.display_name", "Julia")
	wantDone(t, c, c.do(http.MethodPost, "profiles/small", b), "profiles", "Saved profile Small (B).")
	c.wantRevisions(4)

	r := c.post(http.StatusConflict, "profiles/small", a)
	c.wantRevisions(4)
	if got := r.text("#profile-form > .notice.error"); !strings.Contains(got, "(revision 3 → 4)") || !strings.Contains(got, "Nothing was saved yet") {
		t.Errorf("notice %q", got)
	}
	for name, want := range map[string]string{
		"cpu_limit":                   "1.5",         // B's: A left it alone
		"description":                 "edited by A", // A's: B left it alone
		"display_name":                "Small (A)",   // both: A's kept, marked
		"opt.0.choice.0.display_name": "SciPy (A)",
		"opt.0.choice.1.display_name": "R (B)",
		"opt.0.choice.2.key":          "julia", // added by B
		"base":                        "4",
	} {
		if got := value(t, r, name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if got := r.Find(`[name="opt.0.default"][checked]`).AttrOr("value", ""); got != "1" {
		t.Errorf("the default choice is #%s, want B's r (1)", got)
	}
	wantFieldError(t, r, "display_name", "Small (B)")
	if got := r.text("#merge-conflicts"); !strings.Contains(got, "Name users see") || !strings.Contains(got, "Small (B)") {
		t.Errorf("the conflicts listed: %q", got)
	}
	pending := r.text("#merge-pending")
	for _, want := range []string{"Description", "edited by A", "choice “scipy”: Name users see", "SciPy (A)"} {
		if !strings.Contains(pending, want) {
			t.Errorf("A's pending changes %q do not mention %q", pending, want)
		}
	}
	if strings.Contains(pending, "CPU limit") {
		t.Errorf("B's change is listed as A's: %q", pending)
	}

	// Saving the merged form keeps both admins' work.
	wantDone(t, c, c.do(http.MethodPost, "profiles/small", formValues(r.Find("#profile-form form").First(), "action", "save")), "profiles", "Saved profile Small (A).")
	c.wantRevisions(5)
	p := c.profile("small")
	if p.Description != "edited by A" || p.Settings.CPULimit.String() != "1.5" {
		t.Errorf("after the merge: description %q, cpu_limit %q; want A's description and B's 1.5", p.Description, p.Settings.CPULimit.String())
	}
	var got []string
	for _, ch := range p.Options[0].Choices {
		got = append(got, ch.Key+"="+ch.DisplayName)
		if ch.Default && ch.Key != "r" {
			t.Errorf("the default choice is %s, want B's r", ch.Key)
		}
	}
	if strings.Join(got, ",") != "scipy=SciPy (A),r=R (B),julia=Julia" {
		t.Errorf("choices after the merge: %v", got)
	}
}

// TestDiffShowsKeysAsWritten: a diff names nvidia.com/gpu as the list
// writes it, not as a JSON pointer escapes it (nvidia.com~1gpu), and a
// defaults change is said as such on the dashboard (issue 14).
func TestDiffShowsKeysAsWritten(t *testing.T) {
	c := newFixture(t)
	for _, n := range []string{"2", "3"} {
		wantDone(t, c, c.do(http.MethodPost, "profiles/small", editorForm(c, "profiles/small", "save", "gpu", n)), "profiles", "Saved profile Small.")
	}
	c.wantRevisions(5)
	rev := c.get("history/5")
	list := rev.text("main")
	if !strings.Contains(list, "extra_resource_limits/nvidia.com/gpu") || strings.Contains(list, "~1") {
		t.Errorf("the revision's diff: %q", list)
	}
	if _, err := c.edit.Commit(context.Background(), edit.Change{Base: edit.NoBase, Author: "bob", Message: "defaults",
		Apply: func(cat *model.Catalog) error { cat.Defaults.DefaultURL = "/tree"; return nil }}); err != nil {
		t.Fatal(err)
	}
	if got := c.get("").text(`section[aria-labelledby="draft-h"]`); !strings.Contains(got, `hub-wide default interface set to "/tree"`) {
		t.Errorf("the draft card says %q", got)
	}
}

// TestTooManyGPUsIsAnErrorAtItsField: 2 GPUs on a profile whose node group
// has one can never be scheduled: the save is refused with the error next
// to the GPU field (issue 14: it was no finding at all).
func TestTooManyGPUsIsAnErrorAtItsField(t *testing.T) {
	c := newFixture(t)
	r := c.post(http.StatusUnprocessableEntity, "profiles/gpu", editorForm(c, "profiles/gpu", "save", "gpu", "2"))
	wantFieldError(t, r, "gpu", "2 GPUs (nvidia.com/gpu) are more than a gpu-t4 node has (1)")
	c.wantRevisions(3)
}

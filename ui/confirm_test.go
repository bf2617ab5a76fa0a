package ui_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

// wantNothingWritten fails when a confirmation page wrote a revision or a
// publication: showing the consequences must change nothing.
func wantNothingWritten(t *testing.T, c *client, revs int64, pubs int) {
	t.Helper()
	if c.revisions() != revs || c.publications() != pubs {
		t.Errorf("a confirmation page wrote: revisions %d → %d, publications %d → %d", revs, c.revisions(), pubs, c.publications())
	}
}

// confirmForm is the one form (markup_test checks its CSRF token) of a confirmation page: its action, its
// hidden fields and its button.
func confirmForm(t *testing.T, r *response) (action string, fields map[string]string, button string) {
	t.Helper()
	f := r.Find("#confirm form[method=post]")
	if f.Length() != 1 {
		t.Fatalf("%d confirm forms, want 1", f.Length())
	}
	fields = map[string]string{}
	f.Find("input[type=hidden]").Each(func(_ int, s *goquery.Selection) { fields[s.AttrOr("name", "")] = s.AttrOr("value", "") })
	return f.AttrOr("action", ""), fields, textOf(f.Find("button"))
}

// TestConfirmRollBackToEmptyRevision is the journey of issue 14: "Roll
// back to this" on the config-only revision 1 must say, before anything
// happens, that every user loses every profile.
func TestConfirmRollBackToEmptyRevision(t *testing.T) {
	c := newFixture(t)
	revs, pubs := c.revisions(), c.publications()
	hist := c.get("history")
	link := hist.Find(`#history-list a.button[href$="/history/1/publish"]`)
	if got := textOf(link); got != "Roll back to this" {
		t.Fatalf("revision 1's roll back link %q", got)
	}
	r := c.get(strings.TrimPrefix(link.AttrOr("href", ""), prefix))
	wantLayout(t, r, "Roll back to revision 1?", "Roll back to revision 1?")
	wantNothingWritten(t, c, revs, pubs)
	if got := r.text(`#confirm [role=alert]`); !strings.Contains(got, "Every user loses every profile.") {
		t.Errorf("alert %q, want every user loses every profile", got)
	}
	losses := texts(r.Find("#confirm"), "ul.losses li")
	for _, slug := range []string{"small", "gpu"} {
		if !slices.ContainsFunc(losses, func(l string) bool { return strings.HasPrefix(l, `profile "`+slug+`" is live but not in this list`) }) {
			t.Errorf("losses %q do not name profile %s", losses, slug)
		}
	}
	diff := texts(r.Find(`section[aria-labelledby="diff-h"]`), "li")
	if len(diff) != 2 || !strings.HasPrefix(diff[0], "/0 removed") || !strings.HasPrefix(diff[1], "/1 removed") {
		t.Errorf("diff against live %q, want both live profiles removed", diff)
	}
	if got := r.text("#diff-h"); got != "Changes to the list users get (against live revision 2)" {
		t.Errorf("diff heading %q", got)
	}
	action, fields, button := confirmForm(t, r)
	if _, csrf := fields["_csrf"]; action != prefix+"history/1/publish" || !csrf || button != "Roll back to revision 1" {
		t.Errorf("confirm form: action %q, fields %v, button %q", action, fields, button)
	}
	if !r.Find("#confirm form button").HasClass("danger") {
		t.Error("a roll back that takes every profile away is not marked as dangerous")
	}
	if got := r.Find(`#confirm a.button.secondary`).AttrOr("href", ""); got != prefix+"history/1" {
		t.Errorf("cancel goes to %q, want the revision", got)
	}

	// htmx gets the same facts as a fragment.
	f := c.get("history/1/publish", htmx...)
	if f.Find("html > body > #confirm").Length() != 1 || f.Find("main").Length() != 0 {
		t.Errorf("htmx: want only the #confirm fragment; %.300s", f.Body)
	}

	// Confirming does what the page said.
	c.post(http.StatusSeeOther, "history/1/publish", nil)
	if got := c.liveID(); got != 1 {
		t.Errorf("live revision %d after confirming, want 1", got)
	}
}

func TestConfirmPublishHead(t *testing.T) {
	c := newFixture(t)
	revs, pubs := c.revisions(), c.publications()
	r := c.get("history/3/publish")
	wantLayout(t, r, "Publish revision 3?", "Publish revision 3?")
	wantNothingWritten(t, c, revs, pubs)
	if got := r.text(`section[aria-labelledby="loss-h"] p`); !strings.HasPrefix(got, "Nothing: every profile, option and choice") {
		t.Errorf("losses %q, want nothing", got)
	}
	if r.Find("#confirm [role=alert]").Length() != 0 {
		t.Error("publishing an unused image raises an alarm")
	}
	if got := texts(r.Find(`section[aria-labelledby="diff-h"]`), "li"); len(got) != 0 {
		t.Errorf("an unused image changes the list users get: %q", got)
	}
	action, _, button := confirmForm(t, r)
	if action != prefix+"history/3/publish" || button != "Publish revision 3" {
		t.Errorf("confirm form %q %q", action, button)
	}
	if r.Find("#confirm form button").HasClass("danger") {
		t.Error("a harmless publish is marked as dangerous")
	}
}

func TestConfirmDeleteProfile(t *testing.T) {
	c := newFixture(t)
	revs, pubs := c.revisions(), c.publications()
	r := c.get("profiles/gpu/delete")
	wantLayout(t, r, "Delete profile gpu?", "Delete profile gpu?")
	wantNothingWritten(t, c, revs, pubs)
	if got := texts(r.Find("#confirm"), "ul.losses li"); len(got) != 1 || !strings.HasPrefix(got[0], `profile "gpu" is live but not in this list`) {
		t.Errorf("losses %q, want profile gpu", got)
	}
	if r.Find("#confirm [role=alert]").Length() != 0 {
		t.Error("deleting one of two profiles says every profile is lost")
	}
	action, fields, _ := confirmForm(t, r)
	if action != prefix+"profiles/gpu/delete" || fields["base"] != "3" {
		t.Errorf("confirm form: action %q, fields %v", action, fields)
	}
	c.post(http.StatusSeeOther, "profiles/gpu/delete", form("base", fields["base"]))
	if c.head().Catalog.ProfileIndex("gpu") >= 0 {
		t.Error("confirming did not delete the profile")
	}
}

func TestConfirmDeleteImageAndRestore(t *testing.T) {
	c := newFixture(t)
	revs, pubs := c.revisions(), c.publications()
	r := c.get("images/spare/delete")
	wantLayout(t, r, "Remove image spare?", "Remove image spare?")
	if got := r.text(`section[aria-labelledby="loss-h"] p`); !strings.HasPrefix(got, "Nothing:") {
		t.Errorf("losses %q, want nothing", got)
	}
	if action, fields, _ := confirmForm(t, r); action != prefix+"images/spare/delete" || fields["base"] != "3" {
		t.Errorf("confirm form: action %q, fields %v", action, fields)
	}
	r = c.get("history/1/restore")
	wantLayout(t, r, "Restore revision 1 as a new draft?", "Restore revision 1 as a new draft?")
	if got := r.text(`#confirm [role=alert]`); !strings.Contains(got, "Every user loses every profile.") {
		t.Errorf("restoring the empty revision: alert %q", got)
	}
	if action, fields, _ := confirmForm(t, r); action != prefix+"history/1/restore" || fields["base"] != "3" {
		t.Errorf("confirm form: action %q, fields %v", action, fields)
	}
	wantNothingWritten(t, c, revs, pubs)
}

func TestConfirmPageViewerAndMissing(t *testing.T) {
	c := newFixture(t)
	r := c.get("history/1/publish", "X-Test-As", "viewer")
	if r.Find("#confirm form").Length() != 0 {
		t.Error("a viewer is offered the confirm button")
	}
	if got := r.text(`#confirm [role=alert]`); !strings.Contains(got, "Every user loses every profile.") {
		t.Errorf("viewer: alert %q", got)
	}
	if got := c.do(http.MethodGet, "profiles/nope/delete", nil).Status; got != http.StatusNotFound {
		t.Errorf("confirming the delete of a missing profile: %d, want 404", got)
	}
	if got := c.do(http.MethodGet, "history/99/publish", nil).Status; got != http.StatusNotFound {
		t.Errorf("confirming the publish of a missing revision: %d, want 404", got)
	}
}

// TestConfirmedPublishIsRefusedWhenLiveChanged: the confirmation said what
// users lose against the live revision; if someone publishes meanwhile,
// confirming publishes nothing and says why.
func TestConfirmedPublishIsRefusedWhenLiveChanged(t *testing.T) {
	c := newFixture(t)
	_, fields, _ := confirmForm(t, c.get("history/1/publish"))
	if fields["live"] != "2" {
		t.Fatalf("the confirmation sends live %q, want 2", fields["live"])
	}
	c.post(http.StatusSeeOther, "history/3/publish", nil) // someone else, meanwhile
	r := c.post(http.StatusConflict, "history/1/publish", form("live", fields["live"]))
	if got := r.text("main"); !strings.Contains(got, "compared with revision 2, but revision 3 is live now. Nothing was published") {
		t.Errorf("the refusal says %q", got)
	}
	if got := c.liveID(); got != 3 {
		t.Errorf("live revision %d, want 3 (the stale confirmation published)", got)
	}
	c.post(http.StatusSeeOther, "history/1/publish", form("live", "3"))
	if got := c.liveID(); got != 1 {
		t.Errorf("live revision %d after a fresh confirmation, want 1", got)
	}
}

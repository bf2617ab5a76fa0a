package ui_test

// Issue 11, item 1, through the pages: the profile editor refuses markup
// that KubeSpawner's spawn form would print unescaped, says so next to the
// field, keeps the input and writes nothing.

import (
	"net/http"
	"strings"
	"testing"
)

func TestSecurityScriptInProfileFormIsRefusedNextToTheField(t *testing.T) {
	c := newFixture(t)
	v := formValues(c.get("profiles/new").Find("#profile-form form").First(), "action", "save")
	hostile := `Two CPUs</p><script>alert(document.cookie)</script>`
	for k, val := range map[string]string{"display_name": "Medium", "slug": "medium", "image": "spare", "description": hostile} {
		v.Set(k, val)
	}
	r := c.post(http.StatusUnprocessableEntity, "profiles/new", v)
	wantFieldError(t, r, "description", "markup (<script>)")
	if got := r.Find("#description").Text(); got != hostile {
		t.Errorf("the description input is %q, want it kept as typed", got)
	}
	// The page shows the text, escaped, never as markup.
	if n := r.Find("main script").Length(); n != 0 {
		t.Errorf("the refused page has %d <script> in main", n)
	}
	c.wantRevisions(3)
	if strings.Contains(string(c.get("profiles").Body), "alert(document.cookie)") {
		t.Errorf("the profiles page shows the refused text")
	}
}

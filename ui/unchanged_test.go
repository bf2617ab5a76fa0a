package ui_test

import (
	"net/http"
	"testing"
)

// TestSavingNothingSaysSo: saving the hub defaults unchanged writes no
// revision and the page says nothing changed.
func TestSavingNothingSaysSo(t *testing.T) {
	c := newFixture(t)
	r := c.do(http.MethodPost, "defaults-settings", form("image", "spare", "default_url", "/lab", "base", "3"))
	wantDone(t, c, r, "defaults-settings", "Saved the hub defaults")
	c.wantRevisions(4)
	r = c.do(http.MethodPost, "defaults-settings", form("image", "spare", "default_url", "/lab", "base", "4"))
	wantDone(t, c, r, "defaults-settings", "Nothing changed")
	c.wantRevisions(4)
}

// TestImportWithErrorsKeepsDraft: importing a list with errors without
// publishing keeps it as a draft, and the flash says it cannot be published
// yet.
func TestImportWithErrorsKeepsDraft(t *testing.T) {
	c := newFixture(t)
	r := c.do(http.MethodPost, "import", form("content", badValues, "action", "import", "base", "3"))
	wantDone(t, c, r, "history", "Imported 2 profile(s) as revision 4, as a draft with 1 error(s)")
	c.wantRevisions(4)
}

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

package usage

import (
	"testing"
	"time"
)

func TestSentence(t *testing.T) {
	last := time.Date(2026, 8, 24, 3, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		c    Counts
		want string
	}{
		{Counts{Running: 4, RunningUsers: 3, Users7d: 12, Users30d: 41, LastUsed: &last}, "3 users are running this now; 41 used it in the last 30 days, 12 in the last 7"},
		{Counts{Running: 2, RunningUsers: 1, Users7d: 1, Users30d: 1, LastUsed: &last}, "1 user is running this now; 1 used it in the last 30 days, 1 in the last 7"},
		{Counts{LastUsed: &last}, "no one is running this now; no one used it in the last 30 days (last used 2026-08-24)"},
		{Counts{}, "no one is running this now; no server's last start used it"},
	} {
		if got := tc.c.Sentence(); got != tc.want {
			t.Errorf("Sentence(%+v) = %q, want %q", tc.c, got, tc.want)
		}
	}
}

// A free-text field's image template is filled in as KubeSpawner's
// format_map does, so a typed value can name a catalog image.
func TestFillValue(t *testing.T) {
	for _, tc := range []struct{ template, value, want string }{
		{"{value}", "quay.io/x/py:1", "quay.io/x/py:1"},
		{"quay.io/org/{value}", "py:1", "quay.io/org/py:1"},
		{"reg/{{literal}}/{value}", "a:1", "reg/{literal}/a:1"},
		{"no field", "x", "no field"},
	} {
		if got := fillValue(tc.template, tc.value); got != tc.want {
			t.Errorf("fillValue(%q, %q) = %q, want %q", tc.template, tc.value, got, tc.want)
		}
	}
}

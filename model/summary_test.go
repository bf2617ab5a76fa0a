package model

import (
	"slices"
	"testing"
)

// TestSummarizeDefaults: a change of the hub-wide defaults is said as such
// (it was "no change to the catalog" on the dashboard, issue 14).
func TestSummarizeDefaults(t *testing.T) {
	for _, tc := range []struct {
		from, to Defaults
		want     []string
	}{
		{Defaults{}, Defaults{Image: "py"}, []string{`hub-wide default image set to "py"`}},
		{Defaults{Image: "py", DefaultURL: "/lab"}, Defaults{Image: "r", DefaultURL: "/lab"}, []string{`hub-wide default image: "py" → "r"`}},
		{Defaults{DefaultURL: "/lab"}, Defaults{}, []string{`hub-wide default interface "/lab" removed`}},
		{Defaults{Image: "py"}, Defaults{Image: "py"}, nil},
	} {
		got := Summarize(&Catalog{Defaults: tc.from}, &Catalog{Defaults: tc.to})
		if !slices.Equal(got, tc.want) {
			t.Errorf("%+v → %+v: %q, want %q", tc.from, tc.to, got, tc.want)
		}
	}
}

package main

import (
	"strings"
	"testing"
)

// A login that lasts no time would loop through the hub's login forever.
func TestServeRefusesShortSessionLifetime(t *testing.T) {
	for _, tt := range []struct {
		env  map[string]string
		args []string
		want string
	}{
		{nil, []string{"serve", "--session-lifetime", "10s"}, "--session-lifetime 10s: a login must last at least 1m"},
		{map[string]string{"HUBPROFILES_SESSION_LIFETIME": "0"}, []string{"serve"}, "--session-lifetime 0s"},
		{map[string]string{"HUBPROFILES_SESSION_LIFETIME": "eight hours"}, []string{"serve"}, `HUBPROFILES_SESSION_LIFETIME="eight hours"`},
	} {
		code, _, errOut := runCmd(t, tt.env, tt.args...)
		if code != 2 || !strings.Contains(errOut, tt.want) {
			t.Errorf("%v %v: exit %d, stderr %q, want 2 and %q", tt.env, tt.args, code, errOut, tt.want)
		}
	}
}

package infra

import (
	"strings"
	"testing"
	"time"
)

func TestUsageSection(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     Usage
	}{
		{"absent: every ten minutes, pages of 200", "", Usage{10 * time.Minute, 200, 100000}},
		{"set", "usage: {interval: 1h, pageSize: 50, maxUsers: 5000}\n", Usage{time.Hour, 50, 5000}},
		{"off", "usage: {interval: \"off\"}\n", Usage{0, 200, 100000}},
		{"zero", "usage: {interval: \"0\"}\n", Usage{0, 200, 100000}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse([]byte(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if c.Usage != tc.want {
				t.Errorf("usage = %+v, want %+v", c.Usage, tc.want)
			}
		})
	}
	for _, tc := range []struct{ name, in, want string }{
		{"not a duration", "usage: {interval: often}\n", `usage.interval: "often" is not a duration`},
		{"too often", "usage: {interval: 10s}\n", `usage.interval: "10s" is less than 1m0s`},
		{"page too big", "usage: {pageSize: 5000}\n", "usage.pageSize: 5000 is not between 1 and 1000"},
		{"no users", "usage: {maxUsers: 0}\n", "usage.maxUsers: 0 must be at least 1"},
		{"unknown key", "usage: {every: 1h}\n", "field every not found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

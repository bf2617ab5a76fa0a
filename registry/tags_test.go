package registry

import (
	"slices"
	"strings"
	"testing"
)

func TestNewerTags(t *testing.T) {
	tests := []struct {
		name    string
		current string
		tags    string // space-separated
		want    string // newest first; "" for nil
	}{
		{"semver", "1.2.3", "1.2.2 1.2.3 1.2.4 1.3.0 2.0.0 1.10.0 latest 1.2 v1.2.5 1.2.3.1", "2.0.0 1.10.0 1.3.0 1.2.4"},
		{"semver two parts", "1.2", "1.3 1.2.9 2.0 1.10 1.1", "2.0 1.10 1.3"},
		{"four parts", "1.2.3.4", "1.2.3.5 1.2.4 1.2.3.3", "1.2.3.5"},
		{"v prefix", "v1.2.3", "v1.2.4 1.2.5 v1.3.0 v1.2.3-rc1 v1.2.2", "v1.3.0 v1.2.4"},
		{"v prefix two parts", "v2.1", "v2.2 v2.1.1 2.3 v10.0", "v10.0 v2.2"},
		{"pre-release current", "1.2.3-rc1", "1.2.3-rc2 1.2.3 1.2.3-beta1 1.2.3-rc10 1.2.2 1.2.3-rc1", "1.2.3 1.2.3-rc10 1.2.3-rc2"},
		{"pre-releases before releases", "1.0.0-alpha", "1.0.0-beta 1.0.0-alpha.1 1.0.0-rc.1 1.0.0 0.9.0", "1.0.0 1.0.0-rc.1 1.0.0-beta 1.0.0-alpha.1"},
		{"newer pre-release of a release", "1.2.3", "1.2.4-rc1 1.2.3-rc1", "1.2.4-rc1"},
		{"semver orders pre-releases lexically", "2.0.0-dev", "2.0.0a1 2.0.0-a1 2.0.0-b2 2.0.0", "2.0.0"},
		{"dates with dashes", "2024-01-15", "2024-01-14 2024-02-01 2023-12-31 2024-01-16 2024.03.01 latest 20240301 2025-13-01", "2024-02-01 2024-01-16"},
		{"dates with dots", "2024.01.15", "2024.01.16 2024-02-01 2025.01.01 2023.06.30", "2025.01.01 2024.01.16"},
		{"compact dates", "20240115", "20240116 20231231 2024-02-01 20241301", "20240116"},
		{"year and month", "2024.01", "2024.02 2023.12 2024.10 2024.01.15", "2024.10 2024.02"},
		{"year-month", "2024-01", "2024-02 2024.03", "2024-02"},
		{"prefix", "lab-4.0.9", "lab-4.1.5 4.2.0 notebook-7.0.0 lab-4.0.10 lab-4.0.8", "lab-4.1.5 lab-4.0.10"},
		{"prefix with digits and underscore", "x86_64-2024-01-15", "x86_64-2024-02-01 aarch64-2024-03-01 2024-04-01", "x86_64-2024-02-01"},
		{"python tags", "python-3.11", "python-3.12 python-3.11.6 python-3.10 python-3.9", "python-3.12"},
		{"variant", "3.11.6-slim", "3.11.7-slim 3.11.7 3.12.0-slim-bookworm 3.11.5-slim", "3.11.7-slim"},
		{"date variant", "2024-01-15-cuda", "2024-02-01-cuda 2024-02-01", "2024-02-01-cuda"},
		{"current not in the list", "1.2.3", "1.2.5 0.1.0", "1.2.5"},
		{"nothing newer", "2.0.0", "1.0.0 2.0.0 latest", ""},
		{"duplicates", "1.0", "1.1 1.1 1.2", "1.2 1.1"},
		{"empty list", "1.0", "", ""},
		{"unknown scheme latest", "latest", "1.0 2.0 latest", ""},
		{"unknown scheme main", "main", "main dev 1.0", ""},
		{"unknown scheme sha", "sha-5f2a3c1", "sha-6e3b4d2 1.0", ""},
		{"single number", "42", "43 44", ""},
		{"empty current", "", "1.0", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := NewerTags(tt.current, strings.Fields(tt.tags))
			if tt.want == "" {
				if got != nil {
					t.Errorf("NewerTags(%q) = %q, want nil", tt.current, got)
				}
				return
			}
			if want := strings.Fields(tt.want); !slices.Equal(got, want) {
				t.Errorf("NewerTags(%q) = %q, want %q", tt.current, got, want)
			}
		})
	}
}

func TestSortTags(t *testing.T) {
	tests := []struct{ in, want string }{
		{"latest 1.1 regctl-copy 1.0", "1.1 1.0 latest regctl-copy"},
		{"1.9 1.10 1.2 v1.11 main", "v1.11 1.10 1.9 1.2 main"},
		{"2023-12-31 1.0 2024-01-15 latest 2024.02.01", "2024.02.01 2024-01-15 2023-12-31 1.0 latest"},
		{"3.11 3.11.6 3.12 3.11.7 3", "3.12 3.11 3.11.7 3.11.6 3"},
		{"1.0.0 1.0.0-rc1 1.0.0-beta 0.9.0", "1.0.0 1.0.0-rc1 1.0.0-beta 0.9.0"},
		{"python-3.9 python-3.11 lab-4.1.5 2024-03-14 hub-4.1.5 x86_64-2024-03-14 latest", "2024-03-14 hub-4.1.5 lab-4.1.5 python-3.11 python-3.9 x86_64-2024-03-14 latest"},
		{"b10 b9 a", "a b9 b10"},
		{"", ""},
	}
	for _, tt := range tests {
		got := sortTags(strings.Fields(tt.in))
		if want := strings.Fields(tt.want); !slices.Equal(got, want) {
			t.Errorf("sortTags(%q) = %q, want %q", tt.in, got, want)
		}
	}
}

func TestNaturalCompare(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"python-3.9", "python-3.11", -1},
		{"a", "a", 0},
		{"a1", "a01", 0},
		{"a", "ab", -1},
		{"b", "a9", 1},
		{"9", "a", -1},
		{"99999999999999999999999", "100000000000000000000000", -1},
	}
	for _, tt := range tests {
		if got := naturalCompare(tt.a, tt.b); got != tt.want {
			t.Errorf("naturalCompare(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
		if got := naturalCompare(tt.b, tt.a); got != -tt.want {
			t.Errorf("naturalCompare(%q, %q) = %d, want %d", tt.b, tt.a, got, -tt.want)
		}
	}
}

package registry

import (
	"cmp"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// A tag is compared with another only when both follow the same scheme: the
// same prefix ("lab-", "x86_64-"), the same kind and shape (three-part semver
// with a "v", dates as YYYY-MM-DD, ...) and the same variant ("-slim"). That is
// what "newer" means to someone who picked "lab-4.0.9": "lab-4.1.5", not
// "2024-03-14" nor "4.1.5-slim".

// kind is the family of a tag's version.
type kind int

const (
	kindDate kind = iota + 1
	kindSemver
)

// version is a tag read as a version.
type version struct {
	prefix string // "" or ends in - or _, e.g. "lab-"
	kind   kind
	scheme string // prefix, kind, shape and variant: versions compare only within one
	nums   []int  // date: year, month[, day]; semver: major, minor[, patch[, 4th]]
	pre    string // semver pre-release ("rc1"); "" for a release
}

var (
	// The prefix is empty or ends in - or _; the suffix is empty or starts
	// with - or _ (a variant such as -slim). Go's regexp has no
	// backreferences, so the two date separators are compared in code.
	dateDayRx   = regexp.MustCompile(`^((?:.*[-_])?)((?:19|20)\d\d)([.-]?)(\d\d)([.-]?)(\d\d)((?:[-_].*)?)$`)
	dateMonthRx = regexp.MustCompile(`^((?:.*[-_])?)((?:19|20)\d\d)([.-])(\d\d)((?:[-_].*)?)$`)
	semverRx    = regexp.MustCompile(`^((?:.*[-_])?)(v?)(\d+(?:\.\d+){1,3})(?:-([0-9A-Za-z][0-9A-Za-z._-]*))?$`)
	// preRx tells a pre-release ("rc1", "beta.2", "dev") from a variant
	// ("slim", "alpine", "cuda12"), which semver would also call a pre-release.
	preRx = regexp.MustCompile(`(?i)^(?:alpha|beta|rc|pre|preview|dev|a|b)[.-]?\d*(?:[.-].*)?$`)
)

// parseVersion reads a tag as a dated or semver version; ok is false for
// tags of no known scheme ("latest", "main", "sha-5f2a3c1").
func parseVersion(tag string) (version, bool) {
	if m := dateDayRx.FindStringSubmatch(tag); m != nil && m[3] == m[5] {
		y, mo, d := atoi(m[2]), atoi(m[4]), atoi(m[6])
		if mo >= 1 && mo <= 12 && d >= 1 && d <= 31 {
			shape := "YYYY" + m[3] + "MM" + m[3] + "DD"
			return version{prefix: m[1], kind: kindDate, scheme: m[1] + "|" + shape + "|" + m[7], nums: []int{y, mo, d}}, true
		}
	}
	if m := dateMonthRx.FindStringSubmatch(tag); m != nil {
		y, mo := atoi(m[2]), atoi(m[4])
		if mo >= 1 && mo <= 12 {
			shape := "YYYY" + m[3] + "MM"
			return version{prefix: m[1], kind: kindDate, scheme: m[1] + "|" + shape + "|" + m[5], nums: []int{y, mo}}, true
		}
	}
	if m := semverRx.FindStringSubmatch(tag); m != nil {
		parts := strings.Split(m[3], ".")
		nums := make([]int, len(parts))
		for i, p := range parts {
			nums[i] = atoi(p)
		}
		v := version{prefix: m[1], kind: kindSemver, nums: nums}
		variant := ""
		if preRx.MatchString(m[4]) {
			v.pre = m[4]
		} else {
			variant = m[4]
		}
		v.scheme = m[1] + "|" + m[2] + "semver" + strconv.Itoa(len(nums)) + "|" + variant
		return v, true
	}
	return version{}, false
}

func atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		return -1 // too long for an int; such a tag sorts oddly, nothing worse
	}
	return n
}

// compareVersions orders two versions of the same scheme: by their numbers,
// then a release after its pre-releases, pre-releases by semver's rules.
func compareVersions(a, b version) int {
	if c := slices.Compare(a.nums, b.nums); c != 0 {
		return c
	}
	switch {
	case a.pre == b.pre:
		return 0
	case a.pre == "":
		return 1
	case b.pre == "":
		return -1
	}
	return comparePre(a.pre, b.pre)
}

// comparePre compares pre-releases identifier by identifier; "rc2" < "rc10".
func comparePre(a, b string) int {
	as, bs := strings.FieldsFunc(a, isDotDash), strings.FieldsFunc(b, isDotDash)
	for i := 0; i < len(as) && i < len(bs); i++ {
		if c := naturalCompare(as[i], bs[i]); c != 0 {
			return c
		}
	}
	return cmp.Compare(len(as), len(bs))
}

func isDotDash(r rune) bool { return r == '.' || r == '-' }

// NewerTags returns the tags that sort after current under current's scheme,
// newest first: semver ("1.2.3", "v1.2", pre-releases before their release),
// or dates ("2024-01-15", "2024.01.15", "20240115", "2024.01"), each with an
// optional prefix such as "lab-" and a variant such as "-slim" that must
// match. It returns nil when current follows no known scheme ("latest") or
// nothing is newer. current need not be in tags.
func NewerTags(current string, tags []string) []string {
	cur, ok := parseVersion(current)
	if !ok {
		return nil
	}
	type tv struct {
		tag string
		v   version
	}
	var newer []tv
	seen := map[string]bool{}
	for _, t := range tags {
		if seen[t] {
			continue
		}
		seen[t] = true
		v, ok := parseVersion(t)
		if ok && v.scheme == cur.scheme && compareVersions(v, cur) > 0 {
			newer = append(newer, tv{t, v})
		}
	}
	if len(newer) == 0 {
		return nil
	}
	slices.SortFunc(newer, func(a, b tv) int {
		if c := compareVersions(b.v, a.v); c != 0 {
			return c
		}
		return strings.Compare(a.tag, b.tag)
	})
	out := make([]string, len(newer))
	for i, n := range newer {
		out[i] = n.tag
	}
	return out
}

// sortTags orders tags for a picker: versioned tags first, grouped by prefix
// ("" first, then "lab-", "python-", ...) with dates before semver, newest
// first within a group; then all other tags ("latest", "main") in natural
// order. It sorts in place and returns tags.
func sortTags(tags []string) []string {
	type tv struct {
		tag string
		v   version
		ok  bool
	}
	vs := make([]tv, len(tags))
	for i, t := range tags {
		v, ok := parseVersion(t)
		vs[i] = tv{t, v, ok}
	}
	slices.SortStableFunc(vs, func(a, b tv) int {
		switch {
		case a.ok != b.ok:
			if a.ok {
				return -1
			}
			return 1
		case !a.ok:
			return naturalCompare(a.tag, b.tag)
		}
		if c := naturalCompare(a.v.prefix, b.v.prefix); c != 0 {
			return c
		}
		if c := cmp.Compare(a.v.kind, b.v.kind); c != 0 {
			return c
		}
		// Newest first; a shorter version ("3.11", which floats) before
		// the longer ones it covers ("3.11.6").
		n := min(len(a.v.nums), len(b.v.nums))
		if c := slices.Compare(b.v.nums[:n], a.v.nums[:n]); c != 0 {
			return c
		}
		if c := cmp.Compare(len(a.v.nums), len(b.v.nums)); c != 0 {
			return c
		}
		if c := compareVersions(b.v, a.v); c != 0 {
			return c
		}
		return naturalCompare(a.tag, b.tag)
	})
	for i, v := range vs {
		tags[i] = v.tag
	}
	return tags
}

// naturalCompare compares strings with runs of digits compared as numbers,
// so that "python-3.9" < "python-3.11".
func naturalCompare(a, b string) int {
	for a != "" && b != "" {
		ra, rb := leadingRun(a), leadingRun(b)
		da, db := isDigit(ra[0]), isDigit(rb[0])
		var c int
		switch {
		case da && db:
			ta, tb := strings.TrimLeft(ra, "0"), strings.TrimLeft(rb, "0")
			if c = cmp.Compare(len(ta), len(tb)); c == 0 {
				c = strings.Compare(ta, tb)
			}
		default:
			c = strings.Compare(ra, rb)
		}
		if c != 0 {
			return c
		}
		a, b = a[len(ra):], b[len(rb):]
	}
	return cmp.Compare(len(a), len(b))
}

// leadingRun is the leading run of digits or of non-digits of a non-empty s.
func leadingRun(s string) string {
	d := isDigit(s[0])
	i := 1
	for i < len(s) && isDigit(s[i]) == d {
		i++
	}
	return s[:i]
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

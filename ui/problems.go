package ui

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/jupyterhub/hubprofiles/model"
	"github.com/jupyterhub/hubprofiles/ordered"
	"github.com/jupyterhub/hubprofiles/profilelist"
)

// Problems are shown as an admin reads a catalog, not as a validator walks
// it: grouped by profile → option → choice (named by what users see), errors
// first, and a registry that could not be asked said once, with the images
// and places it affects, instead of once per use.

// problem is one line of a group.
type problem struct {
	Severity model.Severity
	Field    string // the setting the finding is about ("" for the whole)
	Path     string // the finding's path, for scripts and the curious
	Message  string
	Where    []string // for a registry problem: each image and where it is used
}

// problemGroup is the problems of one profile, option, choice, image or
// registry.
type problemGroup struct {
	Title  string
	Errors int
	Items  []problem
}

// namer says where a finding's path is: the group's title and the field.
type namer func(path string) (title, field string)

// imageProblem is the validator's wording of what a registry said of an
// image: `image "REF": MESSAGE`.
var imageProblem = regexp.MustCompile(`^image "([^"]+)": (.+)$`)

// groupProblems groups findings; groups with errors come first, then in
// the order of the catalog.
func groupProblems(fs []model.Finding, name namer) []problemGroup {
	var groups []problemGroup
	at := map[string]int{} // title → index in groups
	add := func(title string, p problem) *problem {
		i, ok := at[title]
		if !ok {
			i = len(groups)
			at[title] = i
			groups = append(groups, problemGroup{Title: title})
		}
		g := &groups[i]
		if p.Severity == model.Error {
			g.Errors++
		}
		for k := range g.Items {
			if q := &g.Items[k]; q.Severity == p.Severity && q.Message == p.Message && q.Field == p.Field {
				return q
			}
		}
		g.Items = append(g.Items, p)
		return &g.Items[len(g.Items)-1]
	}
	for _, f := range fs {
		title, field := name(f.Path)
		if m := imageProblem.FindStringSubmatch(f.Message); m != nil {
			// Said by a registry: one line per registry and answer.
			host, msg := profilelist.RegistryHost(m[1]), strings.ReplaceAll(m[2], m[1], "this image")
			p := add("Registry "+host, problem{Severity: f.Severity, Message: msg})
			use := m[1] + " (" + title + ")"
			if !slices.Contains(p.Where, use) {
				p.Where = append(p.Where, use)
			}
			continue
		}
		add(title, problem{Severity: f.Severity, Field: field, Path: f.Path, Message: f.Message})
	}
	for i := range groups {
		slices.SortStableFunc(groups[i].Items, func(a, b problem) int { return severityRank(a.Severity) - severityRank(b.Severity) })
	}
	slices.SortStableFunc(groups, func(a, b problemGroup) int {
		return boolRank(a.Errors == 0) - boolRank(b.Errors == 0)
	})
	return groups
}

func severityRank(s model.Severity) int { return boolRank(s != model.Error) }

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

func quotedName(display, key string) string {
	if display == "" {
		display = key
	}
	return "“" + display + "”"
}

// catalogNamer names catalog paths (/profiles/3/options/0/choices/2/image)
// by the catalog's display names.
func catalogNamer(c *model.Catalog) namer {
	names := map[string]int{}
	for _, p := range c.Profiles {
		names[p.DisplayName]++
	}
	return func(path string) (string, string) {
		parts := strings.Split(strings.TrimPrefix(path, "/"), "/")
		idx := func(k int, n int) int {
			if k >= len(parts) {
				return -1
			}
			i, err := strconv.Atoi(parts[k])
			if err != nil || i < 0 || i >= n {
				return -1
			}
			return i
		}
		switch parts[0] {
		case "defaults":
			return "Hub-wide defaults", strings.Join(parts[1:], "/")
		case "images":
			if i := idx(1, len(c.Images)); i >= 0 {
				return "Image " + c.Images[i].Slug, strings.Join(parts[2:], "/")
			}
			return "Images", ""
		case "profiles":
		default:
			return "The catalog", strings.Join(parts, "/")
		}
		i := idx(1, len(c.Profiles))
		if i < 0 {
			return "Profiles", ""
		}
		p := &c.Profiles[i]
		title := "Profile " + quotedName(p.DisplayName, p.Slug)
		if names[p.DisplayName] > 1 {
			title += " (" + p.Slug + ")" // two profiles with one name
		}
		rest := parts[2:]
		if len(rest) >= 2 && rest[0] == "options" {
			j, err := strconv.Atoi(rest[1])
			if err == nil && j >= 0 && j < len(p.Options) {
				o := &p.Options[j]
				title += " → option " + quotedName(o.DisplayName, o.Key)
				rest = rest[2:]
				switch {
				case len(rest) >= 2 && rest[0] == "choices":
					if k, err := strconv.Atoi(rest[1]); err == nil && k >= 0 && k < len(o.Choices) {
						title += " → choice " + quotedName(o.Choices[k].DisplayName, o.Choices[k].Key)
						rest = rest[2:]
					}
				case len(rest) >= 1 && rest[0] == "unlisted_choice":
					title += " → free-text choice"
					rest = rest[1:]
				}
			}
		}
		return title, fieldName(rest)
	}
}

// listNamer names JSON pointers into a profile list (after prefix, where
// a values file holds the list) by the list's display names.
func listNamer(list any, prefix string) namer {
	items, _ := list.([]any)
	str := func(m *ordered.Map, k string) string {
		v, _ := m.Get(k)
		s, _ := v.(string)
		return s
	}
	child := func(m *ordered.Map, k string) *ordered.Map {
		v, _ := m.Get(k)
		c, _ := v.(*ordered.Map)
		return c
	}
	names := map[string]int{}
	for _, it := range items {
		if m, ok := it.(*ordered.Map); ok {
			names[str(m, "display_name")]++
		}
	}
	return func(path string) (string, string) {
		rest, ok := strings.CutPrefix(path, prefix)
		if cat, isCat := strings.CutPrefix(path, "/profiles"); isCat && (prefix == "" || !ok) {
			// A catalog path (what import checks after reading the list):
			// import keeps the list's order, so profile N is item N.
			rest, ok = cat, true
		}
		if !ok {
			return "The file", path
		}
		parts := unescapePointer(strings.Split(strings.TrimPrefix(rest, "/"), "/"))
		i, err := strconv.Atoi(parts[0])
		if err != nil || i < 0 || i >= len(items) {
			return "The list", fieldName(parts)
		}
		p, _ := items[i].(*ordered.Map)
		if p == nil {
			return fmt.Sprintf("Profile %d", i+1), fieldName(parts[1:])
		}
		title := "Profile " + quotedName(str(p, "display_name"), fmt.Sprintf("%d", i+1))
		if names[str(p, "display_name")] > 1 {
			if sl := str(p, "slug"); sl != "" {
				title += " (" + sl + ")" // two profiles with one name
			} else {
				title += fmt.Sprintf(" (#%d)", i+1)
			}
		}
		parts = parts[1:]
		if len(parts) >= 2 && parts[0] == "profile_options" {
			o := child(child(p, "profile_options"), parts[1])
			title += " → option " + quotedName(str(o, "display_name"), parts[1])
			parts = parts[2:]
			switch {
			case len(parts) >= 2 && parts[0] == "choices":
				ch := child(child(o, "choices"), parts[1])
				title += " → choice " + quotedName(str(ch, "display_name"), parts[1])
				parts = parts[2:]
			case len(parts) >= 1 && parts[0] == "unlisted_choice":
				title += " → free-text choice"
				parts = parts[1:]
			}
		}
		return title, fieldName(parts)
	}
}

// fieldName is what is left of a path, as a setting's name: the override
// wrapper is dropped and escaped keys read as written (nvidia.com/gpu).
func fieldName(parts []string) string {
	parts = unescapePointer(parts)
	if len(parts) > 0 && parts[0] == "kubespawner_override" {
		parts = parts[1:]
	}
	return strings.Join(parts, " → ")
}

// unescapePointer undoes JSON pointer escapes (~1 is /, ~0 is ~).
func unescapePointer(parts []string) []string {
	out := make([]string, len(parts))
	for i, p := range parts {
		out[i] = strings.ReplaceAll(strings.ReplaceAll(p, "~1", "/"), "~0", "~")
	}
	return out
}

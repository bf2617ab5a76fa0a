package model

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/jupyterhub/hubprofiles/ordered"
)

// Summarize says in plain words what changed from one catalog to the next,
// one line per change, for the history page: `image "scipy" (used by Small,
// GPU): tag 2024.01 → 2024.06`, `profile "GPU": mem_limit 8G → 16G`.
func Summarize(from, to *Catalog) []string {
	var out []string
	add := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }

	for _, im := range to.Images {
		old, ok := from.Image(im.Slug)
		if !ok {
			add("added image %q (%s)", im.Slug, im.Ref)
		} else if line := imageChange(old, &im, to.profileNamesUsing(im.Slug)); line != "" {
			out = append(out, line)
		}
	}
	for _, im := range from.Images {
		if _, ok := to.Image(im.Slug); !ok {
			add("removed image %q", im.Slug)
		}
	}
	if !sameJSON(from.NodeGroups, to.NodeGroups) {
		add("node groups updated from the infrastructure config")
	}
	// The hub-wide defaults reach every profile that does not set its own.
	for _, d := range []struct{ what, old, new string }{
		{"image", from.Defaults.Image, to.Defaults.Image},
		{"interface", from.Defaults.DefaultURL, to.Defaults.DefaultURL},
	} {
		switch {
		case d.old == d.new:
		case d.old == "":
			add("hub-wide default %s set to %q", d.what, d.new)
		case d.new == "":
			add("hub-wide default %s %q removed", d.what, d.old)
		default:
			add("hub-wide default %s: %q → %q", d.what, d.old, d.new)
		}
	}
	var oldOrder, newOrder []string
	for _, p := range to.Profiles {
		i := from.ProfileIndex(p.Slug)
		if i < 0 {
			add("added profile %q", p.DisplayName)
			continue
		}
		newOrder = append(newOrder, p.Slug)
		for _, line := range profileChanges(&from.Profiles[i], &p) {
			add("profile %q: %s", p.DisplayName, line)
		}
	}
	for _, p := range from.Profiles {
		if to.ProfileIndex(p.Slug) < 0 {
			add("removed profile %q", p.DisplayName)
		} else {
			oldOrder = append(oldOrder, p.Slug)
		}
	}
	if strings.Join(oldOrder, "\x00") != strings.Join(newOrder, "\x00") {
		add("profiles reordered")
	}
	return out
}

// imageChange says how an image changed ("" if it did not), naming the
// profiles that offer it.
func imageChange(old, im *Image, users []string) string {
	switch {
	case old.Ref != im.Ref:
		where := ""
		if len(users) > 0 {
			where = " (used by " + strings.Join(users, ", ") + ")"
		}
		if Repository(old.Ref) == Repository(im.Ref) {
			return fmt.Sprintf("image %q%s: tag %s → %s", im.Slug, where, tagOf(old.Ref), tagOf(im.Ref))
		}
		return fmt.Sprintf("image %q%s: %s → %s", im.Slug, where, old.Ref, im.Ref)
	case old.DisplayName != im.DisplayName || old.Description != im.Description:
		return fmt.Sprintf("image %q: name or description edited", im.Slug)
	}
	return ""
}

func profileChanges(a, b *Profile) []string {
	var out []string
	field := func(name, x, y string) {
		if x != y {
			out = append(out, fmt.Sprintf("%s %s → %s", name, orNone(x), orNone(y)))
		}
	}
	field("name", a.DisplayName, b.DisplayName)
	field("description", short(a.Description), short(b.Description))
	if a.Default != b.Default {
		out = append(out, fmt.Sprintf("default %t → %t", a.Default, b.Default))
	}
	field("allowed groups", strings.Join(a.AllowedGroups, ", "), strings.Join(b.AllowedGroups, ", "))
	field("image", a.Image, b.Image)
	field("node group", a.NodeGroup, b.NodeGroup)
	out = append(out, overrideChanges("", a.Settings.with(a.Override), b.Settings.with(b.Override))...)
	for _, o := range b.Options {
		old := findOption(a, o.Key)
		if old == nil {
			out = append(out, fmt.Sprintf("added option %q", o.Key))
			continue
		}
		for _, ch := range o.Choices {
			oc := findChoice(old, ch.Key)
			if oc == nil {
				out = append(out, fmt.Sprintf("option %q: added choice %q", o.Key, orNone(ch.DisplayName)))
				continue
			}
			if oc.Image != ch.Image {
				out = append(out, fmt.Sprintf("option %q, choice %q: image %s → %s", o.Key, ch.Key, orNone(oc.Image), orNone(ch.Image)))
			}
			out = append(out, overrideChanges(fmt.Sprintf("option %q, choice %q: ", o.Key, ch.Key), oc.Settings.with(oc.Override), ch.Settings.with(ch.Override))...)
			if oc.DisplayName != ch.DisplayName || oc.Default != ch.Default || oc.Description != ch.Description || oc.NodeGroup != ch.NodeGroup {
				out = append(out, fmt.Sprintf("option %q, choice %q edited", o.Key, ch.Key))
			}
		}
		for _, ch := range old.Choices {
			if findChoice(&o, ch.Key) == nil {
				out = append(out, fmt.Sprintf("option %q: removed choice %q", o.Key, orNone(ch.DisplayName)))
			}
		}
		if !sameJSON(old.Unlisted, o.Unlisted) {
			out = append(out, fmt.Sprintf("option %q: free-text field edited", o.Key))
		}
	}
	for _, o := range a.Options {
		if findOption(b, o.Key) == nil {
			out = append(out, fmt.Sprintf("removed option %q", o.Key))
		}
	}
	return out
}

func overrideChanges(prefix string, a, b *ordered.Map) []string {
	var out []string
	for _, ch := range ordered.Diff(orEmpty(a), orEmpty(b)) {
		// Keys as the list writes them: nvidia.com/gpu, not the pointer's
		// nvidia.com~1gpu.
		key := strings.NewReplacer("~1", "/", "~0", "~").Replace(strings.TrimPrefix(ch.Path, "/"))
		switch ch.Op {
		case "changed":
			out = append(out, fmt.Sprintf("%s%s %s → %s", prefix, key, brief(ch.From), brief(ch.To)))
		case "added":
			out = append(out, fmt.Sprintf("%s%s set to %s", prefix, key, brief(ch.To)))
		case "removed":
			out = append(out, fmt.Sprintf("%s%s removed", prefix, key))
		}
	}
	return out
}

func orEmpty(m *ordered.Map) *ordered.Map {
	if m == nil {
		return ordered.NewMap()
	}
	return m
}

func brief(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, err := ordered.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return short(string(b))
}

func short(s string) string {
	if len(s) > 60 {
		return s[:57] + "…"
	}
	return s
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func findOption(p *Profile, key string) *Option {
	for i := range p.Options {
		if p.Options[i].Key == key {
			return &p.Options[i]
		}
	}
	return nil
}

func findChoice(o *Option, key string) *Choice {
	for i := range o.Choices {
		if o.Choices[i].Key == key {
			return &o.Choices[i]
		}
	}
	return nil
}

// profileNamesUsing names the profiles that offer an image anywhere.
func (c *Catalog) profileNamesUsing(image string) []string {
	var out []string
	for _, p := range c.Profiles {
		uses := p.Image == image
		for _, o := range p.Options {
			for _, ch := range o.Choices {
				uses = uses || ch.Image == image
			}
		}
		if uses {
			out = append(out, p.DisplayName)
		}
	}
	return out
}

// Repository is an image reference without its tag and digest: what stays
// the same when an image moves to a newer tag.
func Repository(ref string) string {
	name, _, _ := strings.Cut(ref, "@")
	slash := strings.LastIndex(name, "/")
	if i := strings.LastIndex(name, ":"); i > slash {
		return name[:i]
	}
	return name
}

func tagOf(ref string) string {
	name, digest, hasDigest := strings.Cut(ref, "@")
	slash := strings.LastIndex(name, "/")
	if i := strings.LastIndex(name, ":"); i > slash {
		return name[i+1:]
	}
	if hasDigest {
		return digest
	}
	return "(none)"
}

func sameJSON(a, b any) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(x) == string(y)
}

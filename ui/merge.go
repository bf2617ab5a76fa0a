package ui

import (
	"fmt"
	"slices"
	"strings"
)

// A profile form posted against a revision that is no longer the head is
// merged, not replayed: replaying it would write back the form's stale
// values over what someone else saved meanwhile. The form names the revision
// it was filled from (base); the editor compares, field by field, the
// profile in that revision (what the admin started from), in the head (what
// the other change made of it) and in the post (what the admin wants):
//
//   - a field the admin left alone takes the head's value;
//   - a field only the admin changed keeps the admin's value;
//   - a field both changed, to different values, keeps the admin's value and
//     is marked, with the other value, for the admin to decide.
//
// Options and choices are matched by key, so a choice added or removed on
// either side does not shift the others. Nothing is saved by the merge: the
// admin sees the merged form, what changed meanwhile and their own pending
// changes, and saves again (now against the head).

// fieldChange is one changed field, named as the form labels it.
type fieldChange struct {
	Where          string
	From, To, Mine string // Mine: the admin's value, for a field both changed
}

// merger collects what a merge found.
type merger struct {
	Pending   []fieldChange     // the admin's own changes since the base
	Conflicts []fieldChange     // changed by both: To is the other value, Mine the kept one
	Notes     []string          // options or choices removed on one side and changed on the other
	Errors    map[string]string // form field → message, for the conflicts
}

// field is one form field of one version of the form.
type field struct {
	name, label string
	get         func() string
	set         func(string)
}

func strField(name, label string, p *string) field {
	return field{name, label, func() string { return *p }, func(s string) { *p = s }}
}

func boolField(name, label string, p *bool) field {
	return field{name, label, func() string {
		if *p {
			return "yes"
		}
		return "no"
	}, func(s string) { *p = s == "yes" }}
}

// norm is a value as compared: browsers post textareas with CRLF.
func norm(s string) string { return strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n")) }

func resourceFields(pre, where string, r *resources) []field {
	return []field{
		strField(pre+"mem_guarantee", where+"Memory guaranteed", &r.MemGuarantee),
		strField(pre+"mem_limit", where+"Memory limit", &r.MemLimit),
		strField(pre+"cpu_guarantee", where+"CPUs guaranteed", &r.CPUGuarantee),
		strField(pre+"cpu_limit", where+"CPU limit", &r.CPULimit),
		strField(pre+"gpu", where+"GPUs", &r.GPU),
	}
}

func profileFields(f *profileForm) []field {
	return append([]field{
		strField("slug", "Slug", &f.Slug),
		strField("display_name", "Name users see", &f.DisplayName),
		strField("description", "Description", &f.Description),
		boolField("default", "Default profile", &f.Default),
		strField("allowed_groups", "Allowed groups", &f.AllowedGroups),
		strField("image", "Image", &f.Image),
		strField("node_group", "Node group", &f.NodeGroup),
		strField("default_url", "Interface", &f.DefaultURL),
		strField("override", "Other KubeSpawner settings", &f.Override),
		strField("extra", "Keys for other tools", &f.Extra),
		strField("locked", "Operators' settings", &f.Locked),
	}, resourceFields("", "", &f.Res)...)
}

func optionFields(pre, where string, o *optionForm) []field {
	u := &o.Unlisted
	w := where + "free-text choice: "
	return []field{
		strField(pre+"display_name", where+"Label", &o.DisplayName),
		strField(pre+"extra", where+"Keys for other tools", &o.Extra),
		boolField(pre+"unlisted.present", w+"present", &o.HasUnlisted),
		boolField(pre+"unlisted.enabled", w+"Users may type their own value", &u.Enabled),
		strField(pre+"unlisted.display_name", w+"Label", &u.DisplayName),
		strField(pre+"unlisted.display_name_in_choices", w+"Entry in the drop-down", &u.DisplayNameInChoices),
		strField(pre+"unlisted.regex", w+"Validation regex", &u.Regex),
		strField(pre+"unlisted.message", w+"Message when it does not match", &u.Message),
		strField(pre+"unlisted.override", w+"Settings with the typed value", &u.Override),
		strField(pre+"unlisted.extra", w+"Keys for other tools", &u.Extra),
		strField(pre+"unlisted.locked", w+"Operators' settings", &u.Locked),
	}
}

func choiceFields(pre, where string, c *choiceForm) []field {
	return append([]field{
		strField(pre+"display_name", where+"Name users see", &c.DisplayName),
		strField(pre+"description", where+"Description", &c.Description),
		strField(pre+"allowed_groups", where+"Allowed groups", &c.AllowedGroups),
		strField(pre+"image", where+"Image", &c.Image),
		strField(pre+"node_group", where+"Node group", &c.NodeGroup),
		strField(pre+"default_url", where+"Interface", &c.DefaultURL),
		strField(pre+"override", where+"Other settings", &c.Override),
		strField(pre+"extra", where+"Keys for other tools", &c.Extra),
		strField(pre+"locked", where+"Operators' settings", &c.Locked),
	}, resourceFields(pre, where, &c.Res)...)
}

// signature is every compared value of a list of fields, to tell whether
// an option or a choice changed at all.
func signature(fs []field) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString(norm(f.get()))
		b.WriteByte(0)
	}
	return b.String()
}

func choiceSig(c choiceForm) string {
	return c.Key + "\x00" + signature(choiceFields("", "", &c)) + boolField("", "", &c.Default).get()
}

func optionSig(o optionForm) string {
	s := o.Key + "\x00" + signature(optionFields("", "", &o))
	for _, c := range o.Choices {
		s += "\x01" + choiceSig(c)
	}
	return s
}

// fields merges one field of the three versions into yours.
func (m *merger) fields(base, theirs, yours []field) {
	for i, y := range yours {
		b, t := norm(base[i].get()), norm(theirs[i].get())
		mine := norm(y.get())
		if mine != b {
			m.Pending = append(m.Pending, fieldChange{Where: y.label, From: b, To: mine})
		}
		switch {
		case mine == b:
			y.set(theirs[i].get())
		case t == b || t == mine:
			// only the admin changed it (or both alike): the admin's value
		default:
			m.Conflicts = append(m.Conflicts, fieldChange{Where: y.label, From: b, To: t, Mine: mine})
			m.Errors[y.name] = fmt.Sprintf("changed meanwhile by someone else to %s (it was %s); your %s is kept: save to keep it, or change it",
				quoted(t), quoted(b), quoted(mine))
		}
	}
}

func quoted(s string) string {
	if s == "" {
		return "(empty)"
	}
	if len(s) > 80 {
		s = s[:77] + "…"
	}
	return "“" + s + "”"
}

// match is one element of a merged list: the admin's version (or the head's
// when only the head has it), and the base's and head's versions when the
// element was in both, to be merged field by field.
type match[T any] struct {
	base, theirs *T
	out          T
}

// mergeList merges a list of options or choices by key: what the admin
// added stays, what was added meanwhile joins at its place, what one side
// removed goes unless the other side changed it (then it stays, with a note).
func mergeList[T any](m *merger, kind string, base, theirs, yours []T, key func(T) string, sig func(T) string) []match[T] {
	find := func(list []T, k string) *T {
		for i := range list {
			if key(list[i]) == k {
				return &list[i]
			}
		}
		return nil
	}
	var out []match[T]
	seen := map[string]bool{}
	for _, y := range yours {
		k := key(y)
		seen[k] = true
		b, t := find(base, k), find(theirs, k)
		switch {
		case b != nil && t == nil:
			if sig(*b) == sig(y) {
				continue // removed meanwhile, untouched here: stays removed
			}
			m.Notes = append(m.Notes, fmt.Sprintf("%s %s was removed meanwhile, but you changed it: it is kept with your changes; remove it again if it should go.", kind, quoted(k)))
			out = append(out, match[T]{out: y})
		case b == nil && t != nil:
			if sig(*t) != sig(y) {
				m.Notes = append(m.Notes, fmt.Sprintf("%s %s was also added meanwhile, differently: yours is kept.", kind, quoted(k)))
			}
			out = append(out, match[T]{out: y})
		default:
			out = append(out, match[T]{base: b, theirs: t, out: y})
		}
	}
	for i, t := range theirs {
		k := key(t)
		if seen[k] {
			continue
		}
		b := find(base, k)
		if b != nil && sig(*b) == sig(t) {
			continue // the admin removed it and nobody changed it
		}
		if b != nil {
			m.Notes = append(m.Notes, fmt.Sprintf("%s %s: you removed it, but it was changed meanwhile: it is back with that change; remove it again if it should go.", kind, quoted(k)))
		}
		out = slices.Insert(out, min(i, len(out)), match[T]{out: t})
	}
	return out
}

// defaultKey is the key of an option's default choice ("" for none).
func defaultKey(o *optionForm) string {
	for _, c := range o.Choices {
		if c.Default {
			return c.Key
		}
	}
	return ""
}

// mergeProfileForms merges the admin's form (yours) with the profile's
// base and head versions; yours is changed in place.
func mergeProfileForms(base, theirs, yours *profileForm) *merger {
	m := &merger{Errors: map[string]string{}}
	m.fields(profileFields(base), profileFields(theirs), profileFields(yours))
	opts := mergeList(m, "Option", base.Options, theirs.Options, yours.Options,
		func(o optionForm) string { return o.Key }, optionSig)
	yours.Options = nil
	for i, om := range opts {
		o := om.out
		if om.base != nil && om.theirs != nil {
			pre := fmt.Sprintf("opt.%d.", i)
			where := "Option " + quoted(o.Key) + ": "
			m.fields(optionFields(pre, where, om.base), optionFields(pre, where, om.theirs), optionFields(pre, where, &o))
			chs := mergeList(m, "Choice", om.base.Choices, om.theirs.Choices, o.Choices,
				func(c choiceForm) string { return c.Key }, choiceSig)
			o.Choices = nil
			for j, cm := range chs {
				c := cm.out
				if cm.base != nil && cm.theirs != nil {
					cp := fmt.Sprintf("%schoice.%d.", pre, j)
					cw := where + "choice " + quoted(c.Key) + ": "
					m.fields(choiceFields(cp, cw, cm.base), choiceFields(cp, cw, cm.theirs), choiceFields(cp, cw, &c))
				}
				o.Choices = append(o.Choices, c)
			}
			// The default choice is one field of the option (one radio).
			b, t, y := defaultKey(om.base), defaultKey(om.theirs), defaultKey(&o)
			def := strField(pre+"default", where+"Default choice", &y)
			m.fields([]field{strField("", "", &b)}, []field{strField("", "", &t)}, []field{def})
			for j := range o.Choices {
				o.Choices[j].Default = o.Choices[j].Key == y
			}
		}
		yours.Options = append(yours.Options, o)
	}
	return m
}

package edit

import (
	"slices"
	"strings"

	"github.com/jupyterhub/hubprofiles/model"
	"github.com/jupyterhub/hubprofiles/ordered"
)

// Copies of operator-set values. Most new profiles and choices are copies
// of existing ones with another image or size (issue 13), and they carry
// settings editors may not write: init containers, volume mounts, a
// command. A value that is, byte for byte, one the list already holds at
// another place gives the pods of this place nothing an operator has not
// already given someone in this hub, as long as no more people can pick
// this place than could pick that one. So such a copy is not refused
// (siteBoundary), whether it came from a duplicate, a copied setting or a
// pasted document: the boundary judges values, not how they were written.
//
// A list of named objects (init_containers, volume_mounts, volumes,
// extra_containers: Kubernetes objects with a "name") may also be put
// together from items the list already holds, each copied whole: an editor
// can drop one init container or copy one from another choice. Lists of
// anything else (a command's arguments, tolerations) are copied whole only:
// their items mean something only together.
//
// A free-text field's strings mean something else than a choice's
// (KubeSpawner fills {value} in them with the user's text: a literal
// "{value}" in a choice's command would become an injection point), so
// copies go between free-text fields only, or between other places only.
// Where a copy would meet other settings than at its source, it is judged
// there too: a copied value is approved only where the volumes its
// containers can mount by name (the profile's and the place's own) are
// the source's.

// approvedValue is one kubespawner_override value of the list before an
// edit, with the allowed_groups a user had to pass to pick its place.
type approvedValue struct {
	key     string
	value   any
	gates   []any
	volumes []any // the profile's volumes, the place's
	// freeText: the place is a free-text field, where KubeSpawner fills
	// {value} in every string with what the user typed.
	freeText bool
}

type library []approvedValue

// approvedValues collects every kubespawner_override value of list.
func approvedValues(list []any) library {
	var lib library
	var profile volumeContext
	eachPlace(list, list, func(at string, _, ov any, gates []gate) {
		m, _ := ov.(*ordered.Map)
		vols := profile.at(at, m)
		for _, k := range m.Keys() {
			v, _ := m.Get(k)
			lib = append(lib, approvedValue{key: k, value: v, gates: gateValues(gates), volumes: vols, freeText: isFreeText(at)})
		}
	})
	return lib
}

// volumeContext follows eachPlace through a list, which visits a
// profile's own override before its choices', to tell the volumes a
// place's containers can mount: the profile's and the place's.
type volumeContext struct{ profile any }

func (vc *volumeContext) at(at string, ov *ordered.Map) []any {
	own := field(ov, "volumes")
	if !strings.Contains(at, "/profile_options/") {
		vc.profile = own
	}
	return []any{vc.profile, own}
}

func gateValues(gates []gate) []any {
	var vs []any
	for _, g := range gates {
		vs = append(vs, g.cur)
	}
	return vs
}

// at is the approval test for one place of the edited list: its gates and
// its volumes as they are after the edit.
func (lib library) at(at string, gates []gate, volumes []any) func(key string, v any) bool {
	dest, freeText := gateValues(gates), isFreeText(at)
	return func(key string, v any) bool { return lib.covers(key, v, dest, volumes, freeText) }
}

// isFreeText says whether the override at a place is a free-text field's.
func isFreeText(at string) bool {
	return strings.HasSuffix(at, "/unlisted_choice/kubespawner_override")
}

// covers says whether v, the value of key at a place reached through the
// gates dest with the given volumes, is a copy of approved values: whole,
// or item by item for a list of named objects.
func (lib library) covers(key string, v any, dest, volumes []any, freeText bool) bool {
	from := func(e approvedValue) bool {
		return e.key == key && e.freeText == freeText && narrower(dest, e.gates) && (key == "volumes" || ordered.Equal(e.volumes, volumes))
	}
	for _, e := range lib {
		if from(e) && ordered.Equal(e.value, v) {
			return true
		}
	}
	items, ok := v.([]any)
	if !ok || len(items) == 0 {
		return false
	}
	for _, item := range items {
		if model.ItemName(item) == "" || !slices.ContainsFunc(lib, func(e approvedValue) bool {
			list, _ := e.value.([]any)
			return from(e) && slices.ContainsFunc(list, func(x any) bool { return ordered.Equal(x, item) })
		}) {
			return false
		}
	}
	return true
}

// narrower says whether everyone who passes the gates dest also passes the
// gates src: each allowed_groups of src has, among dest's, a non-empty list
// of groups all in it (an empty list hides a place from everyone under
// some filters and from no one under others, so it proves nothing). A gate
// that is absent lets everyone through.
func narrower(dest, src []any) bool {
	for _, s := range src {
		if s == nil {
			continue
		}
		sg, ok := s.([]any)
		if !ok {
			if !slices.ContainsFunc(dest, func(d any) bool { return ordered.Equal(d, s) }) {
				return false
			}
			continue
		}
		if !slices.ContainsFunc(dest, func(d any) bool {
			dg, ok := d.([]any)
			return ok && len(dg) > 0 && !slices.ContainsFunc(dg, func(g any) bool {
				return !slices.ContainsFunc(sg, func(x any) bool { return ordered.Equal(x, g) })
			})
		}) {
			return false
		}
	}
	return true
}

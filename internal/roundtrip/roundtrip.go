// Package roundtrip says, for tests, what a profile list may look like after
// a trip through hubprofiles (import, then render): the normalisations of
// DESIGN.md section 3, and nothing else.
package roundtrip

import (
	"github.com/jupyterhub/hubprofiles/ordered"
	"github.com/jupyterhub/hubprofiles/slug"
)

// Normalized applies to a copy of a source list the only changes a round
// trip through hubprofiles may make (DESIGN.md section 3): a missing slug
// becomes the one KubeSpawner generates, default: false is dropped, and a
// missing choices becomes {}.
func Normalized(src any) any {
	list := ordered.Clone(src).([]any)
	for _, item := range list {
		p := item.(*ordered.Map)
		if !p.Has("slug") {
			name, _ := p.Get("display_name")
			p.Set("slug", slug.Make(name.(string)))
		}
		dropFalseDefault(p)
		opts, _ := p.Get("profile_options")
		om, _ := opts.(*ordered.Map)
		for _, k := range om.Keys() {
			o, _ := om.Get(k)
			oo := o.(*ordered.Map)
			if !oo.Has("choices") {
				oo.Set("choices", ordered.NewMap())
			}
			cs, _ := oo.Get("choices")
			cm := cs.(*ordered.Map)
			for _, ck := range cm.Keys() {
				ch, _ := cm.Get(ck)
				dropFalseDefault(ch.(*ordered.Map))
			}
		}
	}
	return list
}

func dropFalseDefault(m *ordered.Map) {
	if d, ok := m.Get("default"); ok && d == false {
		m.Delete("default")
	}
}

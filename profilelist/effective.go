package profilelist

import (
	"fmt"
	"sort"
	"strings"

	"github.com/jupyterhub/hubprofiles/model"
	"github.com/jupyterhub/hubprofiles/ordered"
)

// Setting is one effective value and where it comes from.
type Setting struct {
	Value string `json:"value"`
	From  string `json:"from"` // "hub default", "profile", `choice "x" of option "y"`, or "" (KubeSpawner's base config)
}

// Effective is what a user who picks a profile (and a choice) gets.
type Effective struct {
	Profile      string  `json:"profile"` // display name
	Slug         string  `json:"slug"`
	Option       string  `json:"option,omitempty"` // the option whose choice this row varies; "" for the defaults
	Choice       string  `json:"choice,omitempty"`
	Image        Setting `json:"image"`
	Interface    Setting `json:"default_url"`
	MemGuarantee Setting `json:"mem_guarantee"`
	MemLimit     Setting `json:"mem_limit"`
	CPUGuarantee Setting `json:"cpu_guarantee"`
	CPULimit     Setting `json:"cpu_limit"`
	NodeSelector Setting `json:"node_selector"`
}

// EffectiveSettings works out, for each profile of a rendered list, what a
// user gets with every option at its default choice, and then for each
// choice of each option (the others at their defaults), in the order
// KubeSpawner applies things: the hub defaults first (the hub-side module's
// pre-spawn hook), then the profile's kubespawner_override, then each
// option's choice. Dict values such as node_selector merge; others replace.
func EffectiveSettings(list []any, d model.Defaults, c *model.Catalog) []Effective {
	base := ordered.NewMap()
	from := map[string]string{}
	if d.Image != "" {
		if im, ok := c.Image(d.Image); ok {
			base.Set("image", im.Ref)
			from["image"] = "hub default"
		}
	}
	if d.DefaultURL != "" {
		base.Set("default_url", d.DefaultURL)
		from["default_url"] = "hub default"
	}
	var out []Effective
	for _, item := range list {
		p, ok := item.(*ordered.Map)
		if !ok {
			continue
		}
		name, slug := str(p, "display_name"), str(p, "slug")
		profileOv, _ := p.Get("kubespawner_override")
		options := optionsOf(p)
		apply := func(vary, pick string) Effective {
			eff := base.Clone()
			src := copyMap(from)
			layer(eff, src, profileOv, "profile")
			for _, o := range options {
				key := o.defaultKey
				if o.key == vary {
					key = pick
				}
				if ch, ok := o.choices.Get(key); ok {
					chm, _ := ch.(*ordered.Map)
					ov, _ := chm.Get("kubespawner_override")
					layer(eff, src, ov, fmt.Sprintf("choice %q of option %q", key, o.key))
				}
			}
			e := Effective{Profile: name, Slug: slug}
			for _, s := range []struct {
				key string
				dst *Setting
			}{{"image", &e.Image}, {"default_url", &e.Interface}, {"mem_guarantee", &e.MemGuarantee}, {"mem_limit", &e.MemLimit},
				{"cpu_guarantee", &e.CPUGuarantee}, {"cpu_limit", &e.CPULimit}, {"node_selector", &e.NodeSelector}} {
				v, ok := eff.Get(s.key)
				switch {
				case ok && v != nil:
					*s.dst = Setting{Value: display(v), From: src[s.key]}
				case ok && src[s.key] != "" && strings.HasSuffix(s.key, "_limit"):
					// null: KubeSpawner sets no limit at all (not the hub's).
					*s.dst = Setting{Value: "no limit", From: src[s.key]}
				case ok && src[s.key] != "" && strings.HasSuffix(s.key, "_guarantee"):
					*s.dst = Setting{Value: "none guaranteed", From: src[s.key]}
				}
			}
			return e
		}
		out = append(out, apply("", ""))
		for _, o := range options {
			for _, k := range o.choices.Keys() {
				if k == o.defaultKey {
					continue
				}
				e := apply(o.key, k)
				e.Option, e.Choice = o.key, k
				out = append(out, e)
			}
		}
	}
	return out
}

type optionInfo struct {
	key        string
	choices    *ordered.Map
	defaultKey string // the choice KubeSpawner uses when none is picked
}

func optionsOf(p *ordered.Map) []optionInfo {
	raw, _ := p.Get("profile_options")
	om, _ := raw.(*ordered.Map)
	var out []optionInfo
	for _, k := range om.Keys() {
		v, _ := om.Get(k)
		o, _ := v.(*ordered.Map)
		cv, _ := o.Get("choices")
		cm, _ := cv.(*ordered.Map)
		info := optionInfo{key: k, choices: cm}
		for _, ck := range cm.Keys() {
			ch, _ := cm.Get(ck)
			if chm, ok := ch.(*ordered.Map); ok && truthy(mustGet(chm, "default")) {
				info.defaultKey = ck
				break
			}
		}
		if info.defaultKey == "" && cm.Len() > 0 {
			info.defaultKey = cm.Keys()[0]
		}
		out = append(out, info)
	}
	return out
}

func mustGet(m *ordered.Map, k string) any {
	v, _ := m.Get(k)
	return v
}

// layer applies one kubespawner_override the way KubeSpawner does: dicts
// merge key by key (null deletes), everything else replaces.
func layer(eff *ordered.Map, src map[string]string, ov any, from string) {
	m, ok := ov.(*ordered.Map)
	if !ok {
		return
	}
	for _, k := range m.Keys() {
		v, _ := m.Get(k)
		cur, _ := eff.Get(k)
		cm, curIsMap := cur.(*ordered.Map)
		vm, vIsMap := v.(*ordered.Map)
		if curIsMap && vIsMap {
			merged := cm.Clone()
			for _, kk := range vm.Keys() {
				x, _ := vm.Get(kk)
				if x == nil {
					merged.Delete(kk)
				} else {
					merged.Set(kk, ordered.Clone(x))
				}
			}
			eff.Set(k, merged)
			if src[k] == "" {
				src[k] = from
			} else {
				src[k] += " + " + from
			}
			continue
		}
		eff.Set(k, ordered.Clone(v))
		src[k] = from
	}
}

func copyMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func str(m *ordered.Map, k string) string {
	v, _ := m.Get(k)
	s, _ := v.(string)
	return s
}

// display writes a value for a person: strings as they are, selectors as
// key=value pairs, anything else as JSON.
func display(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case *ordered.Map:
		var parts []string
		for _, k := range t.Keys() {
			x, _ := t.Get(k)
			parts = append(parts, k+"="+display(x))
		}
		sort.Strings(parts)
		return strings.Join(parts, ", ")
	}
	b, err := ordered.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

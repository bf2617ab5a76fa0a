package profilelist

import (
	"github.com/jupyterhub/hubprofiles/kubespawner"
	"github.com/jupyterhub/hubprofiles/model"
	"github.com/jupyterhub/hubprofiles/ordered"
)

// liftSettings takes the typed settings (sizes, a GPU, environment) out of
// what override left raw, where the typed field renders the same value:
// sizes that KubeSpawner parses, kept as written; a single extended
// resource with a whole count; an environment of strings only. Anything
// else stays raw. src is the source override: when rendering would write
// its keys in another order, the settings keep that order (OverrideOrder),
// so the served bytes do not change.
func (im *importer) liftSettings(src *ordered.Map, image, nodeGroup, defaultURL string, rest *ordered.Map) (model.Settings, *ordered.Map) {
	var s model.Settings
	if rest == nil {
		return s, nil
	}
	rest = rest.Clone()
	take := func(k string, ok func(any) bool) model.Quantity {
		v, has := rest.Get(k)
		q, isQ := model.QuantityOf(v)
		if !has || !isQ || !ok(v) {
			return model.Quantity{}
		}
		rest.Delete(k)
		return q
	}
	isBytes := func(v any) bool { n, err := kubespawner.ParseBytes(v); return err == nil && n >= 0 }
	isCPU := func(v any) bool { n, err := kubespawner.ParseCPU(v); return err == nil && n >= 0 }
	s.MemGuarantee = take("mem_guarantee", isBytes)
	s.MemLimit = take("mem_limit", isBytes)
	s.CPUGuarantee = take("cpu_guarantee", isCPU)
	s.CPULimit = take("cpu_limit", isCPU)
	if v, ok := rest.Get("extra_resource_limits"); ok {
		if g, ok := model.GPUFrom(v); ok {
			s.GPU = g
			rest.Delete("extra_resource_limits")
		}
	}
	if v, ok := rest.Get("environment"); ok {
		if env, ok := model.EnvironmentFrom(v); ok {
			s.Environment = env
			rest.Delete("environment")
		}
	}
	if rendered, err := renderOverride(im.c, image, nodeGroup, defaultURL, &s, rest); err == nil && rendered != nil {
		if !sameKeys(rendered.Keys(), src.Keys()) {
			s.OverrideOrder = append([]string(nil), src.Keys()...)
		}
	}
	return s, rest
}

func sameKeys(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// renderSettings writes the typed settings into out, skipping keys already
// written (the image, the interface and the node group come first).
func renderSettings(out *ordered.Map, s *model.Settings) {
	vals := s.Values()
	for _, k := range vals.Keys() {
		if !out.Has(k) {
			v, _ := vals.Get(k)
			out.Set(k, v)
		}
	}
}

// inOrder rewrites m with the keys order names first, in that order, then
// the others as they were.
func inOrder(m *ordered.Map, order []string) *ordered.Map {
	if len(order) == 0 || m == nil {
		return m
	}
	out := ordered.NewMap()
	for _, k := range order {
		if v, ok := m.Get(k); ok && !out.Has(k) {
			out.Set(k, v)
		}
	}
	for _, k := range m.Keys() {
		if !out.Has(k) {
			v, _ := m.Get(k)
			out.Set(k, v)
		}
	}
	return out
}

// settingPath is the typed field a rendered override key (and what is
// below it) came from, or "" when the key is raw.
func settingPath(s *model.Settings, rest []string) string {
	if len(rest) == 0 || !s.Values().Has(rest[0]) {
		return ""
	}
	switch rest[0] {
	case "extra_resource_limits":
		return "/gpu"
	case "environment":
		return joinPointer(rest)
	}
	return "/" + rest[0]
}

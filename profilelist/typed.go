package profilelist

import (
	"github.com/jupyterhub/hubprofiles/kubespawner"
	"github.com/jupyterhub/hubprofiles/model"
	"github.com/jupyterhub/hubprofiles/ordered"
)

// liftSettings takes the typed settings (sizes, a GPU, environment, a node
// selector, the pull policy and working directory) out of what override
// left raw (see SplitSettings); anything else stays raw. src is the source
// override: when rendering would write
// its keys in another order, the settings keep that order (OverrideOrder),
// so the served bytes do not change.
func (im *importer) liftSettings(src *ordered.Map, image, nodeGroup, defaultURL string, rest *ordered.Map) (model.Settings, *ordered.Map) {
	if rest == nil {
		return model.Settings{}, nil
	}
	s, rest := SplitSettings(rest)
	if rest.Len() == 0 && src.Len() > 0 {
		rest = nil // every key is typed: no raw override left to show
	}
	if rendered, err := renderOverride(im.c, image, nodeGroup, defaultURL, &s, rest); err == nil && rendered != nil {
		if !sameKeys(rendered.Keys(), src.Keys()) {
			s.OverrideOrder = append([]string(nil), src.Keys()...)
		}
	}
	return s, rest
}

// SplitSettings takes the typed settings out of a kubespawner_override
// where the typed field renders the same value: sizes KubeSpawner parses,
// kept as written; a single extended resource with a whole count; an
// environment of strings only. It returns them and a copy of the rest
// (nil stays nil).
func SplitSettings(ov *ordered.Map) (model.Settings, *ordered.Map) {
	var s model.Settings
	if ov == nil {
		return s, nil
	}
	rest := ov.Clone()
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
	// null: "no limit here", whatever the hub-wide limit is.
	if v, ok := rest.Get("mem_limit"); ok && v == nil {
		s.NoMemLimit = true
		rest.Delete("mem_limit")
	}
	if v, ok := rest.Get("cpu_limit"); ok && v == nil {
		s.NoCPULimit = true
		rest.Delete("cpu_limit")
	}
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
	// A node_selector a node group did not take (see importer.override) is
	// typed data of its own: an empty map or null stays raw.
	if v, ok := rest.Get("node_selector"); ok {
		if sel, ok := model.StringMapFrom(v); ok && sel.Len() > 0 {
			s.NodeSelector = sel
			rest.Delete("node_selector")
		}
	}
	// Strings only: null (KubeSpawner's "unset") stays raw, and so does a
	// policy KubeSpawner would refuse, for Validate to report as written.
	if v, ok := rest.Get("image_pull_policy"); ok {
		if p, ok := v.(string); ok && (p == "Always" || p == "IfNotPresent" || p == "Never") {
			s.ImagePullPolicy = p
			rest.Delete("image_pull_policy")
		}
	}
	if v, ok := rest.Get("working_dir"); ok {
		if d, ok := v.(string); ok && d != "" {
			s.WorkingDir = d
			rest.Delete("working_dir")
		}
	}
	return s, rest
}

// JoinSettings is a kubespawner_override with the typed settings written
// in, as Render writes them (for editors that show one JSON object).
func JoinSettings(s *model.Settings, ov *ordered.Map) *ordered.Map {
	if s.IsZero() {
		return inOrder(ov.Clone(), s.OverrideOrder)
	}
	out := ordered.NewMap()
	renderSettings(out, s)
	for _, k := range ov.Keys() {
		if !out.Has(k) {
			v, _ := ov.Get(k)
			out.Set(k, ordered.Clone(v))
		}
	}
	return inOrder(out, s.OverrideOrder)
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
	case "environment", "node_selector":
		return joinPointer(rest)
	case "mem_limit", "cpu_limit":
		if v, _ := s.Values().Get(rest[0]); v == nil {
			return "/no_" + rest[0]
		}
	}
	return "/" + rest[0]
}

// The keys KubeSpawner ignores that other tools read and the model types
// (allowed_teams, a choice's slug, dynamic_image_building) are shown to
// editors that edit one JSON "extra" object inside it. These join them in
// and split them out again by import's rules, so that a form's save keeps
// them typed.

// JoinProfileExtra is a profile's extra with allowed_teams written in.
func JoinProfileExtra(p *model.Profile) *ordered.Map {
	if p.AllowedTeams == nil {
		return p.Extra
	}
	return withKey(p.Extra, "allowed_teams", stringList(p.AllowedTeams))
}

// SplitProfileExtra takes allowed_teams (a list of strings) out of extra.
func SplitProfileExtra(extra *ordered.Map) ([]string, *ordered.Map) {
	v, ok := extra.Get("allowed_teams")
	if !ok {
		return nil, extra
	}
	a, ok := v.([]any)
	if !ok {
		return nil, extra
	}
	teams := make([]string, 0, len(a))
	for _, e := range a {
		s, ok := e.(string)
		if !ok {
			return nil, extra
		}
		teams = append(teams, s)
	}
	return teams, without(extra, "allowed_teams")
}

// JoinChoiceExtra is a choice's extra with its slug written in.
func JoinChoiceExtra(ch *model.Choice) *ordered.Map {
	if ch.Slug == "" {
		return ch.Extra
	}
	return withKey(ch.Extra, "slug", ch.Slug)
}

// SplitChoiceExtra takes a string slug out of extra.
func SplitChoiceExtra(extra *ordered.Map) (string, *ordered.Map) {
	if v, ok := extra.Get("slug"); ok {
		if s, ok := v.(string); ok && s != "" {
			return s, without(extra, "slug")
		}
	}
	return "", extra
}

// JoinOptionExtra is an option's extra with dynamic_image_building written in.
func JoinOptionExtra(o *model.Option) *ordered.Map {
	if o.DynamicImageBuilding == nil {
		return o.Extra
	}
	return withKey(o.Extra, "dynamic_image_building", ordered.MapOf("enabled", o.DynamicImageBuilding.Enabled))
}

// SplitOptionExtra takes dynamic_image_building out of extra when it is
// exactly {"enabled": bool}; any other shape stays verbatim.
func SplitOptionExtra(extra *ordered.Map) (*model.DynamicImageBuilding, *ordered.Map) {
	if d, ok := DynamicImageBuildingFrom(extra.Get("dynamic_image_building")); ok {
		return d, without(extra, "dynamic_image_building")
	}
	return nil, extra
}

// DynamicImageBuildingFrom reads {"enabled": bool}; ok is false for any
// other value (present is Get's second result).
func DynamicImageBuildingFrom(v any, present bool) (*model.DynamicImageBuilding, bool) {
	m, ok := v.(*ordered.Map)
	if !present || !ok || m.Len() != 1 {
		return nil, false
	}
	b, ok := m.Get("enabled")
	if !ok {
		return nil, false
	}
	e, ok := b.(bool)
	if !ok {
		return nil, false
	}
	return &model.DynamicImageBuilding{Enabled: e}, true
}

// withKey is a copy of m with k set to v, added last when new.
func withKey(m *ordered.Map, k string, v any) *ordered.Map {
	out := ordered.NewMap()
	if m != nil {
		out = m.Clone()
	}
	out.Set(k, v)
	return out
}

// without is a copy of m without k; nil when nothing is left.
func without(m *ordered.Map, k string) *ordered.Map {
	out := m.Clone()
	out.Delete(k)
	if out.Len() == 0 {
		return nil
	}
	return out
}

// liftTemplateImage takes a free-text choice's image (a string, usually a
// {value} template) out of its override; the rest is a copy, nil when the
// image was all there was.
func liftTemplateImage(ov *ordered.Map) (string, *ordered.Map) {
	v, ok := ov.Get("image")
	img, isStr := v.(string)
	if !ok || !isStr || img == "" {
		return "", ov.Clone()
	}
	rest := ov.Clone()
	rest.Delete("image")
	return img, rest
}

// UnlistedOverride is a free-text choice's raw override with its typed
// image template written first.
func UnlistedOverride(u *model.Unlisted) *ordered.Map {
	if u.Image == "" {
		return u.Override
	}
	out := ordered.MapOf("image", u.Image)
	for _, k := range u.Override.Keys() {
		if k != "image" {
			v, _ := u.Override.Get(k)
			out.Set(k, v)
		}
	}
	return out
}

// SplitUnlisted reads a free-text choice's whole override (as editors see
// it) back into the image template, the typed settings and the rest.
func SplitUnlisted(ov *ordered.Map) (string, model.Settings, *ordered.Map) {
	img, rest := liftTemplateImage(ov)
	s, rest := SplitSettings(rest)
	return img, s, rest
}

// JoinUnlistedExtra is a free-text choice's extra with its description
// written in.
func JoinUnlistedExtra(u *model.Unlisted) *ordered.Map {
	if u.Description == "" {
		return u.Extra
	}
	return withKey(u.Extra, "description", u.Description)
}

// SplitUnlistedExtra takes a string description out of extra.
func SplitUnlistedExtra(extra *ordered.Map) (string, *ordered.Map) {
	if v, ok := extra.Get("description"); ok {
		if s, ok := v.(string); ok && s != "" {
			return s, without(extra, "description")
		}
	}
	return "", extra
}

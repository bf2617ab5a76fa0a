package ui

import (
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/jupyterhub/hubprofiles/kubespawner"
	"github.com/jupyterhub/hubprofiles/model"
	"github.com/jupyterhub/hubprofiles/ordered"
	"github.com/jupyterhub/hubprofiles/profilelist"
	"github.com/jupyterhub/hubprofiles/slug"
	"github.com/jupyterhub/hubprofiles/usage"
)

// The profile editor is one form: the profile's fields, then each option
// with its choices and free-text field. Field names are flat and indexed
// (opt.0.choice.2.image), so the form works without JavaScript; buttons
// named "action" add or remove options and choices, or generate sizes,
// by re-rendering the form without saving.

// resources are the typed size fields of a profile or a choice.
type resources struct {
	MemGuarantee, MemLimit, CPUGuarantee, CPULimit, GPU string
}

type choiceForm struct {
	Key, DisplayName, Description string
	Default                       bool
	AllowedGroups                 string
	Image, NodeGroup, DefaultURL  string
	Res                           resources
	Override, Extra               string // JSON objects of everything else
	Locked                        string // JSON of the settings editors may not change
}

type unlistedForm struct {
	Enabled                                           bool
	DisplayName, DisplayNameInChoices, Regex, Message string
	Override, Extra, Locked                           string
}

// unlistedPrefill is the free-text override an option keyed "image" gets
// before the admin writes one: ticking "users may type their own value"
// then does what it says instead of saving an override that ignores the
// typed value. Other keys have no obvious setting: "" (the validator warns
// when an enabled free-text field's override is empty).
func unlistedPrefill(key string) string {
	if key != "image" {
		return ""
	}
	m := ordered.NewMap()
	m.Set("image", "{value}")
	return jsonText(m)
}

// prefillUnlisted fills the free-text override of an option that has no
// free-text field yet.
func (o *optionForm) prefillUnlisted() {
	if !o.HasUnlisted && o.Unlisted.Override == "" {
		o.Unlisted.Override = unlistedPrefill(o.Key)
	}
}

type optionForm struct {
	Key, DisplayName string
	Choices          []choiceForm
	HasUnlisted      bool
	Unlisted         unlistedForm
	Extra            string
}

type profileForm struct {
	New           bool
	OrigSlug      string
	Base          int64
	Slug          string
	DisplayName   string
	Description   string
	Default       bool
	AllowedGroups string
	Image         string
	NodeGroup     string
	DefaultURL    string
	Res           resources
	Override      string
	Extra         string
	Locked        string
	Options       []optionForm

	// For the selects and the size generator.
	Images     []model.Image
	NodeGroups []model.NodeGroup
	// CopySources are the places of the head with settings of the
	// operators', which a place of the form can copy (copy-locked).
	CopySources []copySource
	SizeGroup   string
	SizeCount   string
	// Quick setup: the images and node groups the profile offers.
	OfferImages []string
	OfferGroups []string
	// Usage is who uses the profile and each choice (by the saved slug
	// and keys).
	Usage *usage.Report

	Errors   map[string]string
	Form     string
	Changes  []ordered.Change // a stale edit: what others changed meanwhile
	Summary  []string         // the same, in words
	Warnings []model.Finding
	// A stale edit merged over the head (merge.go): the admin's own
	// changes, the fields both changed, and options or choices kept.
	Pending   []fieldChange
	Conflicts []fieldChange
	Notes     []string
}

const gpuResource = "nvidia.com/gpu"

// typedKeys are the override keys the form shows as fields of their own.
var typedKeys = []string{"mem_guarantee", "mem_limit", "cpu_guarantee", "cpu_limit"}

func takeResources(ov *ordered.Map) (resources, *ordered.Map) {
	rest := ov.Clone()
	if rest == nil {
		rest = ordered.NewMap()
	}
	var r resources
	dst := []*string{&r.MemGuarantee, &r.MemLimit, &r.CPUGuarantee, &r.CPULimit}
	for i, k := range typedKeys {
		v, ok := rest.Get(k)
		if !ok {
			continue
		}
		switch t := v.(type) {
		case string:
			*dst[i] = t
		case json.Number:
			*dst[i] = string(t)
		default:
			continue // null and oddities stay in the JSON
		}
		rest.Delete(k)
	}
	if erl, ok := rest.Get("extra_resource_limits"); ok {
		if m, ok := erl.(*ordered.Map); ok && m.Len() == 1 {
			if n, ok := m.Get(gpuResource); ok {
				if s, ok := n.(string); ok {
					r.GPU = s
					rest.Delete("extra_resource_limits")
				}
			}
		}
	}
	return r, rest
}

func jsonText(m *ordered.Map) string {
	if m.Len() == 0 {
		return ""
	}
	b, err := ordered.MarshalIndent(m, "  ")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// splitLocked separates the override settings editors may not change
// (policy.editorOverrides: an operator imported them) from the rest. The
// form shows them read-only and sends them back unchanged in a hidden
// field; package edit refuses any change to them, whatever is posted.
func splitLocked(ov *ordered.Map, may func(trait string) bool) (rest *ordered.Map, locked string) {
	if ov == nil {
		return nil, ""
	}
	rest, lk := ordered.NewMap(), ordered.NewMap()
	for _, k := range ov.Keys() {
		v, _ := ov.Get(k)
		if may(k) {
			rest.Set(k, v)
		} else {
			lk.Set(k, v)
		}
	}
	return rest, jsonText(lk)
}

// profileToForm fills the form from a profile; may says which override
// settings editors may change (the others are shown read-only).
func profileToForm(p *model.Profile, may func(trait string) bool) profileForm {
	f := profileForm{OrigSlug: p.Slug, Slug: p.Slug, DisplayName: p.DisplayName, Description: p.Description,
		Default: p.Default, AllowedGroups: strings.Join(p.AllowedGroups, ", "), Image: p.Image, NodeGroup: p.NodeGroup,
		DefaultURL: p.DefaultURL, Extra: jsonText(profilelist.JoinProfileExtra(p))}
	ov, locked := splitLocked(profilelist.JoinSettings(&p.Settings, p.Override), may)
	f.Locked = locked
	var rest *ordered.Map
	f.Res, rest = takeResources(ov)
	f.Override = jsonText(rest)
	for _, o := range p.Options {
		of := optionForm{Key: o.Key, DisplayName: o.DisplayName, Extra: jsonText(profilelist.JoinOptionExtra(&o))}
		for _, ch := range o.Choices {
			cf := choiceForm{Key: ch.Key, DisplayName: ch.DisplayName, Description: ch.Description, Default: ch.Default,
				AllowedGroups: strings.Join(ch.AllowedGroups, ", "), Image: ch.Image, NodeGroup: ch.NodeGroup, DefaultURL: ch.DefaultURL,
				Extra: jsonText(profilelist.JoinChoiceExtra(&ch))}
			ov, locked := splitLocked(profilelist.JoinSettings(&ch.Settings, ch.Override), may)
			cf.Locked = locked
			var rest *ordered.Map
			cf.Res, rest = takeResources(ov)
			cf.Override = jsonText(rest)
			of.Choices = append(of.Choices, cf)
		}
		if u := o.Unlisted; u != nil {
			of.HasUnlisted = true
			ov, locked := splitLocked(profilelist.JoinSettings(&u.Settings, profilelist.UnlistedOverride(u)), may)
			of.Unlisted = unlistedForm{Enabled: u.Enabled, DisplayName: u.DisplayName, DisplayNameInChoices: u.DisplayNameInChoices,
				Regex: u.ValidationRegex, Message: u.ValidationMessage, Override: jsonText(ov), Extra: jsonText(profilelist.JoinUnlistedExtra(u)), Locked: locked}
		}
		of.prefillUnlisted()
		f.Options = append(f.Options, of)
	}
	f.OfferImages, f.OfferGroups = p.Offers()
	return f
}

var optionField = regexp.MustCompile(`^opt\.(\d+)\.`)
var choiceField = regexp.MustCompile(`^opt\.(\d+)\.choice\.(\d+)\.`)

// formToProfileForm reads the posted form back into a profileForm.
func formToProfileForm(v url.Values) profileForm {
	g := func(k string) string { return strings.TrimSpace(v.Get(k)) }
	f := profileForm{Slug: g("slug"), DisplayName: g("display_name"), Description: g("description"), Default: v.Get("default") == "on",
		AllowedGroups: g("allowed_groups"), Image: g("image"), NodeGroup: g("node_group"), DefaultURL: g("default_url"),
		Override: g("override"), Extra: g("extra"), Locked: g("locked"), Res: readResources(g, ""), SizeGroup: g("size_group"), SizeCount: g("size_count"),
		OfferImages: v["offer_image"], OfferGroups: v["offer_group"]}
	nOpts, nChoices := 0, map[int]int{}
	for k := range v {
		if m := optionField.FindStringSubmatch(k); m != nil {
			i, _ := strconv.Atoi(m[1])
			nOpts = max(nOpts, i+1)
		}
		if m := choiceField.FindStringSubmatch(k); m != nil {
			i, _ := strconv.Atoi(m[1])
			j, _ := strconv.Atoi(m[2])
			nChoices[i] = max(nChoices[i], j+1)
		}
	}
	nOpts = min(nOpts, 100)
	for i := 0; i < nOpts; i++ {
		p := fmt.Sprintf("opt.%d.", i)
		o := optionForm{Key: g(p + "key"), DisplayName: g(p + "display_name"), Extra: g(p + "extra")}
		o.Unlisted = unlistedForm{Enabled: v.Get(p+"unlisted.enabled") == "on", DisplayName: g(p + "unlisted.display_name"),
			DisplayNameInChoices: g(p + "unlisted.display_name_in_choices"), Regex: v.Get(p + "unlisted.regex"),
			Message: g(p + "unlisted.message"), Override: g(p + "unlisted.override"), Extra: g(p + "unlisted.extra"),
			Locked: g(p + "unlisted.locked")}
		u := o.Unlisted
		// The prefilled override alone is not a free-text field the admin
		// asked for, unless the profile had one (unlisted.present); emptying
		// every field still removes it.
		prefilled := u.Override == unlistedPrefill(o.Key) && v.Get(p+"unlisted.present") != "on"
		o.HasUnlisted = u.Enabled || u.DisplayName != "" || u.DisplayNameInChoices != "" || strings.TrimSpace(u.Regex) != "" ||
			u.Message != "" || (u.Override != "" && !prefilled) || u.Extra != "" || u.Locked != ""
		o.prefillUnlisted()
		def := v.Get(p + "default")
		for j := 0; j < min(nChoices[i], 200); j++ {
			cp := fmt.Sprintf("%schoice.%d.", p, j)
			o.Choices = append(o.Choices, choiceForm{Key: g(cp + "key"), DisplayName: g(cp + "display_name"), Description: g(cp + "description"),
				Default: def == strconv.Itoa(j), AllowedGroups: g(cp + "allowed_groups"), Image: g(cp + "image"), NodeGroup: g(cp + "node_group"),
				DefaultURL: g(cp + "default_url"),
				Res:        readResources(g, cp), Override: g(cp + "override"), Extra: g(cp + "extra"), Locked: g(cp + "locked")})
		}
		f.Options = append(f.Options, o)
	}
	return f
}

func readResources(g func(string) string, p string) resources {
	return resources{MemGuarantee: g(p + "mem_guarantee"), MemLimit: g(p + "mem_limit"),
		CPUGuarantee: g(p + "cpu_guarantee"), CPULimit: g(p + "cpu_limit"), GPU: g(p + "gpu")}
}

// toProfile builds the model profile; what cannot be read goes into errs
// under the field's name.
func (f *profileForm) toProfile(errs map[string]string) model.Profile {
	if f.Slug == "" {
		// As KubeSpawner does for a profile without one (and import):
		// the slug of the name users see.
		f.Slug = slug.Make(f.DisplayName)
	}
	p := model.Profile{Slug: f.Slug, DisplayName: f.DisplayName, Description: f.Description, Default: f.Default,
		AllowedGroups: groups(f.AllowedGroups), Image: f.Image, NodeGroup: f.NodeGroup, DefaultURL: f.DefaultURL}
	if f.Slug == "" {
		errs["slug"] = "a profile needs a slug (lowercase letters, digits and hyphens, e.g. gpu-small) or a name to make one from"
	}
	p.Settings, p.Override = splitSettings(withLocked(buildOverride(f.Res, f.Override, "", errs), f.Locked, "", errs))
	p.AllowedTeams, p.Extra = profilelist.SplitProfileExtra(parseObject(f.Extra, "extra", errs))
	for i, of := range f.Options {
		pre := fmt.Sprintf("opt.%d.", i)
		o := model.Option{Key: of.Key, DisplayName: of.DisplayName, Choices: []model.Choice{}}
		o.DynamicImageBuilding, o.Extra = profilelist.SplitOptionExtra(parseObject(of.Extra, pre+"extra", errs))
		if of.Key == "" {
			errs[pre+"key"] = "an option needs a key, e.g. image"
		}
		for j, cf := range of.Choices {
			cp := fmt.Sprintf("%schoice.%d.", pre, j)
			if cf.Key == "" {
				errs[cp+"key"] = "a choice needs a key"
			}
			ch := model.Choice{Key: cf.Key, DisplayName: cf.DisplayName, Description: cf.Description,
				Default: cf.Default, AllowedGroups: groups(cf.AllowedGroups), Image: cf.Image, NodeGroup: cf.NodeGroup, DefaultURL: cf.DefaultURL}
			ch.Slug, ch.Extra = profilelist.SplitChoiceExtra(parseObject(cf.Extra, cp+"extra", errs))
			ch.Settings, ch.Override = splitSettings(withLocked(buildOverride(cf.Res, cf.Override, cp, errs), cf.Locked, cp, errs))
			o.Choices = append(o.Choices, ch)
		}
		if of.HasUnlisted {
			u := of.Unlisted
			o.Unlisted = &model.Unlisted{Enabled: u.Enabled, DisplayName: u.DisplayName, DisplayNameInChoices: u.DisplayNameInChoices,
				ValidationRegex: u.Regex, ValidationMessage: u.Message}
			o.Unlisted.Description, o.Unlisted.Extra = profilelist.SplitUnlistedExtra(parseObject(u.Extra, pre+"unlisted.extra", errs))
			o.Unlisted.Image, o.Unlisted.Settings, o.Unlisted.Override = splitUnlisted(withLocked(parseObject(u.Override, pre+"unlisted.override", errs), u.Locked, pre+"unlisted.", errs))
			if o.Unlisted.Override == nil && u.Enabled && o.Unlisted.Image == "" {
				o.Unlisted.Override = ordered.NewMap()
			}
		}
		p.Options = append(p.Options, o)
	}
	return p
}

// splitSettings writes the sizes, GPU and environment the form read into
// the profile's typed fields, as import does; the rest stays JSON.
func splitSettings(ov *ordered.Map) (model.Settings, *ordered.Map) {
	s, rest := profilelist.SplitSettings(ov)
	if rest.Len() == 0 && !s.IsZero() {
		rest = nil
	}
	return s, rest
}

// splitUnlisted is splitSettings for a free-text choice, whose image
// template is typed too.
func splitUnlisted(ov *ordered.Map) (string, model.Settings, *ordered.Map) {
	img, s, rest := profilelist.SplitUnlisted(ov)
	if rest.Len() == 0 && (img != "" || !s.IsZero()) {
		rest = nil
	}
	return img, s, rest
}

func groups(s string) []string {
	var out []string
	for _, g := range strings.Split(s, ",") {
		if g = strings.TrimSpace(g); g != "" {
			out = append(out, g)
		}
	}
	return out
}

// parseObject reads a JSON object typed into a textarea ("" is none).
func parseObject(s, field string, errs map[string]string) *ordered.Map {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	v, err := ordered.DecodeJSON([]byte(s), 32)
	if err != nil {
		errs[field] = "not valid JSON: " + err.Error()
		return nil
	}
	m, ok := v.(*ordered.Map)
	if !ok {
		errs[field] = "must be a JSON object, like {\"key\": \"value\"}"
		return nil
	}
	return m
}

// withLocked puts back the read-only settings the form carried (after the
// editable ones).
func withLocked(ov *ordered.Map, locked, pre string, errs map[string]string) *ordered.Map {
	lk := parseObject(locked, pre+"override", errs)
	if lk.Len() == 0 {
		return ov
	}
	if ov == nil {
		ov = ordered.NewMap()
	}
	for _, k := range lk.Keys() {
		if ov.Has(k) {
			errs[pre+"override"] = fmt.Sprintf("%q is an operator's setting, shown read-only below; it cannot also be set here", k)
			continue
		}
		v, _ := lk.Get(k)
		ov.Set(k, v)
	}
	return ov
}

var plainBytes = regexp.MustCompile(`^[0-9]+$`)

// buildOverride puts the typed fields first, then the JSON keys.
func buildOverride(r resources, jsonText, pre string, errs map[string]string) *ordered.Map {
	ov := ordered.NewMap()
	for _, kv := range []struct{ key, val string }{{"mem_guarantee", r.MemGuarantee}, {"mem_limit", r.MemLimit}} {
		switch {
		case kv.val == "":
		case plainBytes.MatchString(kv.val):
			ov.Set(kv.key, json.Number(kv.val))
		default:
			ov.Set(kv.key, kv.val) // KubeSpawner's own syntax; Validate explains a wrong one
		}
	}
	for _, kv := range []struct{ key, val string }{{"cpu_guarantee", r.CPUGuarantee}, {"cpu_limit", r.CPULimit}} {
		if kv.val == "" {
			continue
		}
		f, err := strconv.ParseFloat(kv.val, 64)
		if err != nil || f < 0 || math.IsInf(f, 0) {
			errs[pre+kv.key] = "a number of CPUs, such as 0.5 or 2"
			continue
		}
		ov.Set(kv.key, json.Number(kv.val))
	}
	if r.GPU != "" {
		n, err := strconv.Atoi(r.GPU)
		if err != nil || n < 0 {
			errs[pre+"gpu"] = "a whole number of GPUs"
		} else if n > 0 {
			ov.Set("extra_resource_limits", ordered.MapOf(gpuResource, strconv.Itoa(n)))
		}
	}
	rest := parseObject(jsonText, pre+"override", errs)
	for _, k := range rest.Keys() {
		v, _ := rest.Get(k)
		if ov.Has(k) {
			errs[pre+"override"] = fmt.Sprintf("%q is set both in its own field and here; keep one", k)
			continue
		}
		ov.Set(k, v)
	}
	if ov.Len() == 0 {
		return nil
	}
	return ov
}

// sizeChoices generates n resource choices for a node group: memory halving
// at each step from what a node offers, guarantee = limit, CPU guaranteed in
// proportion with the node's CPUs as the limit. Smallest first. Memory is
// rounded down to what real lists write (whole G from 4G, else multiples of
// 256M), in KubeSpawner's units ("15G"), and labelled as users read it
// ("15 GiB"). Each choice names the node group unless the profile already
// runs on it (setGroup false).
func sizeChoices(ng model.NodeGroup, n int, setGroup bool) []choiceForm {
	var out []choiceForm
	mem, cpu := float64(ng.Allocatable.Memory), ng.Allocatable.CPU
	for k := n - 1; k >= 0; k-- {
		m := roundMemory(int64(mem / math.Pow(2, float64(k))))
		if m == 0 {
			continue // a node too small to halve that often
		}
		c := math.Round(cpu*float64(m)/mem*100) / 100
		q := memoryQuantity(m)
		ch := choiceForm{
			Key:         "mem_" + strings.ToLower(q),
			DisplayName: fmt.Sprintf("%s RAM, up to %g CPUs", kubespawner.FormatBytes(m), cpu),
			Res: resources{MemGuarantee: q, MemLimit: q,
				CPUGuarantee: strconv.FormatFloat(c, 'f', -1, 64), CPULimit: strconv.FormatFloat(cpu, 'f', -1, 64)},
		}
		if setGroup {
			ch.NodeGroup = ng.Slug
		}
		out = append(out, ch)
	}
	if len(out) > 0 {
		out[0].Default = true
	}
	return out
}

// roundMemory rounds a size down to whole GiB from 4 GiB, else to 256 MiB.
func roundMemory(b int64) int64 {
	step := int64(256 << 20)
	if b >= 4<<30 {
		step = 1 << 30
	}
	return b / step * step
}

// memoryQuantity writes bytes as KubeSpawner reads them: "15G", "768M".
func memoryQuantity(b int64) string {
	for _, u := range []struct {
		suffix string
		size   int64
	}{{"T", 1 << 40}, {"G", 1 << 30}, {"M", 1 << 20}, {"K", 1 << 10}} {
		if b >= u.size && b%u.size == 0 {
			return strconv.FormatInt(b/u.size, 10) + u.suffix
		}
	}
	return strconv.FormatInt(b, 10)
}

// nodeOption is the option whose choices send the server to different node
// groups (quick setup's "Node type"), with those groups in order; -1 when
// the profile has none.
func (f *profileForm) nodeOption() (int, []string) {
	for i, o := range f.Options {
		var groups []string
		for _, c := range o.Choices {
			if c.NodeGroup != "" && !slices.Contains(groups, c.NodeGroup) {
				groups = append(groups, c.NodeGroup)
			}
		}
		if len(groups) > 1 {
			return i, groups
		}
	}
	return -1, nil
}

// generateSizes adds the size option the generator makes, fitted to where
// the profile runs: with a node-type option, sizes for each of its node
// groups replace it (KubeSpawner's options are independent drop-downs, so a
// separate size option would send every size to one group); otherwise
// sizes for the node group picked, or the profile's own. What cannot fit is
// refused with the reason, as a message for the size_group field.
func (f *profileForm) generateSizes(cat *model.Catalog, n int) string {
	if n < 1 || n > 8 {
		return "pick a node group with a known memory size, and 1 to 8 sizes"
	}
	known := func(slug string) (*model.NodeGroup, string) {
		ng, ok := cat.NodeGroup(slug)
		if !ok || ng.Allocatable.Memory == 0 {
			return nil, fmt.Sprintf("pick a node group with a known memory size, and 1 to 8 sizes (%q has none in the infrastructure config)", slug)
		}
		return ng, ""
	}
	if i, groups := f.nodeOption(); i >= 0 {
		o := &f.Options[i]
		if f.SizeGroup != "" {
			return fmt.Sprintf("users pick the node type in option %q (%s): sizes for %s alone would send every size there. "+
				"Leave the node group empty to make sizes for each node type; they replace that option", o.Key, strings.Join(groups, ", "), f.SizeGroup)
		}
		var choices []choiceForm
		for _, slug := range groups {
			ng, msg := known(slug)
			if msg != "" {
				return msg
			}
			for _, c := range sizeChoices(*ng, n, true) {
				c.Key = slug + "-" + c.Key
				c.DisplayName += " — " + ng.DisplayName
				c.Default = c.Default && len(choices) == 0
				choices = append(choices, c)
			}
		}
		o.Choices, o.DisplayName = choices, "Node type and size"
		return ""
	}
	slug := f.SizeGroup
	switch {
	case slug == "" && f.NodeGroup == "":
		return "pick a node group with a known memory size, and 1 to 8 sizes"
	case slug == "":
		slug = f.NodeGroup
	case f.NodeGroup != "" && slug != f.NodeGroup:
		return fmt.Sprintf("the profile runs on node group %s: sizes for %s would move every size there. Pick %s (or leave it empty), or change the profile's node group first", f.NodeGroup, slug, f.NodeGroup)
	}
	ng, msg := known(slug)
	if msg != "" {
		return msg
	}
	key := "resources"
	for taken(f.Options, key) {
		key += "_2"
	}
	f.Options = append(f.Options, optionForm{Key: key, DisplayName: "Resource allocation", Choices: sizeChoices(*ng, n, f.NodeGroup == "")})
	return ""
}

// applyOffers is the quick setup: one image (or node group) ticked goes
// into the profile itself; several become an option users choose from. The
// admin sees the result in the form and can edit it before saving.
func (f *profileForm) applyOffers(images []model.Image, groups []model.NodeGroup) {
	imageNames, groupNames := map[string]string{}, map[string]string{}
	for _, im := range images {
		imageNames[im.Slug] = im.DisplayName
	}
	for _, ng := range groups {
		groupNames[ng.Slug] = ng.DisplayName
	}
	f.offer(f.OfferImages, imageNames, &f.Image, "image", "Image", func(c *choiceForm, slug string) { c.Image = slug })
	f.offer(f.OfferGroups, groupNames, &f.NodeGroup, "node", "Node type", func(c *choiceForm, slug string) { c.NodeGroup = slug })
}

// offer applies one kind of quick setup: slugs ticked, their display
// names, the profile's own field, and the option that offers several.
func (f *profileForm) offer(slugs []string, names map[string]string, own *string, key, label string, set func(*choiceForm, string)) {
	switch len(slugs) {
	case 0:
	case 1:
		*own = slugs[0]
		f.removeOption(key)
	default:
		*own = ""
		var choices []choiceForm
		for i, slug := range slugs {
			c := choiceForm{Key: slug, DisplayName: names[slug], Default: i == 0}
			if c.DisplayName == "" {
				c.DisplayName = slug
			}
			set(&c, slug)
			choices = append(choices, c)
		}
		f.setOption(key, label, choices)
	}
}

func (f *profileForm) removeOption(key string) {
	for i, o := range f.Options {
		if o.Key == key {
			f.Options = append(f.Options[:i], f.Options[i+1:]...)
			return
		}
	}
}

// setOption replaces the choices of option key, or adds the option.
func (f *profileForm) setOption(key, label string, choices []choiceForm) {
	for i := range f.Options {
		if f.Options[i].Key == key {
			f.Options[i].Choices = choices
			return
		}
	}
	f.Options = append(f.Options, optionForm{Key: key, DisplayName: label, Choices: choices})
}

// offered says whether slug is in the list (for the checkboxes).
func offered(list []string, slug string) bool {
	for _, s := range list {
		if s == slug {
			return true
		}
	}
	return false
}

var lockedName = regexp.MustCompile(`^opt\.(\d+)\.(?:choice\.(\d+)|unlisted)\.locked$`)

// locked is the form's hidden field of an operator's settings with the
// given name ("locked", "opt.I.choice.J.locked", "opt.I.unlisted.locked"),
// or nil.
func (f *profileForm) locked(name string) *string {
	if name == "locked" {
		return &f.Locked
	}
	m := lockedName.FindStringSubmatch(name)
	if m == nil {
		return nil
	}
	i, _ := strconv.Atoi(m[1])
	if i >= len(f.Options) {
		return nil
	}
	o := &f.Options[i]
	if m[2] == "" {
		return &o.Unlisted.Locked
	}
	j, _ := strconv.Atoi(m[2])
	if j >= len(o.Choices) {
		return nil
	}
	return &o.Choices[j].Locked
}

// lockedObject is the JSON object of a hidden field of operator's
// settings (empty when it is not one).
func lockedObject(locked string) *ordered.Map {
	v, err := ordered.DecodeJSON([]byte(locked), 64)
	m, _ := v.(*ordered.Map)
	if err != nil || m == nil {
		return ordered.NewMap()
	}
	return m
}

// lockedItems names the items of key when it is a list of named objects.
func lockedItems(locked, key string) []string {
	v, _ := lockedObject(locked).Get(key)
	list, _ := v.([]any)
	var names []string
	for _, x := range list {
		n := model.ItemName(x)
		if n == "" {
			return nil
		}
		names = append(names, n)
	}
	if len(names) < 2 {
		return nil // removing the only item is removing the setting
	}
	return names
}

// removeLocked takes key, or only its item of that name, out of a hidden
// field of operator's settings.
func removeLocked(locked, key, item string) string {
	m := lockedObject(locked)
	v, ok := m.Get(key)
	if !ok {
		return locked
	}
	list, _ := v.([]any)
	if i := slices.IndexFunc(list, func(x any) bool { return model.ItemName(x) == item }); item != "" && i >= 0 && len(list) > 1 {
		m.Set(key, slices.Delete(slices.Clone(list), i, i+1))
	} else if item == "" {
		m.Delete(key)
	}
	return jsonText(m)
}

// copySource is a profile, choice or free-text field of the head that has
// settings of the operators', for the form's "Copy operators' settings
// from" list.
type copySource struct{ Value, Label string }

// lockedSources lists the places of c with settings editors may not write.
func lockedSources(c *model.Catalog, may func(trait string) bool) []copySource {
	var out []copySource
	add := func(pl model.Place, ov *ordered.Map) {
		if slices.ContainsFunc(ov.Keys(), func(k string) bool { return !may(k) }) {
			out = append(out, copySource{encodePlace(pl), pl.String()})
		}
	}
	for _, p := range c.Profiles {
		add(model.Place{Profile: p.Slug}, p.Override)
		for _, o := range p.Options {
			for _, ch := range o.Choices {
				add(model.Place{Profile: p.Slug, Option: o.Key, Choice: ch.Key}, ch.Override)
			}
			if o.Unlisted != nil {
				add(model.Place{Profile: p.Slug, Option: o.Key}, o.Unlisted.Override)
			}
		}
	}
	return out
}

func encodePlace(pl model.Place) string {
	return url.PathEscape(pl.Profile) + "/" + url.PathEscape(pl.Option) + "/" + url.PathEscape(pl.Choice)
}

func decodePlace(s string) (model.Place, bool) {
	parts := strings.Split(s, "/")
	if len(parts) != 3 {
		return model.Place{}, false
	}
	for i, p := range parts {
		u, err := url.PathUnescape(p)
		if err != nil {
			return model.Place{}, false
		}
		parts[i] = u
	}
	return model.Place{Profile: parts[0], Option: parts[1], Choice: parts[2]}, parts[0] != ""
}

// copyLocked puts the operators' settings of src (a raw override) into a
// hidden field of operator's settings, replacing the same keys.
func copyLocked(locked string, src *ordered.Map, may func(trait string) bool) string {
	m := lockedObject(locked)
	_, from := splitLocked(src, may)
	add := lockedObject(from)
	for _, k := range add.Keys() {
		v, _ := add.Get(k)
		m.Set(k, v)
	}
	return jsonText(m)
}

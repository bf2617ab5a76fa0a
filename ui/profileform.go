package ui

import (
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/jupyterhub/hubprofiles/model"
	"github.com/jupyterhub/hubprofiles/ordered"
	"github.com/jupyterhub/hubprofiles/profilelist"
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
	SizeGroup  string
	SizeCount  string
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
	p := model.Profile{Slug: f.Slug, DisplayName: f.DisplayName, Description: f.Description, Default: f.Default,
		AllowedGroups: groups(f.AllowedGroups), Image: f.Image, NodeGroup: f.NodeGroup, DefaultURL: f.DefaultURL}
	if f.Slug == "" {
		errs["slug"] = "a profile needs a slug: lowercase letters, digits and hyphens, e.g. gpu-small"
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
// proportion with the node's CPUs as the limit. Smallest first.
func sizeChoices(ng model.NodeGroup, n int) []choiceForm {
	var out []choiceForm
	mem, cpu := float64(ng.Allocatable.Memory), ng.Allocatable.CPU
	for k := n - 1; k >= 0; k-- {
		m := mem / math.Pow(2, float64(k))
		gib := m / (1 << 30)
		c := math.Round(cpu*m/mem*100) / 100
		bytes := strconv.FormatInt(int64(m), 10)
		out = append(out, choiceForm{
			Key:         strings.ReplaceAll(fmt.Sprintf("mem_%.1f", gib), ".", "_"),
			DisplayName: fmt.Sprintf("%.1f GB RAM, up to %g CPUs", gib*1.073741824, cpu),
			NodeGroup:   ng.Slug,
			Res: resources{MemGuarantee: bytes, MemLimit: bytes,
				CPUGuarantee: strconv.FormatFloat(c, 'f', -1, 64), CPULimit: strconv.FormatFloat(cpu, 'f', -1, 64)},
		})
	}
	if len(out) > 0 {
		out[0].Default = true
	}
	return out
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

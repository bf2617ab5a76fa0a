package profilelist

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/jupyterhub/hubprofiles/kubespawner"
	"github.com/jupyterhub/hubprofiles/model"
	"github.com/jupyterhub/hubprofiles/ordered"
	"github.com/jupyterhub/hubprofiles/slug"
)

// Options give Validate what it needs beyond the list itself.
type Options struct {
	// NodeGroups, when given, let Validate check that what a profile
	// guarantees fits on the nodes its node_selector picks.
	NodeGroups []model.NodeGroup
	// Live is the list users have now. Slugs and keys it has that the
	// validated list lacks are reported: users whose saved choice names them
	// fail to respawn.
	Live any
	// ImageProblem, when set, says what is wrong with an image reference
	// (for instance what its registry answered), or "" when nothing is.
	ImageProblem func(ref string) string
	// The infrastructure policy: registries images may come from (empty:
	// any), and bounds on every mem_* (bytes) and cpu_* (cores) value (zero:
	// none). Breaking it is an error.
	AllowedRegistries []string
	MaxMemory         int64
	MaxCPU            float64
}

// Validate checks a profile list against what KubeSpawner 7.x does with it.
// Errors are what makes KubeSpawner fail or misbehave; warnings are what works
// but is inconsistent or likely wrong. Paths are JSON pointers into the list.
func Validate(list any, opts Options) []model.Finding {
	if fs := CheckListLimits(list, model.DefaultLimits); len(fs) > 0 {
		return fs // over the limits: refused before any other (costlier) check
	}
	v := &validator{opts: opts}
	items, ok := list.([]any)
	if !ok {
		v.errorf("", "the profile list must be an array of profiles, not %s", describe(list))
		return v.fs
	}
	slugs := map[string]string{} // slug -> path of the profile that has it first
	var defaults []string
	for i, item := range items {
		p := model.Pointer(i)
		m, ok := item.(*ordered.Map)
		if !ok {
			v.errorf(p, "a profile must be an object, not %s", describe(item))
			continue
		}
		s := v.profile(p, m)
		if s != "" {
			if first, dup := slugs[s]; dup {
				at := p + "/slug"
				if !m.Has("slug") {
					at = p + "/display_name" // the slug KubeSpawner generates from it
				}
				v.errorf(at, "slug %q is also the slug of the profile at %s: choosing either one always starts that first profile", s, first)
			} else {
				slugs[s] = p
			}
		}
		if d, ok := m.Get("default"); ok && truthy(d) {
			defaults = append(defaults, p)
		}
	}
	if len(defaults) > 1 {
		v.warnf(defaults[1]+"/default", "more than one profile is the default (%s): an option-less spawn uses the first, the form preselects the last", strings.Join(defaults, ", "))
	}
	if opts.Live != nil {
		v.compareLive(items, opts.Live)
	}
	return v.fs
}

type validator struct {
	opts Options
	fs   []model.Finding
}

func (v *validator) errorf(path, format string, args ...any) {
	v.fs = append(v.fs, model.Finding{Severity: model.Error, Path: path, Message: fmt.Sprintf(format, args...)})
}

func (v *validator) warnf(path, format string, args ...any) {
	v.fs = append(v.fs, model.Finding{Severity: model.Warning, Path: path, Message: fmt.Sprintf(format, args...)})
}

func (v *validator) problems(base string, ps []kubespawner.Problem) {
	for _, p := range ps {
		sev := model.Warning
		if p.Severity == kubespawner.Error {
			sev = model.Error
		}
		v.fs = append(v.fs, model.Finding{Severity: sev, Path: base + p.Path, Message: p.Msg})
	}
}

// Keys KubeSpawner reads, and keys other tools read that it passes through
// (fancy-profiles, the group filter of the hub-side module). Anything else is
// reported, since a typo there is silently ignored.
var (
	knownProfileKeys  = keySet(model.ProfileKeys)
	knownOptionKeys   = keySet(append(model.OptionKeys, "dynamic_image_building"))
	knownChoiceKeys   = keySet(append(model.ChoiceKeys, "slug"))
	knownUnlistedKeys = keySet(append(model.UnlistedKeys, "description", "description_in_choices", "allowed_groups"))
)

var (
	canonicalSlug = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	optionKeyRx   = regexp.MustCompile(`^[A-Za-z0-9_]+(-[A-Za-z0-9_]+)*$`)
	choiceKeyRx   = regexp.MustCompile(`^[A-Za-z0-9_.]+(-[A-Za-z0-9_.]+)*$`)
)

// profile checks one profile and returns the slug it is served under.
func (v *validator) profile(p string, m *ordered.Map) string {
	v.unknownKeys(p, m, knownProfileKeys, "profile")
	name, hasName := m.Get("display_name")
	nameStr, isStr := name.(string)
	switch {
	case !hasName:
		v.errorf(p, "the profile has no display_name: KubeSpawner fails with KeyError when it is spawned")
	case !isStr:
		v.errorf(p+"/display_name", "display_name must be a string, not %s", describe(name))
	case strings.TrimSpace(nameStr) == "":
		v.errorf(p+"/display_name", "display_name is empty: users would see a choice with no name")
	default:
		v.shown(p+"/display_name", nameStr, inHeading)
	}
	s := v.slug(p, m, nameStr, isStr)
	if d, ok := m.Get("description"); ok {
		v.shown(p+"/description", d, inParagraph)
	}
	v.defaultFlag(p, m)
	v.allowedGroups(p, m)
	ov := v.override(p, m)
	opts, has := m.Get("profile_options")
	if !has {
		v.resources(p, ov, ov)
		return s
	}
	om, isMap := opts.(*ordered.Map)
	if !isMap {
		v.errorf(p+"/profile_options", "profile_options must be an object of options, not %s: KubeSpawner fails to show the form", describe(opts))
		return s
	}
	if om.Len() == 0 {
		v.resources(p, ov, ov)
	}
	for _, key := range om.Keys() {
		o, _ := om.Get(key)
		v.option(p+model.Pointer("profile_options", key), key, o, ov)
	}
	return s
}

func (v *validator) slug(p string, m *ordered.Map, name string, nameIsStr bool) string {
	raw, has := m.Get("slug")
	if !has {
		if !nameIsStr {
			return ""
		}
		s := slug.Make(name)
		if s == "" {
			v.errorf(p+"/display_name", "display_name %q gives an empty slug: set a slug, or this profile can never be picked", name)
		}
		return s
	}
	s, ok := raw.(string)
	switch {
	case !ok:
		v.errorf(p+"/slug", "slug must be a string, not %s", describe(raw))
		return ""
	case s == "":
		v.errorf(p+"/slug", "slug is empty: this profile can never be picked unless it is the default")
		return ""
	case strings.ContainsAny(s, " \t\r\n\"'<>&"):
		v.errorf(p+"/slug", "slug %q contains whitespace, a quote, <, > or &: it breaks the spawn form's HTML", s)
	case strings.Contains(s, "--"):
		v.errorf(p+"/slug", "slug %q contains \"--\", which KubeSpawner uses to separate form field names", s)
	case !canonicalSlug.MatchString(s):
		v.warnf(p+"/slug", "slug %q has characters other than lowercase letters, digits and single hyphens; KubeSpawner accepts it, but %q would be safer", s, slug.Make(s))
	case len(s) > 63:
		v.warnf(p+"/slug", "slug %q is longer than 63 characters", s)
	}
	return s
}

func (v *validator) defaultFlag(p string, m *ordered.Map) {
	d, ok := m.Get("default")
	if !ok {
		return
	}
	if _, isBool := d.(bool); !isBool {
		v.warnf(p+"/default", "default should be true or false, not %s: KubeSpawner counts any non-empty value as true (even \"false\"), jupyterhub-fancy-profiles only true", describe(d))
	}
}

func (v *validator) allowedGroups(p string, m *ordered.Map) {
	g, ok := m.Get("allowed_groups")
	if !ok {
		return
	}
	a, isList := g.([]any)
	if isList {
		for _, e := range a {
			if _, isStr := e.(string); !isStr {
				isList = false
			}
		}
	}
	if !isList {
		v.warnf(p+"/allowed_groups", "allowed_groups should be a list of group names, not %s", describe(g))
	}
}

// override checks a kubespawner_override and returns it (nil when absent or
// not an object).
func (v *validator) override(p string, m *ordered.Map) *ordered.Map {
	raw, ok := m.Get("kubespawner_override")
	if !ok {
		return nil
	}
	ov, isMap := raw.(*ordered.Map)
	if !isMap {
		v.errorf(p+"/kubespawner_override", "kubespawner_override must be an object, not %s: KubeSpawner fails at spawn", describe(raw))
		return nil
	}
	base := p + "/kubespawner_override"
	for _, k := range ov.Keys() {
		val, _ := ov.Get(k)
		kp := base + model.Pointer(k)
		v.problems(kp, kubespawner.CheckOverride(k, val))
		if kubespawner.IsExpanded(k) {
			v.problems(kp, kubespawner.CheckExpandedStrings(k, val))
		}
		if k == "image" {
			if ref, ok := val.(string); ok {
				v.image(kp, ref)
			}
		}
		v.bounds(kp, k, val)
	}
	return ov
}

// bounds checks a size against the infrastructure policy.
func (v *validator) bounds(p, k string, val any) {
	switch {
	case v.opts.MaxMemory > 0 && (k == "mem_limit" || k == "mem_guarantee"):
		if n, ok := bytesOf(val); ok && n > v.opts.MaxMemory {
			v.errorf(p, "%s (%s) is above the %s the infrastructure policy allows", k, kubespawner.FormatBytes(n), kubespawner.FormatBytes(v.opts.MaxMemory))
		}
	case v.opts.MaxCPU > 0 && (k == "cpu_limit" || k == "cpu_guarantee"):
		if n, ok := cpuOf(val); ok && n > v.opts.MaxCPU {
			v.errorf(p, "%s (%g) is above the %g CPUs the infrastructure policy allows", k, n, v.opts.MaxCPU)
		}
	}
}

// image warns about references that float, and about what the registry said.
func (v *validator) image(p, ref string) {
	if ref == "" || strings.ContainsAny(ref, "{} \t") {
		return
	}
	switch tag := ImageTag(ref); {
	case strings.Contains(ref, "@"):
	case tag == "":
		v.warnf(p, "image %q has no tag, which means :latest: users get whatever was pushed last, and nodes may keep an old copy", ref)
	case tag == "latest":
		v.warnf(p, "image %q uses :latest: users get whatever was pushed last, and nodes may keep an old copy", ref)
	}
	if allowed := v.opts.AllowedRegistries; len(allowed) > 0 && !contains(allowed, RegistryHost(ref)) {
		v.errorf(p, "image %q comes from %s, which the infrastructure policy does not allow (allowed: %s)", ref, RegistryHost(ref), strings.Join(allowed, ", "))
	}
	if v.opts.ImageProblem != nil {
		if msg := v.opts.ImageProblem(ref); msg != "" {
			v.warnf(p, "image %q: %s", ref, msg)
		}
	}
}

// WithTag replaces (or adds) the tag of a reference, dropping any digest.
func WithTag(ref, tag string) string {
	name, _, _ := strings.Cut(ref, "@")
	slash := strings.LastIndex(name, "/")
	if i := strings.LastIndex(name, ":"); i > slash {
		name = name[:i]
	}
	return name + ":" + tag
}

// RegistryHost is the registry an image reference points at, as container
// runtimes read it: the first path element when it has a dot or a port or is
// localhost, and Docker Hub ("docker.io") otherwise.
func RegistryHost(ref string) string {
	first, _, found := strings.Cut(ref, "/")
	if found && (strings.ContainsAny(first, ".:") || first == "localhost") {
		return first
	}
	return "docker.io"
}

// ImageTag returns the tag of a reference ("" when it has none).
func ImageTag(ref string) string {
	name := ref
	if i := strings.Index(name, "@"); i >= 0 {
		name = name[:i]
	}
	if i := strings.LastIndex(name, "/"); i >= 0 {
		name = name[i+1:]
	}
	if i := strings.LastIndex(name, ":"); i >= 0 {
		return name[i+1:]
	}
	return ""
}

func (v *validator) option(p, key string, raw any, profileOverride *ordered.Map) {
	switch {
	case key == "profile":
		v.errorf(p, "an option cannot be called \"profile\": KubeSpawner would read its value as the profile's slug")
	case strings.Contains(key, "--"):
		v.errorf(p, "option key %q contains \"--\", which KubeSpawner uses to separate form field names", key)
	case !optionKeyRx.MatchString(key):
		v.errorf(p, "option key %q may only have letters, digits and underscores, joined by single hyphens", key)
	}
	m, ok := raw.(*ordered.Map)
	if !ok {
		v.errorf(p, "an option must be an object, not %s", describe(raw))
		return
	}
	v.unknownKeys(p, m, knownOptionKeys, "option")
	if d, ok := m.Get("display_name"); !ok {
		v.warnf(p, "option %q has no display_name: its drop-down has no label", key)
	} else {
		v.shown(p+"/display_name", d, inLabel)
	}
	enabled := v.unlisted(p, m)
	raw, has := m.Get("choices")
	choices, isMap := raw.(*ordered.Map)
	switch {
	case !has:
		v.errorf(p, "option %q has no choices: KubeSpawner's form fails to render (write choices: {} for a free-text-only option)", key)
		return
	case !isMap:
		v.errorf(p+"/choices", "choices must be an object, not %s", describe(raw))
		return
	case choices.Len() == 0 && !enabled:
		v.errorf(p+"/choices", "option %q has no choices and no enabled unlisted_choice: nothing can be picked, and spawns fail", key)
	case choices.Len() == 0:
		v.warnf(p+"/choices", "option %q has only a free-text field: every spawn of this profile needs a value, so spawns through the API or from saved options without one fail", key)
	}
	var defaults []string
	for _, ck := range choices.Keys() {
		cp := p + model.Pointer("choices", ck)
		switch {
		case ck == "unlisted-choice":
			v.errorf(cp, "a choice cannot be called \"unlisted-choice\": the spawn form's drop-down uses that value for its free-text entry, so picking this choice opens the free-text field (or, when there is none, sends nothing, and the default choice starts) instead of starting this choice")
		case !choiceKeyRx.MatchString(ck):
			v.errorf(cp, "choice key %q may only have letters, digits, dots and underscores, joined by single hyphens", ck)
		}
		cv, _ := choices.Get(ck)
		cm, ok := cv.(*ordered.Map)
		if !ok {
			v.errorf(cp, "a choice must be an object, not %s", describe(cv))
			continue
		}
		v.unknownKeys(cp, cm, knownChoiceKeys, "choice")
		v.misplacedUnlisted(cp, ck, cm)
		if d, ok := cm.Get("display_name"); !ok {
			v.warnf(cp, "choice %q has no display_name: it shows as an empty entry", ck)
		} else {
			v.shown(cp+"/display_name", d, inOption)
		}
		if d, ok := cm.Get("description"); ok {
			if ds, isStr := d.(string); isStr {
				v.unshownText(cp+"/description", ds)
			} else {
				v.warnf(cp+"/description", "description should be a string, not %s", describe(d))
			}
		}
		v.defaultFlag(cp, cm)
		if d, ok := cm.Get("default"); ok && truthy(d) {
			defaults = append(defaults, ck)
		}
		v.allowedGroups(cp, cm)
		ov := v.override(cp, cm)
		v.resources(cp, merged(profileOverride, ov), ov)
	}
	if len(defaults) > 1 {
		v.warnf(p+"/choices", "option %q has %d default choices (%s): an option-less spawn uses %q, the form preselects %q", key, len(defaults), strings.Join(defaults, ", "), defaults[0], defaults[len(defaults)-1])
	}
}

// misplacedUnlisted reports a choice that is an unlisted_choice block
// written inside choices (a production list had one, keyed
// "unlisted_choice"): KubeSpawner treats it as an ordinary choice and applies
// its kubespawner_override as it is, since only an option's own
// unlisted_choice gets {value} filled in.
func (v *validator) misplacedUnlisted(cp, ck string, cm *ordered.Map) {
	looks := ck == "unlisted_choice"
	for _, k := range []string{"enabled", "validation_regex", "validation_message", "display_name_in_choices"} {
		looks = looks || cm.Has(k)
	}
	if !looks {
		return
	}
	const move = "Move the block out of choices, beside them, as the option's unlisted_choice"
	ov, _ := cm.Get("kubespawner_override")
	at, text, found := findValueField(ov, "/kubespawner_override")
	switch {
	case found && at == "/kubespawner_override/image":
		v.errorf(cp, "this choice is an unlisted_choice block written inside choices: KubeSpawner offers it as an ordinary choice and applies its kubespawner_override without filling in {value}, so picking it starts a server whose image is literally named %q, which cannot be pulled: the server never starts. %s", text, move)
	case found:
		v.errorf(cp, "this choice is an unlisted_choice block written inside choices: KubeSpawner offers it as an ordinary choice and applies its kubespawner_override without filling in {value}, so picking it sets %s to the literal text %q. %s", strings.TrimPrefix(at, "/kubespawner_override/"), text, move)
	default:
		v.warnf(cp, "this choice looks like an unlisted_choice block written inside choices: KubeSpawner offers it as an ordinary choice, and the option has no free-text field. %s if a free-text field was meant", move)
	}
}

// findValueField finds the first string holding {value} in an override,
// and its path.
func findValueField(x any, path string) (string, string, bool) {
	switch t := x.(type) {
	case string:
		return path, t, strings.Contains(t, "{value}")
	case []any:
		for i, e := range t {
			if p, s, ok := findValueField(e, path+model.Pointer(i)); ok {
				return p, s, true
			}
		}
	case *ordered.Map:
		for _, k := range t.Keys() {
			e, _ := t.Get(k)
			if p, s, ok := findValueField(e, path+model.Pointer(k)); ok {
				return p, s, true
			}
		}
	}
	return "", "", false
}

// unlisted checks unlisted_choice and reports whether it is enabled (as
// KubeSpawner sees it: any truthy value).
func (v *validator) unlisted(p string, m *ordered.Map) bool {
	raw, ok := m.Get("unlisted_choice")
	if !ok {
		return false
	}
	p += "/unlisted_choice"
	u, isMap := raw.(*ordered.Map)
	if !isMap {
		v.errorf(p, "unlisted_choice must be an object, not %s: KubeSpawner fails to load the profile", describe(raw))
		return false
	}
	v.unknownKeys(p, u, knownUnlistedKeys, "unlisted_choice")
	e, _ := u.Get("enabled")
	enabled := truthy(e)
	if _, isBool := e.(bool); e != nil && !isBool {
		v.warnf(p+"/enabled", "enabled should be true or false, not %s: KubeSpawner counts any non-empty value as true (even \"false\")", describe(e))
	}
	if d, ok := u.Get("display_name"); ok {
		v.shown(p+"/display_name", d, inLabel)
	}
	if d, ok := u.Get("display_name_in_choices"); ok {
		v.shown(p+"/display_name_in_choices", d, inOption)
	}
	if msg, ok := u.Get("validation_message"); ok {
		v.shown(p+"/validation_message", msg, inTitle)
	}
	if rx, ok := u.Get("validation_regex"); ok {
		if rs, isStr := rx.(string); !isStr {
			v.errorf(p+"/validation_regex", "validation_regex must be a string, not %s", describe(rx))
		} else {
			// CheckRegex refuses a double quote, the one character that ends
			// the form's pattern="…" attribute.
			v.problems(p+"/validation_regex", kubespawner.CheckRegex(rs))
		}
	}
	ovRaw, hasOv := u.Get("kubespawner_override")
	switch ov, isMap := ovRaw.(*ordered.Map); {
	case !hasOv:
		if enabled {
			v.warnf(p, "the free-text field is enabled but has no kubespawner_override: what users type changes nothing")
		}
	case !isMap:
		v.errorf(p+"/kubespawner_override", "kubespawner_override must be an object, not %s: KubeSpawner fails at spawn", describe(ovRaw))
	default:
		if enabled && ov.Len() == 0 {
			v.warnf(p+"/kubespawner_override", "the free-text field is enabled but its kubespawner_override is empty: what users type changes nothing (for an image, write {\"image\": \"{value}\"})")
		}
		v.problems(p+"/kubespawner_override", kubespawner.CheckUnlistedOverride(ov))
	}
	return enabled
}

// resources checks what one combination of overrides asks for: guarantees
// against limits, and against the node group the node_selector picks. own
// is the override written at p: a finding about a key it sets points at
// that key (the field the admin changes), else at p.
func (v *validator) resources(p string, ov, own *ordered.Map) {
	if ov == nil {
		return
	}
	at := func(key string) string {
		if own != nil && own.Has(key) {
			return p + "/kubespawner_override/" + key
		}
		return p
	}
	get := func(k string) (any, bool) {
		x, ok := ov.Get(k)
		return x, ok && x != nil
	}
	var memG, memL int64
	var hasMemG, hasMemL bool
	if x, ok := get("mem_guarantee"); ok {
		memG, hasMemG = bytesOf(x)
	}
	if x, ok := get("mem_limit"); ok {
		memL, hasMemL = bytesOf(x)
	}
	if hasMemG && hasMemL && memL > 0 && memG > memL {
		v.errorf(p, "mem_guarantee (%s) is above mem_limit (%s): Kubernetes refuses such a pod", kubespawner.FormatBytes(memG), kubespawner.FormatBytes(memL))
	}
	var cpuG, cpuL float64
	var hasCPUG, hasCPUL bool
	if x, ok := get("cpu_guarantee"); ok {
		cpuG, hasCPUG = cpuOf(x)
	}
	if x, ok := get("cpu_limit"); ok {
		cpuL, hasCPUL = cpuOf(x)
	}
	if hasCPUG && hasCPUL && cpuL > 0 && cpuG > cpuL {
		v.errorf(p, "cpu_guarantee (%g) is above cpu_limit (%g): Kubernetes refuses such a pod", cpuG, cpuL)
	}
	sel, hasSel := get("node_selector")
	_, hasTol := get("tolerations")
	gpus := gpuLimits(ov)
	if len(gpus) > 0 && !hasSel && !hasTol {
		v.warnf(p, "a GPU is requested (%s) without a node_selector or tolerations: the pod may wait for a GPU node that the scheduler is never told to pick", strings.Join(gpus, ", "))
	}
	if !hasSel {
		return
	}
	for _, ng := range v.opts.NodeGroups {
		if ng.NodeSelector.Len() == 0 || !ordered.Equal(sel, ng.NodeSelector) {
			continue
		}
		a := ng.Allocatable
		// What no node of the group can give is never scheduled: the
		// server waits in Pending until the spawn times out. An error.
		if hasMemG && a.Memory > 0 && memG > a.Memory {
			v.errorf(at("mem_guarantee"), "mem_guarantee (%s) is more than a %s node can give (%s): the server would never start", kubespawner.FormatBytes(memG), ng.Slug, kubespawner.FormatBytes(a.Memory))
		}
		if hasCPUG && a.CPU > 0 && cpuG > a.CPU {
			v.errorf(at("cpu_guarantee"), "cpu_guarantee (%g) is more than a %s node can give (%g): the server would never start", cpuG, ng.Slug, a.CPU)
		}
		if a.GPU > 0 {
			res := a.GPUResource
			if res == "" {
				res = "nvidia.com/gpu"
			}
			if n, ok := gpuCount(ov, res); ok && n > a.GPU {
				v.errorf(at("extra_resource_limits"), "%d GPUs (%s) are more than a %s node has (%d): the server would never start", n, res, ng.Slug, a.GPU)
			}
		}
		if len(ng.Tolerations) > 0 {
			tol, _ := get("tolerations")
			if !ordered.Equal(tol, ng.TolerationList()) {
				v.warnf(p, "the node_selector picks node group %s, whose nodes need its tolerations, which this override does not set: the server may never be scheduled (name the node group instead, or copy its tolerations)", ng.Slug)
			}
		}
		break
	}
}

func bytesOf(x any) (int64, bool) {
	n, err := kubespawner.ParseBytes(x)
	return n, err == nil
}

func cpuOf(x any) (float64, bool) {
	n, err := kubespawner.ParseCPU(x)
	return n, err == nil
}

// gpuCount is how many of resource an override's extra_resource_limits
// asks for, when it asks for a whole number.
func gpuCount(ov *ordered.Map, resource string) (int, bool) {
	raw, _ := ov.Get("extra_resource_limits")
	m, ok := raw.(*ordered.Map)
	if !ok {
		return 0, false
	}
	q, ok := m.Get(resource)
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(strings.TrimSpace(fmt.Sprint(q)))
	return n, err == nil
}

// gpuLimits lists the GPU resources an override asks for.
func gpuLimits(ov *ordered.Map) []string {
	raw, _ := ov.Get("extra_resource_limits")
	m, ok := raw.(*ordered.Map)
	if !ok {
		return nil
	}
	var out []string
	for _, k := range m.Keys() {
		if strings.Contains(strings.ToLower(k), "gpu") {
			q, _ := m.Get(k)
			if truthy(q) && q != "0" {
				out = append(out, k)
			}
		}
	}
	return out
}

// merged is what KubeSpawner applies for a profile and one choice: the
// choice's keys win; objects merge key by key (a null deletes).
func merged(base, over *ordered.Map) *ordered.Map {
	if base == nil {
		return over
	}
	if over == nil {
		return base
	}
	out := base.Clone()
	layer(out, map[string]string{}, over, "")
	return out
}

// shown checks a value that KubeSpawner's spawn form prints, unescaped, at
// pl (see markup.go). Jinja prints a list or an object as Python writes it,
// strings inside included, so only a scalar can be shown safely.
func (v *validator) shown(p string, val any, pl textPlace) {
	field := p[strings.LastIndex(p, "/")+1:]
	switch t := val.(type) {
	case string:
		if problem := markupProblem(t, pl); problem != "" {
			v.errorf(p, "%s contains %s; KubeSpawner's spawn form puts it unescaped in %s, %s. %s", field, problem, pl.element(), pl.consequence(), pl.allowedMarkup())
		}
	case []any, *ordered.Map:
		v.errorf(p, "%s must be a string, not %s: KubeSpawner's spawn form prints it unescaped, as Python writes it, with any markup inside", field, describe(val))
	default:
		v.warnf(p, "%s should be a string, not %s", field, describe(val))
	}
}

// unshownText checks a text that KubeSpawner's own form does not show (a
// choice's description) as if it were shown in a paragraph, but only warns:
// it becomes markup only in a custom form template that prints it unescaped.
func (v *validator) unshownText(p, s string) {
	if problem := markupProblem(s, inParagraph); problem != "" {
		v.warnf(p, "description contains %s; KubeSpawner's form does not show a choice's description, but a custom form template that prints it unescaped would make it markup. %s", problem, inParagraph.allowedMarkup())
	}
}

func (v *validator) unknownKeys(p string, m *ordered.Map, known map[string]bool, what string) {
	for _, k := range m.Keys() {
		if !known[k] {
			v.warnf(p+model.Pointer(k), "KubeSpawner ignores %q in a %s (a typo?)", k, what)
		}
	}
}

// compareLive reports profile slugs, option keys and choice keys that the
// live list has and this one lacks.
func (v *validator) compareLive(items []any, live any) {
	now := index(items)
	old := index(live)
	for _, s := range old.order {
		o := old.profiles[s]
		n, ok := now.profiles[s]
		if !ok {
			v.warnf("", "profile %q is live but not in this list: users whose last server used it cannot restart it without picking again (\"No such profile\")", s)
			continue
		}
		for _, key := range o.options {
			if _, has := n.choices[key]; !has {
				v.warnf(n.path, "option %q of profile %q is live but not in this list: saved choices for it are dropped", key, s)
				continue
			}
			for _, ck := range o.choices[key] {
				if !contains(n.choices[key], ck) {
					v.warnf(n.path+model.Pointer("profile_options", key), "choice %q of option %q (profile %q) is live but not in this list: users whose saved choice names it fail to respawn", ck, key, s)
				}
			}
		}
	}
}

type profileIndex struct {
	path    string
	options []string
	choices map[string][]string
}

type listIndex struct {
	order    []string
	profiles map[string]*profileIndex
}

func index(list any) listIndex {
	idx := listIndex{profiles: map[string]*profileIndex{}}
	items, _ := list.([]any)
	for i, item := range items {
		m, ok := item.(*ordered.Map)
		if !ok {
			continue
		}
		s := effectiveSlug(m)
		if s == "" || idx.profiles[s] != nil {
			continue
		}
		pi := &profileIndex{path: model.Pointer(i), choices: map[string][]string{}}
		opts, _ := m.Get("profile_options")
		om, _ := opts.(*ordered.Map)
		for _, key := range om.Keys() {
			pi.options = append(pi.options, key)
			o, _ := om.Get(key)
			oo, _ := o.(*ordered.Map)
			c, _ := oo.Get("choices")
			cm, _ := c.(*ordered.Map)
			pi.choices[key] = append([]string{}, cm.Keys()...)
		}
		idx.order = append(idx.order, s)
		idx.profiles[s] = pi
	}
	return idx
}

func effectiveSlug(m *ordered.Map) string {
	if s, ok := m.Get("slug"); ok {
		str, _ := s.(string)
		return str
	}
	name, _ := m.Get("display_name")
	str, _ := name.(string)
	return slug.Make(str)
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func keySet(keys []string) map[string]bool {
	m := make(map[string]bool, len(keys))
	for _, k := range keys {
		m[k] = true
	}
	return m
}

// truthy is Python's truthiness of a JSON value, which is how KubeSpawner
// reads default and enabled.
func truthy(v any) bool {
	switch t := v.(type) {
	case nil:
		return false
	case bool:
		return t
	case string:
		return t != ""
	case json.Number:
		f, err := t.Float64()
		return err != nil || f != 0
	case []any:
		return len(t) > 0
	case *ordered.Map:
		return t.Len() > 0
	}
	return true
}

// describe names a value for a message: its type, and the value when short.
func describe(v any) string {
	switch t := v.(type) {
	case nil:
		return "null"
	case string:
		return fmt.Sprintf("the string %q", t)
	case json.Number:
		return "the number " + string(t)
	case bool:
		return fmt.Sprintf("%t", t)
	}
	return "an " + ordered.TypeName(v)
}

// Losses is what users lose when list replaces live: the live profile
// slugs, option keys and choice keys list lacks. They are the same warnings
// Validate gives with Options.Live, alone, so that a page can show them
// before a publish instead of among every other warning after it.
func Losses(list, live any) []model.Finding {
	v := &validator{}
	items, _ := list.([]any)
	v.compareLive(items, live)
	return v.fs
}

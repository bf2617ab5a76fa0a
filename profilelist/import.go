package profilelist

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/jupyterhub/hubprofiles/model"
	"github.com/jupyterhub/hubprofiles/ordered"
	"github.com/jupyterhub/hubprofiles/slug"
)

// ImportOptions tells Import what the catalog already has.
type ImportOptions struct {
	// NodeGroups from the infrastructure config: a node_selector equal to one
	// of theirs becomes a reference to it, where rendering gives it back.
	NodeGroups []model.NodeGroup
	// Images already in the catalog are reused by reference instead of added.
	Images []model.Image
}

// Import turns a profile list into a catalog. Image references become catalog
// images (one per distinct reference), node selectors equal to a configured
// node group become that node group, a missing profile slug becomes the one
// KubeSpawner would generate, and everything else is kept as it was, so that
// Render gives the same list back.
//
// Import refuses only lists whose shape KubeSpawner cannot use at all (a
// profile that is not an object, profile_options that is not an object, ...);
// Validate explains those, and more, with the same paths.
func Import(list any, opts ImportOptions) (*model.Catalog, error) {
	items, ok := list.([]any)
	if !ok {
		return nil, shapeError("", "the profile list must be an array, not %s", ordered.TypeName(list))
	}
	im := newImporter(&model.Catalog{
		Images:     append([]model.Image(nil), opts.Images...),
		NodeGroups: append([]model.NodeGroup(nil), opts.NodeGroups...),
		Profiles:   make([]model.Profile, 0, len(items)),
	})
	im.countTags(ListImages(items))
	for i, item := range items {
		p, err := im.profile(model.Pointer(i), item)
		if err != nil {
			return nil, err
		}
		im.c.Profiles = append(im.c.Profiles, *p)
	}
	return im.c, nil
}

// ShapeError is a list that cannot be imported, with where.
type ShapeError struct {
	Path string
	Msg  string
}

func (e *ShapeError) Error() string {
	if e.Path == "" {
		return e.Msg
	}
	return e.Path + ": " + e.Msg
}

func shapeError(path, format string, args ...any) error {
	return &ShapeError{Path: path, Msg: fmt.Sprintf(format, args...)}
}

type importer struct {
	c     *model.Catalog
	byRef map[string]string // image ref -> catalog slug
	slugs map[string]bool   // image slugs in use
	// tags counts the distinct references of each repository the list and
	// the catalog hold: a repository with one is named by itself.
	tags map[string]int
}

func newImporter(c *model.Catalog) *importer {
	im := &importer{c: c, byRef: map[string]string{}, slugs: map[string]bool{}, tags: map[string]int{}}
	for _, img := range c.Images {
		im.byRef[img.Ref] = img.Slug
		im.slugs[img.Slug] = true
	}
	return im
}

// countTags counts, per repository, the distinct references among refs
// and the catalog's images.
func (im *importer) countTags(refs []string) {
	seen := map[string]bool{}
	for _, img := range im.c.Images {
		seen[img.Ref] = true
	}
	for _, ref := range refs {
		seen[ref] = true
	}
	for ref := range seen {
		im.tags[model.Repository(ref)]++
	}
}

// fields splits an object into what the typed fields take and the rest.
type fields struct {
	path  string
	m     *ordered.Map
	taken map[string]bool
}

func newFields(path string, v any, what string) (*fields, error) {
	m, ok := v.(*ordered.Map)
	if !ok {
		return nil, shapeError(path, "%s must be an object, not %s", what, ordered.TypeName(v))
	}
	return &fields{path: path, m: m, taken: map[string]bool{}}, nil
}

// str takes k when it holds a string; any other value stays an extra key.
func (f *fields) str(k string) string {
	if v, ok := f.m.Get(k); ok {
		if s, ok := v.(string); ok {
			f.taken[k] = true
			return s
		}
	}
	return ""
}

// boolean takes k when it holds a JSON boolean; "True" and the like stay
// extra keys, so they render back as they were (and Validate warns).
func (f *fields) boolean(k string) bool {
	if v, ok := f.m.Get(k); ok {
		if b, ok := v.(bool); ok {
			f.taken[k] = true
			return b
		}
	}
	return false
}

func (f *fields) strings(k string) []string {
	v, ok := f.m.Get(k)
	if !ok {
		return nil
	}
	a, ok := v.([]any)
	if !ok {
		return nil
	}
	out := make([]string, 0, len(a))
	for _, e := range a {
		s, ok := e.(string)
		if !ok {
			return nil
		}
		out = append(out, s)
	}
	f.taken[k] = true
	return out
}

// object takes k, which must be an object when present.
func (f *fields) object(k string) (*ordered.Map, error) {
	v, ok := f.m.Get(k)
	if !ok {
		return nil, nil
	}
	m, ok := v.(*ordered.Map)
	if !ok {
		return nil, shapeError(f.path+model.Pointer(k), "%s must be an object, not %s", k, ordered.TypeName(v))
	}
	f.taken[k] = true
	return m, nil
}

// rest is every key no typed field took, in order; nil when there is none.
func (f *fields) rest() *ordered.Map {
	var out *ordered.Map
	for _, k := range f.m.Keys() {
		if f.taken[k] {
			continue
		}
		if out == nil {
			out = ordered.NewMap()
		}
		v, _ := f.m.Get(k)
		out.Set(k, ordered.Clone(v))
	}
	return out
}

func (im *importer) profile(path string, v any) (*model.Profile, error) {
	f, err := newFields(path, v, "a profile")
	if err != nil {
		return nil, err
	}
	p := &model.Profile{
		DisplayName:   f.str("display_name"),
		Description:   f.str("description"),
		Default:       f.boolean("default"),
		AllowedGroups: f.strings("allowed_groups"),
		AllowedTeams:  f.strings("allowed_teams"),
	}
	if raw, ok := f.m.Get("slug"); ok {
		s, isStr := raw.(string)
		if !isStr {
			return nil, shapeError(path+"/slug", "slug must be a string, not %s", ordered.TypeName(raw))
		}
		p.Slug = s
		f.taken["slug"] = true
	} else {
		p.Slug = slug.Make(p.DisplayName)
	}
	ov, err := f.object("kubespawner_override")
	if err != nil {
		return nil, err
	}
	p.Image, p.NodeGroup, p.DefaultURL, p.Override = im.override(ov)
	p.Settings, p.Override = im.liftSettings(ov, p.Image, p.NodeGroup, p.DefaultURL, p.Override)
	opts, err := f.object("profile_options")
	if err != nil {
		return nil, err
	}
	for _, key := range opts.Keys() {
		ov, _ := opts.Get(key)
		o, err := im.option(path+model.Pointer("profile_options", key), key, ov)
		if err != nil {
			return nil, err
		}
		p.Options = append(p.Options, *o)
	}
	p.Extra = f.rest()
	return p, nil
}

func (im *importer) option(path, key string, v any) (*model.Option, error) {
	f, err := newFields(path, v, "an option")
	if err != nil {
		return nil, err
	}
	o := &model.Option{Key: key, DisplayName: f.str("display_name"), Choices: []model.Choice{}}
	// Typed only as {"enabled": bool}; any other shape stays verbatim.
	if d, ok := DynamicImageBuildingFrom(f.m.Get("dynamic_image_building")); ok {
		o.DynamicImageBuilding = d
		f.taken["dynamic_image_building"] = true
	}
	choices, err := f.object("choices")
	if err != nil {
		return nil, err
	}
	for _, ck := range choices.Keys() {
		cv, _ := choices.Get(ck)
		cf, err := newFields(path+model.Pointer("choices", ck), cv, "a choice")
		if err != nil {
			return nil, err
		}
		ch := model.Choice{
			Key:           ck,
			DisplayName:   cf.str("display_name"),
			Description:   cf.str("description"),
			Default:       cf.boolean("default"),
			AllowedGroups: cf.strings("allowed_groups"),
			Slug:          cf.str("slug"),
		}
		ov, err := cf.object("kubespawner_override")
		if err != nil {
			return nil, err
		}
		ch.Image, ch.NodeGroup, ch.DefaultURL, ch.Override = im.override(ov)
		ch.Settings, ch.Override = im.liftSettings(ov, ch.Image, ch.NodeGroup, ch.DefaultURL, ch.Override)
		ch.Extra = cf.rest()
		o.Choices = append(o.Choices, ch)
	}
	uv, err := f.object("unlisted_choice")
	if err != nil {
		return nil, err
	}
	if uv != nil {
		uf, _ := newFields(path+"/unlisted_choice", uv, "unlisted_choice")
		u := &model.Unlisted{
			Enabled:              uf.boolean("enabled"),
			DisplayName:          uf.str("display_name"),
			DisplayNameInChoices: uf.str("display_name_in_choices"),
			Description:          uf.str("description"),
			ValidationRegex:      uf.str("validation_regex"),
			ValidationMessage:    uf.str("validation_message"),
		}
		// {value} templates are not catalog images: keep the override as is.
		if u.Override, err = uf.object("kubespawner_override"); err != nil {
			return nil, err
		}
		src := u.Override
		var rest *ordered.Map
		u.Image, rest = liftTemplateImage(src)
		u.Settings, u.Override = im.liftSettings(src, "", "", "", rest)
		if u.Image != "" {
			// liftSettings compared without the image: compare again with it.
			u.Settings.OverrideOrder = nil
			if r, err := renderOverride(im.c, "", "", "", &u.Settings, UnlistedOverride(u)); err == nil && !sameKeys(r.Keys(), src.Keys()) {
				u.Settings.OverrideOrder = append([]string(nil), src.Keys()...)
			}
		}
		u.Extra = uf.rest()
		o.Unlisted = u
	}
	o.Extra = f.rest()
	return o, nil
}

// override lifts the image, the interface and the node group out of a
// kubespawner_override. It returns the rest as a copy; nil stays nil.
func (im *importer) override(ov *ordered.Map) (image, nodeGroup, defaultURL string, rest *ordered.Map) {
	if ov == nil {
		return "", "", "", nil
	}
	rest = ov.Clone()
	if v, ok := rest.Get("default_url"); ok {
		if u, ok := v.(string); ok && model.CheckDefaultURL(u) == "" {
			defaultURL = u
			rest.Delete("default_url")
		}
	}
	if v, ok := rest.Get("image"); ok {
		if ref, ok := v.(string); ok && plainRef(ref) {
			image = im.image(ref)
			rest.Delete("image")
		}
	}
	if sel, ok := rest.Get("node_selector"); ok {
		tol, hasTol := rest.Get("tolerations")
		for _, ng := range im.c.NodeGroups {
			if ng.NodeSelector.Len() == 0 || !ordered.Equal(sel, ng.NodeSelector) {
				continue
			}
			if len(ng.Tolerations) > 0 && !(hasTol && ordered.Equal(tol, ng.TolerationList())) {
				continue // rendering would add tolerations the source lacked
			}
			nodeGroup = ng.Slug
			rest.Delete("node_selector")
			if len(ng.Tolerations) > 0 {
				rest.Delete("tolerations")
			}
			break
		}
	}
	return image, nodeGroup, defaultURL, rest
}

// plainRef accepts what can be an image reference as written; anything with
// whitespace or template braces stays a raw override for Validate to judge.
func plainRef(ref string) bool {
	return ref != "" && !strings.ContainsAny(ref, " \t\r\n{}")
}

// image returns the catalog slug for ref, adding the image when it is new.
// A new image is named after its repository ("scipy-notebook"), so that the
// name stays true when the tag moves on; only a repository the list or the
// catalog has with more than one tag gets the tag in its name
// ("scipy-notebook-2024-03-18").
func (im *importer) image(ref string) string {
	if s, ok := im.byRef[ref]; ok {
		return s
	}
	name := ImageName(ref)
	if im.tags[model.Repository(ref)] <= 1 {
		name = repositoryName(ref)
	}
	base := slug.Make(strings.NewReplacer(":", " ", "@sha256", " ").Replace(name))
	if len(base) > 48 {
		base = strings.Trim(base[:48], "-")
	}
	if base == "" {
		base = "image"
	}
	s := base
	for n := 2; im.slugs[s]; n++ {
		s = base + "-" + strconv.Itoa(n)
	}
	im.slugs[s] = true
	im.byRef[ref] = s
	im.c.Images = append(im.c.Images, model.Image{Slug: s, DisplayName: name, Ref: ref})
	return s
}

// repositoryName is the last path element of an image's repository,
// without tag or digest ("scipy-notebook").
func repositoryName(ref string) string {
	repo := model.Repository(ref)
	return repo[strings.LastIndex(repo, "/")+1:]
}

// ImageName is the short, readable form of a reference: the last path
// element of the repository with its tag ("pangeo-notebook:2024.01.02"), or
// with the first 12 hex digits of its digest.
func ImageName(ref string) string {
	name := ref
	if i := strings.LastIndex(name, "/"); i >= 0 {
		name = name[i+1:]
	}
	if i := strings.Index(name, "@sha256:"); i >= 0 && len(name) >= i+8+12 {
		name = name[:i] + "@sha256:" + name[i+8:i+8+12]
	}
	return name
}

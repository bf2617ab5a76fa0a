package profilelist

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/jupyterhub/hubprofiles/model"
	"github.com/jupyterhub/hubprofiles/ordered"
)

// ExportJSON is the profile list as indented JSON, for people and files.
func ExportJSON(c *model.Catalog) ([]byte, error) {
	list, err := Render(c)
	if err != nil {
		return nil, err
	}
	return ordered.MarshalIndent(list, "  ")
}

// ExportYAML is the profile list as YAML.
func ExportYAML(c *model.Catalog) ([]byte, error) {
	list, err := Render(c)
	if err != nil {
		return nil, err
	}
	return ToYAML(list)
}

// ExportValues is a z2jh values fragment that gives a hub the same list
// without hubprofiles: singleuser.profileList with the hub-wide defaults
// (singleuser.image, singleuser.defaultUrl), plus prePuller.extraImages for
// the images the list (and the hub-wide default image) uses, since a list
// served at run time is invisible to z2jh's pre-puller; nested the way the
// imported values file was (jupyterhub:, basehub.jupyterhub:). An operator
// who keeps hubprofiles copies only prePuller into the hub's values.
func ExportValues(c *model.Catalog) ([]byte, error) {
	list, err := Render(c)
	if err != nil {
		return nil, err
	}
	values := ordered.MapOf("singleuser", valuesSingleuser(c, list))
	if extra := prePullImages(c, list); extra.Len() > 0 {
		values.Set("prePuller", ordered.MapOf("extraImages", extra))
	}
	return ToYAML(nest(c, values))
}

// ImagesInUse are the image references a rendered list and the catalog's
// hub-wide default start servers with, each once, in the list's order: the
// image of each profile's and each choice's kubespawner_override, then the
// default image. Catalog images nothing uses are not in it; neither is what a
// user may type into an unlisted choice.
func ImagesInUse(c *model.Catalog, list []any) []string {
	refs := ListImages(list)
	if c.Defaults.Image != "" {
		if im, ok := c.Image(c.Defaults.Image); ok && !slices.Contains(refs, im.Ref) {
			refs = append(refs, im.Ref)
		}
	}
	return refs
}

// ListImages are the image references of a profile list's profiles and
// choices (their kubespawner_override.image strings), each once, in order;
// parts of the list that are not objects are passed over.
func ListImages(list []any) []string {
	var refs []string
	add := func(ov *ordered.Map) {
		if ref, ok := mustGet(ov, "image").(string); ok && ref != "" && !slices.Contains(refs, ref) {
			refs = append(refs, ref)
		}
	}
	walk(list, func(_ int, pov *ordered.Map) { add(pov) },
		func(_ int, _ *ordered.Map, _, _ string, cov *ordered.Map) { add(cov) })
	return refs
}

// walk calls profile with the kubespawner_override of each profile of a
// list (nil when it has none) and then choice with that of each of its
// choices, with the option and choice keys, in order. Parts that are not
// objects are passed over.
func walk(list []any, profile func(i int, pov *ordered.Map), choice func(i int, pov *ordered.Map, option, key string, cov *ordered.Map)) {
	for i, p := range list {
		pm, ok := p.(*ordered.Map)
		if !ok {
			continue
		}
		pov, _ := mustGet(pm, "kubespawner_override").(*ordered.Map)
		profile(i, pov)
		opts, _ := mustGet(pm, "profile_options").(*ordered.Map)
		for _, key := range opts.Keys() {
			o, _ := opts.Get(key)
			oMap, _ := o.(*ordered.Map)
			chs, _ := mustGet(oMap, "choices").(*ordered.Map)
			for _, ck := range chs.Keys() {
				ch, _ := chs.Get(ck)
				if chm, ok := ch.(*ordered.Map); ok {
					cov, _ := mustGet(chm, "kubespawner_override").(*ordered.Map)
					choice(i, pov, key, ck, cov)
				}
			}
		}
	}
}

// prePullImages maps each image in use to z2jh's {name, tag} form, keyed by
// the catalog image's slug (or, for an image given in an override, a key made
// from its reference). z2jh names a pre-puller container image-pull-<key>,
// so keys are DNS labels short enough for that. Digest-pinned references are
// left out: z2jh's pre-puller takes a tag.
func prePullImages(c *model.Catalog, list []any) *ordered.Map {
	out := ordered.NewMap()
	for _, ref := range ImagesInUse(c, list) {
		if strings.Contains(ref, "@") {
			continue
		}
		name, tag := splitRef(ref)
		key := ""
		for _, im := range c.Images {
			if im.Ref == ref {
				key = im.Slug
				break
			}
		}
		if key == "" || len(key) > maxPrePullKey {
			key = prePullKey(ref)
		}
		for base, n := key, 2; out.Has(key); n++ {
			key = fmt.Sprintf("%s-%d", strings.TrimRight(base[:min(len(base), maxPrePullKey-4)], "-"), n)
		}
		out.Set(key, ordered.MapOf("name", name, "tag", tag))
	}
	return out
}

// maxPrePullKey keeps "image-pull-" + key within a 63-character DNS label.
const maxPrePullKey = 63 - len("image-pull-")

// prePullKey makes a DNS label from an image reference: lower case letters,
// digits and single dashes, at most maxPrePullKey long.
func prePullKey(ref string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(ref) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	key := strings.Trim(b.String(), "-")
	if len(key) > maxPrePullKey {
		key = strings.TrimRight(key[len(key)-maxPrePullKey:], "-")
		key = strings.TrimLeft(key, "-")
	}
	if key == "" {
		key = "image"
	}
	return key
}

// ExportDocument is hubprofiles' own document: the whole catalog, versioned,
// which Parse reads back. It is indented for people.
func ExportDocument(c *model.Catalog) ([]byte, error) { return marshalDocument(c, "  ") }

// MarshalDocument is the same document in compact canonical form: what a
// revision stores, and what its content hash covers.
func MarshalDocument(c *model.Catalog) ([]byte, error) { return marshalDocument(c, "") }

func marshalDocument(c *model.Catalog, indent string) ([]byte, error) {
	doc := Document{SchemaVersion: model.SchemaVersion, Catalog: *c}
	// Empty lists are written as [], not null.
	doc.Images = append([]model.Image{}, c.Images...)
	doc.NodeGroups = append([]model.NodeGroup{}, c.NodeGroups...)
	doc.Profiles = append([]model.Profile{}, c.Profiles...)
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", indent)
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	out := b.Bytes()
	if indent == "" {
		out = bytes.TrimSuffix(out, []byte("\n"))
	}
	return out, nil
}

// Exporter is one export format: how to write it, its media type, and the
// file name a download gets.
type Exporter struct {
	Write func(*model.Catalog) ([]byte, error)
	MIME  string
	File  string
}

// Exporters are the export formats by name: json and yaml (the profile
// list), values (a z2jh values fragment), document (hubprofiles' own).
var Exporters = map[string]Exporter{
	"json":     {ExportJSON, "application/json", "profile-list.json"},
	"yaml":     {ExportYAML, "application/yaml", "profile-list.yaml"},
	"values":   {ExportValues, "application/yaml", "values.yaml"},
	"document": {ExportDocument, "application/json", "hubprofiles.json"},
}

package profilelist

import (
	"bytes"
	"encoding/json"
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
// the tagged images in use, since a list served at run time is invisible to
// z2jh's pre-puller; nested the way the imported values file was
// (jupyterhub:, basehub.jupyterhub:).
func ExportValues(c *model.Catalog) ([]byte, error) {
	list, err := Render(c)
	if err != nil {
		return nil, err
	}
	values := ordered.MapOf("singleuser", valuesSingleuser(c, list))
	if extra := prePullImages(c); extra.Len() > 0 {
		values.Set("prePuller", ordered.MapOf("extraImages", extra))
	}
	return ToYAML(nest(c, values))
}

// prePullImages maps each tagged catalog image that something uses to z2jh's
// {name, tag} form: an image no profile offers need not be on every node.
// Digest-pinned references are left out: z2jh's pre-puller takes a tag.
func prePullImages(c *model.Catalog) *ordered.Map {
	out := ordered.NewMap()
	for _, im := range c.Images {
		if strings.Contains(im.Ref, "@") || len(c.ImageUsers(im.Slug)) == 0 {
			continue
		}
		name, tag := splitRef(im.Ref)
		out.Set(im.Slug, ordered.MapOf("name", name, "tag", tag))
	}
	return out
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

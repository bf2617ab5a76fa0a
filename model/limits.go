package model

import (
	"encoding/json"
	"fmt"
	"unicode/utf8"

	"github.com/jupyterhub/hubprofiles/ordered"
)

// Limits bound what can be saved: per field, per list, per catalog and per
// request. They exist so that whatever a writer accepts can always be read
// back: every stored revision stays well inside the parser's own limits
// (profilelist.DefaultLimits), so serve, export and restore never meet a
// revision they cannot read. The pages, the API, the CLI and the writer
// (package edit) all check these same numbers; docs/security.md lists them.
type Limits struct {
	// Per field, in characters.
	Name        int // display names of profiles, options, choices, images, unlisted choices
	Description int // descriptions of profiles, choices and images
	Key         int // slugs of profiles and images, option and choice keys
	ImageRef    int // an image reference
	Validation  int // validation_regex and validation_message of a free-text choice
	Group       int // one name in allowed_groups
	Path        int // default_url, node group references
	Message     int // a revision message

	// Per field, in bytes as compact JSON: one kubespawner_override or the
	// extra keys of one profile, option or choice.
	Override int

	// Per list.
	Profiles      int // profiles in a catalog
	Options       int // options in one profile
	Choices       int // choices in one option
	Images        int // images in the image catalog
	AllowedGroups int // names in one allowed_groups

	// Per catalog: the stored document and the rendered profile list, in
	// bytes, and the values and nesting of the stored document.
	CatalogBytes  int
	CatalogValues int
	CatalogDepth  int

	// Per request body, in bytes: JSON bodies and page forms; a file to
	// import or validate (the parser's own limit, profilelist.DefaultLimits);
	// and the import page's form, which carries such a file in a multipart
	// envelope.
	RequestBody int64
	FileBytes   int64
	ImportBody  int64
}

// DefaultLimits are generous: the 65 production lists in the corpus and
// their history have at most 8 profiles, 2 options per profile, 20 choices
// per option, display names of 74 characters, descriptions of 126, and
// overrides of 1.3 kB. The per-catalog limits are half of the parser's
// (4 MiB, 200,000 values, 64 levels), so a stored revision can always be read.
var DefaultLimits = Limits{
	Name:        200,
	Description: 4000,
	Key:         256,
	ImageRef:    512,
	Validation:  1000,
	Group:       256,
	Path:        1000,
	Message:     2000,

	Override: 64 << 10,

	Profiles:      500,
	Options:       50,
	Choices:       500,
	Images:        1000,
	AllowedGroups: 200,

	CatalogBytes:  2 << 20,
	CatalogValues: 100_000,
	CatalogDepth:  32,

	RequestBody: 1 << 20,
	FileBytes:   4 << 20,
	ImportBody:  4<<20 + 64<<10,
}

// LimitError is one value over a limit. Its message names the field path
// and the limit, e.g. "/profiles/0/display_name: display_name is 60000
// characters; the limit is 200".
type LimitError struct {
	Path  string
	Field string
	Size  int
	Limit int
	Unit  string // "characters", "bytes", "profiles", ...
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("%s is %d %s; the limit is %d", e.Field, e.Size, e.Unit, e.Limit)
}

// Finding is the limit as a validation error.
func (e *LimitError) Finding() Finding {
	return Finding{Severity: Error, Path: e.Path, Message: e.Error()}
}

// TooLong returns a finding when s has more than limit characters.
func TooLong(path, field, s string, limit int) []Finding {
	if len(s) <= limit { // fast path: bytes >= characters
		return nil
	}
	if n := utf8.RuneCountInString(s); n > limit {
		return []Finding{(&LimitError{Path: path, Field: field, Size: n, Limit: limit, Unit: "characters"}).Finding()}
	}
	return nil
}

// TooMany returns a finding when a list has more than limit entries.
func TooMany(path, field string, n, limit int, unit string) []Finding {
	if n <= limit {
		return nil
	}
	return []Finding{(&LimitError{Path: path, Field: field, Size: n, Limit: limit, Unit: unit}).Finding()}
}

// TooBig returns a finding when a JSON value is more than limit bytes as
// compact JSON.
func TooBig(path, field string, v any, limit int) []Finding {
	if v == nil {
		return nil
	}
	if m, ok := v.(*ordered.Map); ok && m == nil {
		return nil
	}
	b, err := ordered.Marshal(v)
	if err != nil {
		b, _ = json.Marshal(v)
	}
	if len(b) <= limit {
		return nil
	}
	return []Finding{(&LimitError{Path: path, Field: field, Size: len(b), Limit: limit, Unit: "bytes as JSON"}).Finding()}
}

// CheckLimits reports every field and list of the catalog over lim, with
// catalog paths. Node groups come from the infrastructure config (an
// operator's file) and are not limited here; the stored document as a whole
// is (see profilelist.CheckStored).
func (c *Catalog) CheckLimits(lim Limits) []Finding {
	var fs []Finding
	add := func(more []Finding) { fs = append(fs, more...) }
	add(TooMany("/images", "the image catalog", len(c.Images), lim.Images, "images"))
	add(TooMany("/profiles", "the list", len(c.Profiles), lim.Profiles, "profiles"))
	if len(fs) > 0 {
		return fs // a list that long is refused as a whole, not field by field
	}
	for i, im := range c.Images {
		p := Pointer("images", i)
		add(TooLong(p+"/slug", "slug", im.Slug, lim.Key))
		add(TooLong(p+"/display_name", "display_name", im.DisplayName, lim.Name))
		add(TooLong(p+"/description", "description", im.Description, lim.Description))
		add(TooLong(p+"/ref", "ref", im.Ref, lim.ImageRef))
	}
	add(TooLong("/defaults/image", "image", c.Defaults.Image, lim.Key))
	add(TooLong("/defaults/default_url", "default_url", c.Defaults.DefaultURL, lim.Path))
	for i := range c.Profiles {
		pr := &c.Profiles[i]
		p := Pointer("profiles", i)
		add(TooLong(p+"/slug", "slug", pr.Slug, lim.Key))
		add(TooLong(p+"/display_name", "display_name", pr.DisplayName, lim.Name))
		add(TooLong(p+"/description", "description", pr.Description, lim.Description))
		add(checkGroups(p, pr.AllowedGroups, lim))
		add(checkRefLimits(p, pr.Image, pr.NodeGroup, pr.DefaultURL, lim))
		add(TooBig(p+"/kubespawner_override", "kubespawner_override", pr.Override, lim.Override))
		add(TooBig(p+"/extra", "extra", pr.Extra, lim.Override))
		add(TooMany(p+"/options", "options", len(pr.Options), lim.Options, "options"))
		for j := range pr.Options {
			o := &pr.Options[j]
			op := Pointer("profiles", i, "options", j)
			add(TooLong(op+"/key", "key", o.Key, lim.Key))
			add(TooLong(op+"/display_name", "display_name", o.DisplayName, lim.Name))
			add(TooBig(op+"/extra", "extra", o.Extra, lim.Override))
			add(TooMany(op+"/choices", "choices", len(o.Choices), lim.Choices, "choices"))
			for k := range o.Choices {
				ch := &o.Choices[k]
				cp := Pointer("profiles", i, "options", j, "choices", k)
				add(TooLong(cp+"/key", "key", ch.Key, lim.Key))
				add(TooLong(cp+"/display_name", "display_name", ch.DisplayName, lim.Name))
				add(TooLong(cp+"/description", "description", ch.Description, lim.Description))
				add(checkGroups(cp, ch.AllowedGroups, lim))
				add(checkRefLimits(cp, ch.Image, ch.NodeGroup, ch.DefaultURL, lim))
				add(TooBig(cp+"/kubespawner_override", "kubespawner_override", ch.Override, lim.Override))
				add(TooBig(cp+"/extra", "extra", ch.Extra, lim.Override))
			}
			if u := o.Unlisted; u != nil {
				up := op + "/unlisted_choice"
				add(TooLong(up+"/display_name", "display_name", u.DisplayName, lim.Name))
				add(TooLong(up+"/display_name_in_choices", "display_name_in_choices", u.DisplayNameInChoices, lim.Name))
				add(TooLong(up+"/validation_regex", "validation_regex", u.ValidationRegex, lim.Validation))
				add(TooLong(up+"/validation_message", "validation_message", u.ValidationMessage, lim.Validation))
				add(TooBig(up+"/kubespawner_override", "kubespawner_override", u.Override, lim.Override))
				add(TooBig(up+"/extra", "extra", u.Extra, lim.Override))
			}
		}
	}
	return fs
}

func checkGroups(p string, groups []string, lim Limits) []Finding {
	fs := TooMany(p+"/allowed_groups", "allowed_groups", len(groups), lim.AllowedGroups, "groups")
	for i, g := range groups {
		fs = append(fs, TooLong(p+Pointer("allowed_groups", i), "a group name", g, lim.Group)...)
	}
	return fs
}

func checkRefLimits(p, image, nodeGroup, defaultURL string, lim Limits) []Finding {
	var fs []Finding
	fs = append(fs, TooLong(p+"/image", "image", image, lim.Key)...)
	fs = append(fs, TooLong(p+"/node_group", "node_group", nodeGroup, lim.Path)...)
	fs = append(fs, TooLong(p+"/default_url", "default_url", defaultURL, lim.Path)...)
	return fs
}

package profilelist

import (
	"github.com/jupyterhub/hubprofiles/model"
	"github.com/jupyterhub/hubprofiles/ordered"
)

// CheckListLimits reports what in a profile list as written (a JSON value,
// paths into the list) is over lim: the same numbers as
// model.(*Catalog).CheckLimits, so a list is refused before it is imported,
// validated or rendered.
func CheckListLimits(list any, lim model.Limits) []model.Finding {
	items, ok := list.([]any)
	if !ok {
		return nil // Validate says what is wrong with its shape
	}
	if fs := model.TooMany("", "the list", len(items), lim.Profiles, "profiles"); fs != nil {
		return fs
	}
	var fs []model.Finding
	for i, item := range items {
		m, ok := item.(*ordered.Map)
		if !ok {
			continue
		}
		p := model.Pointer(i)
		fs = append(fs, mapLimits(p, m, lim, map[string]int{
			"display_name": lim.Name, "slug": lim.Key, "description": lim.Description,
		})...)
		opts, ok := m.Get("profile_options")
		om, isMap := opts.(*ordered.Map)
		if !ok || !isMap {
			continue
		}
		fs = append(fs, model.TooMany(p+"/profile_options", "profile_options", om.Len(), lim.Options, "options")...)
		for _, key := range om.Keys() {
			op := p + model.Pointer("profile_options", key)
			fs = append(fs, model.TooLong(op, "an option key", key, lim.Key)...)
			o, _ := om.Get(key)
			omap, ok := o.(*ordered.Map)
			if !ok {
				continue
			}
			fs = append(fs, mapLimits(op, omap, lim, map[string]int{"display_name": lim.Name})...)
			if ch, ok := omap.Get("choices"); ok {
				if cm, ok := ch.(*ordered.Map); ok {
					fs = append(fs, model.TooMany(op+"/choices", "choices", cm.Len(), lim.Choices, "choices")...)
					for _, ck := range cm.Keys() {
						cp := op + model.Pointer("choices", ck)
						fs = append(fs, model.TooLong(cp, "a choice key", ck, lim.Key)...)
						if c, _ := cm.Get(ck); c != nil {
							if cmap, ok := c.(*ordered.Map); ok {
								fs = append(fs, mapLimits(cp, cmap, lim, map[string]int{"display_name": lim.Name, "description": lim.Description})...)
							}
						}
					}
				}
			}
			if u, ok := omap.Get("unlisted_choice"); ok {
				if umap, ok := u.(*ordered.Map); ok {
					fs = append(fs, mapLimits(op+"/unlisted_choice", umap, lim, map[string]int{
						"display_name": lim.Name, "display_name_in_choices": lim.Name,
						"validation_regex": lim.Validation, "validation_message": lim.Validation,
					})...)
				}
			}
		}
	}
	return fs
}

// mapLimits checks the text fields of one level of the list (texts: key ->
// limit in characters), its allowed_groups and kubespawner_override, and
// every other key as a JSON value of at most lim.Override bytes.
func mapLimits(p string, m *ordered.Map, lim model.Limits, texts map[string]int) []model.Finding {
	var fs []model.Finding
	for _, k := range m.Keys() {
		v, _ := m.Get(k)
		kp := p + model.Pointer(k)
		if n, ok := texts[k]; ok {
			if s, ok := v.(string); ok {
				fs = append(fs, model.TooLong(kp, k, s, n)...)
				continue
			}
		}
		switch k {
		case "profile_options", "choices", "unlisted_choice":
			continue // walked by the caller
		case "allowed_groups":
			if gs, ok := v.([]any); ok {
				fs = append(fs, model.TooMany(kp, k, len(gs), lim.AllowedGroups, "groups")...)
				for i, g := range gs {
					if s, ok := g.(string); ok {
						fs = append(fs, model.TooLong(kp+model.Pointer(i), "a group name", s, lim.Group)...)
					}
				}
				continue
			}
		case "kubespawner_override":
			if ov, ok := v.(*ordered.Map); ok {
				if ref, ok := ov.Get("image"); ok {
					if s, ok := ref.(string); ok {
						fs = append(fs, model.TooLong(kp+"/image", "image", s, lim.ImageRef)...)
					}
				}
			}
		}
		fs = append(fs, model.TooBig(kp, k, v, lim.Override)...)
	}
	return fs
}

// CheckStored reports a catalog document (as it would be stored) or its
// rendered profile list that is over the per-catalog limits, or that the
// parser could not read back with half of its own limits. It is the
// writer's last check: whatever passes it, serve, export and restore can
// read.
func CheckStored(doc, list []byte, lim model.Limits) []model.Finding {
	var fs []model.Finding
	for _, b := range []struct {
		what string
		data []byte
	}{{"the catalog", doc}, {"the rendered profile list", list}} {
		if len(b.data) > lim.CatalogBytes {
			fs = append(fs, (&model.LimitError{Path: "", Field: b.what, Size: len(b.data), Limit: lim.CatalogBytes, Unit: "bytes"}).Finding())
			continue
		}
		v, err := ordered.DecodeJSON(b.data, lim.CatalogDepth)
		if err != nil {
			fs = append(fs, model.Finding{Severity: model.Error, Path: "", Message: b.what + " would not read back within the limits (" +
				err.Error() + "): make it less deeply nested"})
			continue
		}
		if n := countValues(v); n > lim.CatalogValues {
			fs = append(fs, (&model.LimitError{Path: "", Field: b.what, Size: n, Limit: lim.CatalogValues, Unit: "JSON values"}).Finding())
		}
	}
	return fs
}

// countValues counts every value in a decoded JSON value, itself included.
func countValues(v any) int {
	switch t := v.(type) {
	case []any:
		n := 1
		for _, e := range t {
			n += countValues(e)
		}
		return n
	case *ordered.Map:
		n := 1
		for _, k := range t.Keys() {
			e, _ := t.Get(k)
			n += countValues(e)
		}
		return n
	}
	return 1
}

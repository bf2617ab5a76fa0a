package model

import (
	"errors"
	"fmt"
	"slices"

	"github.com/jupyterhub/hubprofiles/ordered"
)

// Copying and removing the settings the model does not type (init
// containers, volume mounts, a command, ...) without writing them: an
// editor copies one from another profile, choice or free-text field, or
// removes one, or one named item of a list. Whether the copy is allowed is
// the edit package's business (a copy of an operator's value is not new).

// ErrNotCopyable is a copy or removal the setting does not allow: a typed
// setting, or items of something that is not a list of named objects.
var ErrNotCopyable = errors.New("cannot be copied or removed this way")

// Place is where a kubespawner_override is: a profile (Option empty), a
// choice of one of its options, or an option's free-text field (Option
// set, Choice empty).
type Place struct {
	Profile, Option, Choice string
}

func (pl Place) String() string {
	switch {
	case pl.Option == "":
		return fmt.Sprintf("profile %q", pl.Profile)
	case pl.Choice == "":
		return fmt.Sprintf("the free-text field of option %q of profile %q", pl.Option, pl.Profile)
	}
	return fmt.Sprintf("choice %q of option %q of profile %q", pl.Choice, pl.Option, pl.Profile)
}

// raw returns pointers to the raw override and extra maps at pl.
func (c *Catalog) raw(pl Place) (ov, extra **ordered.Map, err error) {
	p, err := c.Profile(pl.Profile)
	if err != nil {
		return nil, nil, err
	}
	if pl.Option == "" {
		return &p.Override, &p.Extra, nil
	}
	o, err := p.Option(pl.Option)
	if err != nil {
		return nil, nil, err
	}
	if pl.Choice == "" {
		if o.Unlisted == nil {
			return nil, nil, fmt.Errorf("%s: %w", pl, ErrNotFound)
		}
		return &o.Unlisted.Override, &o.Unlisted.Extra, nil
	}
	ch, err := o.Choice(pl.Choice)
	if err != nil {
		return nil, nil, err
	}
	return &ch.Override, &ch.Extra, nil
}

// Override is the raw kubespawner_override at pl (nil when it has none).
func (c *Catalog) Override(pl Place) (*ordered.Map, error) {
	ov, _, err := c.raw(pl)
	if err != nil {
		return nil, err
	}
	return *ov, nil
}

// typedKeys are the kubespawner_override keys the model types: they are
// written as fields, never copied raw.
var typedKeys = append([]string{"image", "default_url"}, SettingKeys...)

// CopySetting sets key in to's kubespawner_override to a copy of from's:
// the whole value, or, with items, the items of from's list of named
// objects with those names, in that order. The copy replaces what to had.
func (c *Catalog) CopySetting(to Place, key string, from Place, items []string) error {
	if slices.Contains(typedKeys, key) {
		return fmt.Errorf("kubespawner_override.%s is a typed setting (%w): set it as a field", key, ErrNotCopyable)
	}
	src, _, err := c.raw(from)
	if err != nil {
		return err
	}
	v, ok := (*src).Get(key)
	if !ok {
		return fmt.Errorf("kubespawner_override.%s of %s: %w", key, from, ErrNotFound)
	}
	if items != nil {
		list, ok := namedList(v)
		if !ok {
			return fmt.Errorf("kubespawner_override.%s of %s is not a list of named objects (%w): copy it whole", key, from, ErrNotCopyable)
		}
		picked := make([]any, 0, len(items))
		for _, name := range items {
			i := slices.IndexFunc(list, func(x any) bool { return ItemName(x) == name })
			if i < 0 {
				return fmt.Errorf("item %q of kubespawner_override.%s of %s: %w", name, key, from, ErrNotFound)
			}
			picked = append(picked, list[i])
		}
		if len(picked) == 0 {
			return fmt.Errorf("name at least one item of kubespawner_override.%s to copy (%w)", key, ErrNotCopyable)
		}
		v = picked
	}
	dst, _, err := c.raw(to)
	if err != nil {
		return err
	}
	if *dst == nil {
		*dst = ordered.NewMap()
	}
	(*dst).Set(key, ordered.Clone(v))
	return nil
}

// RemoveSetting deletes key from at's kubespawner_override; with item, only
// the item of that name from a list of named objects (the key goes with
// its last item).
func (c *Catalog) RemoveSetting(at Place, key, item string) error {
	if slices.Contains(typedKeys, key) {
		return fmt.Errorf("kubespawner_override.%s is a typed setting (%w): clear the field", key, ErrNotCopyable)
	}
	ov, _, err := c.raw(at)
	if err != nil {
		return err
	}
	v, ok := (*ov).Get(key)
	if !ok {
		return fmt.Errorf("kubespawner_override.%s of %s: %w", key, at, ErrNotFound)
	}
	if item != "" {
		list, ok := namedList(v)
		if !ok {
			return fmt.Errorf("kubespawner_override.%s of %s is not a list of named objects (%w): remove it whole", key, at, ErrNotCopyable)
		}
		i := slices.IndexFunc(list, func(x any) bool { return ItemName(x) == item })
		if i < 0 {
			return fmt.Errorf("item %q of kubespawner_override.%s of %s: %w", item, key, at, ErrNotFound)
		}
		if len(list) > 1 {
			(*ov).Set(key, slices.Delete(slices.Clone(list), i, i+1))
			return nil
		}
	}
	(*ov).Delete(key)
	if (*ov).Len() == 0 {
		*ov = nil
	}
	return nil
}

// RemoveExtra deletes a key kept verbatim (one KubeSpawner ignores) at at.
func (c *Catalog) RemoveExtra(at Place, key string) error {
	_, extra, err := c.raw(at)
	if err != nil {
		return err
	}
	if !(*extra).Has(key) {
		return fmt.Errorf("%s of %s: %w", key, at, ErrNotFound)
	}
	(*extra).Delete(key)
	if (*extra).Len() == 0 {
		*extra = nil
	}
	return nil
}

// namedList is v as a list of Kubernetes objects with a name each.
func namedList(v any) ([]any, bool) {
	list, ok := v.([]any)
	if !ok {
		return nil, false
	}
	for _, x := range list {
		if ItemName(x) == "" {
			return nil, false
		}
	}
	return list, true
}

// ItemName is the name of a Kubernetes object in a list ("" if none).
func ItemName(v any) string {
	m, _ := v.(*ordered.Map)
	if m == nil {
		return ""
	}
	name, _ := m.Get("name")
	s, _ := name.(string)
	return s
}

package model

import (
	"fmt"
)

// Profile returns the profile with the given slug.
func (c *Catalog) Profile(slug string) (*Profile, error) {
	i := c.ProfileIndex(slug)
	if i < 0 {
		return nil, fmt.Errorf("profile %q: %w", slug, ErrNotFound)
	}
	return &c.Profiles[i], nil
}

// Option returns the option with the given key.
func (p *Profile) Option(key string) (*Option, error) {
	if j := p.OptionIndex(key); j >= 0 {
		return &p.Options[j], nil
	}
	return nil, fmt.Errorf("option %q of profile %q: %w", key, p.Slug, ErrNotFound)
}

// OptionIndex is the position of the option with the given key, or -1.
func (p *Profile) OptionIndex(key string) int {
	for j := range p.Options {
		if p.Options[j].Key == key {
			return j
		}
	}
	return -1
}

// AddOption appends an option.
func (p *Profile) AddOption(o Option) error {
	if p.OptionIndex(o.Key) >= 0 {
		return fmt.Errorf("option %q of profile %q: %w", o.Key, p.Slug, ErrExists)
	}
	if o.Choices == nil {
		o.Choices = []Choice{}
	}
	p.Options = append(p.Options, o)
	return nil
}

// ReplaceOption replaces an option in its place; the new one may have
// another key.
func (p *Profile) ReplaceOption(key string, o Option) error {
	j := p.OptionIndex(key)
	if j < 0 {
		return fmt.Errorf("option %q of profile %q: %w", key, p.Slug, ErrNotFound)
	}
	if o.Key != key && p.OptionIndex(o.Key) >= 0 {
		return fmt.Errorf("option %q of profile %q: %w", o.Key, p.Slug, ErrExists)
	}
	if o.Choices == nil {
		o.Choices = []Choice{}
	}
	p.Options[j] = o
	return nil
}

// RemoveOption deletes an option.
func (p *Profile) RemoveOption(key string) error {
	j := p.OptionIndex(key)
	if j < 0 {
		return fmt.Errorf("option %q of profile %q: %w", key, p.Slug, ErrNotFound)
	}
	p.Options = append(p.Options[:j], p.Options[j+1:]...)
	return nil
}

// MoveOption puts an option at position to (0-based, clamped).
func (p *Profile) MoveOption(key string, to int) error {
	j := p.OptionIndex(key)
	if j < 0 {
		return fmt.Errorf("option %q of profile %q: %w", key, p.Slug, ErrNotFound)
	}
	p.Options = moveTo(p.Options, j, to)
	return nil
}

// DuplicateOption inserts a copy of an option, with every setting, right
// after it under a new key.
func (p *Profile) DuplicateOption(key, newKey, displayName string) error {
	j := p.OptionIndex(key)
	if j < 0 {
		return fmt.Errorf("option %q of profile %q: %w", key, p.Slug, ErrNotFound)
	}
	if p.OptionIndex(newKey) >= 0 {
		return fmt.Errorf("option %q of profile %q: %w", newKey, p.Slug, ErrExists)
	}
	o := p.Options[j].Clone()
	o.Key = newKey
	if displayName != "" {
		o.DisplayName = displayName
	}
	p.Options = insertAt(p.Options, j+1, o)
	return nil
}

// Choice returns the choice with the given key.
func (o *Option) Choice(key string) (*Choice, error) {
	if k := o.ChoiceIndex(key); k >= 0 {
		return &o.Choices[k], nil
	}
	return nil, fmt.Errorf("choice %q of option %q: %w", key, o.Key, ErrNotFound)
}

// ChoiceIndex is the position of the choice with the given key, or -1.
func (o *Option) ChoiceIndex(key string) int {
	for k := range o.Choices {
		if o.Choices[k].Key == key {
			return k
		}
	}
	return -1
}

// AddChoice appends a choice.
func (o *Option) AddChoice(ch Choice) error {
	if o.ChoiceIndex(ch.Key) >= 0 {
		return fmt.Errorf("choice %q of option %q: %w", ch.Key, o.Key, ErrExists)
	}
	o.Choices = append(o.Choices, ch)
	return nil
}

// ReplaceChoice replaces a choice in its place; the new one may have
// another key.
func (o *Option) ReplaceChoice(key string, ch Choice) error {
	k := o.ChoiceIndex(key)
	if k < 0 {
		return fmt.Errorf("choice %q of option %q: %w", key, o.Key, ErrNotFound)
	}
	if ch.Key != key && o.ChoiceIndex(ch.Key) >= 0 {
		return fmt.Errorf("choice %q of option %q: %w", ch.Key, o.Key, ErrExists)
	}
	o.Choices[k] = ch
	return nil
}

// RemoveChoice deletes a choice.
func (o *Option) RemoveChoice(key string) error {
	k := o.ChoiceIndex(key)
	if k < 0 {
		return fmt.Errorf("choice %q of option %q: %w", key, o.Key, ErrNotFound)
	}
	o.Choices = append(o.Choices[:k], o.Choices[k+1:]...)
	return nil
}

// MoveChoice puts a choice at position to (0-based, clamped).
func (o *Option) MoveChoice(key string, to int) error {
	k := o.ChoiceIndex(key)
	if k < 0 {
		return fmt.Errorf("choice %q of option %q: %w", key, o.Key, ErrNotFound)
	}
	o.Choices = moveTo(o.Choices, k, to)
	return nil
}

// DuplicateChoice inserts a copy of a choice, with every setting (raw
// override and extra keys included), right after it under a new key. The
// copy is never the default: an option has one. A choice's own slug names
// it, so the copy's slug, if the original had one, is its new key.
func (o *Option) DuplicateChoice(key, newKey, displayName string) error {
	k := o.ChoiceIndex(key)
	if k < 0 {
		return fmt.Errorf("choice %q of option %q: %w", key, o.Key, ErrNotFound)
	}
	if o.ChoiceIndex(newKey) >= 0 {
		return fmt.Errorf("choice %q of option %q: %w", newKey, o.Key, ErrExists)
	}
	ch := o.Choices[k].Clone()
	ch.Key, ch.Default = newKey, false
	if ch.Slug != "" {
		ch.Slug = newKey
	}
	if displayName != "" {
		ch.DisplayName = displayName
	}
	o.Choices = insertAt(o.Choices, k+1, ch)
	return nil
}

// DuplicateProfile inserts a copy of a profile, with every setting, right
// after it under a new slug. The copy is never the default profile.
func (c *Catalog) DuplicateProfile(slug, newSlug, displayName string) error {
	i := c.ProfileIndex(slug)
	if i < 0 {
		return fmt.Errorf("profile %q: %w", slug, ErrNotFound)
	}
	if c.ProfileIndex(newSlug) >= 0 {
		return fmt.Errorf("profile %q: %w", newSlug, ErrExists)
	}
	p := c.Profiles[i].Clone()
	p.Slug, p.Default = newSlug, false
	if displayName != "" {
		p.DisplayName = displayName
	}
	c.Profiles = insertAt(c.Profiles, i+1, p)
	return nil
}

// Clone is a deep copy: nil and empty lists stay as they were (an empty
// allowed_groups hides a profile from everyone; a missing one does not).
func (p Profile) Clone() Profile {
	p.AllowedGroups = cloneStrings(p.AllowedGroups)
	p.AllowedTeams = cloneStrings(p.AllowedTeams)
	p.Settings = p.Settings.Clone()
	p.Override = p.Override.Clone()
	p.Extra = p.Extra.Clone()
	if p.Options != nil {
		opts := make([]Option, len(p.Options))
		for j := range p.Options {
			opts[j] = p.Options[j].Clone()
		}
		p.Options = opts
	}
	return p
}

// Clone is a deep copy.
func (o Option) Clone() Option {
	if o.Choices != nil {
		chs := make([]Choice, len(o.Choices))
		for k := range o.Choices {
			chs[k] = o.Choices[k].Clone()
		}
		o.Choices = chs
	}
	if o.Unlisted != nil {
		u := *o.Unlisted
		u.Settings = u.Settings.Clone()
		u.Override = u.Override.Clone()
		u.Extra = u.Extra.Clone()
		o.Unlisted = &u
	}
	if o.DynamicImageBuilding != nil {
		d := *o.DynamicImageBuilding
		o.DynamicImageBuilding = &d
	}
	o.Extra = o.Extra.Clone()
	return o
}

// Clone is a deep copy.
func (ch Choice) Clone() Choice {
	ch.AllowedGroups = cloneStrings(ch.AllowedGroups)
	ch.Settings = ch.Settings.Clone()
	ch.Override = ch.Override.Clone()
	ch.Extra = ch.Extra.Clone()
	return ch
}

func cloneStrings(ss []string) []string {
	if ss == nil {
		return nil
	}
	return append([]string{}, ss...)
}

func moveTo[T any](s []T, from, to int) []T {
	x := s[from]
	s = append(s[:from], s[from+1:]...)
	to = max(0, min(to, len(s)))
	return insertAt(s, to, x)
}

func insertAt[T any](s []T, i int, x T) []T {
	s = append(s, x)
	copy(s[i+1:], s[i:])
	s[i] = x
	return s
}

package ui

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/jupyterhub/hubprofiles/edit"
	"github.com/jupyterhub/hubprofiles/kubespawner"
	"github.com/jupyterhub/hubprofiles/model"
	"github.com/jupyterhub/hubprofiles/ordered"
	"github.com/jupyterhub/hubprofiles/usage"
)

type profileRow struct {
	model.Profile
	Options  int
	Choices  int
	Position int // in the whole list (0-based), also when filtered
}

type profilesData struct {
	Rows  []profileRow
	Base  int64
	Query string // the filter typed ("" for all)
	Total int    // profiles in the catalog
	Usage *usage.Report
}

func (h *Handler) profilesPage(c echo.Context) error {
	st, err := h.head(c)
	if err != nil {
		return h.fail(c, err)
	}
	d := profilesData{Base: st.BaseID(), Query: strings.TrimSpace(c.QueryParam("q")), Total: len(st.Catalog.Profiles), Usage: h.edit.Usage(st.Catalog)}
	for i, p := range st.Catalog.Profiles {
		row := profileRow{Profile: p, Options: len(p.Options), Position: i}
		words := []string{p.Slug, p.DisplayName, p.Description, p.Image, p.NodeGroup, strings.Join(p.AllowedGroups, " ")}
		for _, o := range p.Options {
			row.Choices += len(o.Choices)
			words = append(words, o.Key, o.DisplayName)
			for _, ch := range o.Choices {
				words = append(words, ch.Key, ch.DisplayName, ch.Image, ch.NodeGroup)
			}
		}
		if matches(d.Query, words...) {
			d.Rows = append(d.Rows, row)
		}
	}
	return h.render(c, http.StatusOK, "profiles", "profile-list", h.page(c, "Profiles", "profiles", d))
}

// matches says whether every word of a filter occurs in one of the fields
// (case-insensitive); an empty filter matches everything.
func matches(query string, fields ...string) bool {
	all := strings.ToLower(strings.Join(fields, "\x00"))
	for _, w := range strings.Fields(strings.ToLower(query)) {
		if !strings.Contains(all, w) {
			return false
		}
	}
	return true
}

func (h *Handler) newProfile(c echo.Context) error {
	st, err := h.head(c)
	if err != nil {
		return h.fail(c, err)
	}
	f := profileForm{New: true, Base: st.BaseID(), Errors: map[string]string{}}
	h.formChoices(&f, st.Catalog)
	return h.render(c, http.StatusOK, "profile", "profile-form", h.page(c, "Add a profile", "profiles", f))
}

func (h *Handler) editProfile(c echo.Context) error {
	st, err := h.head(c)
	if err != nil {
		return h.fail(c, err)
	}
	i := st.Catalog.ProfileIndex(c.Param("slug"))
	if i < 0 {
		return h.fail(c, fmt.Errorf("profile %q: %w", c.Param("slug"), model.ErrNotFound))
	}
	f := profileToForm(&st.Catalog.Profiles[i], h.edit.Config().Policy.EditorMay)
	f.Base, f.Errors = st.BaseID(), map[string]string{}
	h.formChoices(&f, st.Catalog)
	return h.render(c, http.StatusOK, "profile", "profile-form", h.page(c, "Profile "+f.DisplayName, "profiles", f))
}

func (h *Handler) formChoices(f *profileForm, c *model.Catalog) {
	f.Images, f.NodeGroups = c.Images, c.NodeGroups
	f.CopySources = lockedSources(c, h.edit.Config().Policy.EditorMay)
	f.Usage = h.edit.Usage(c)
	if f.SizeCount == "" {
		f.SizeCount = "4"
	}
}

var removeChoice = regexp.MustCompile(`^remove-choice:(\d+):(\d+)$`)

// saveProfile handles the editor's buttons: save, or change the form
// (add/remove an option or a choice, generate sizes) and show it again.
func (h *Handler) saveProfile(c echo.Context) error {
	orig := c.Param("slug") // "" for a new profile
	if err := c.Request().ParseForm(); err != nil {
		return h.message(c, http.StatusBadRequest, "Bad form", err.Error())
	}
	f := formToProfileForm(c.Request().PostForm)
	f.New, f.OrigSlug, f.Base, f.Errors = orig == "", orig, formBase(c), map[string]string{}
	st, err := h.head(c)
	if err != nil {
		return h.fail(c, err)
	}
	h.formChoices(&f, st.Catalog)
	title := "Profile " + f.DisplayName
	if f.New {
		title = "Add a profile"
	}
	again := func(status int) error {
		return h.render(c, status, "profile", "profile-form", h.page(c, title, "profiles", f))
	}
	switch action := c.FormValue("action"); {
	case action == "add-option":
		f.Options = append(f.Options, optionForm{Choices: []choiceForm{{}}})
		return again(http.StatusOK)
	case strings.HasPrefix(action, "add-choice:"):
		i, _ := strconv.Atoi(strings.TrimPrefix(action, "add-choice:"))
		if i >= 0 && i < len(f.Options) {
			f.Options[i].Choices = append(f.Options[i].Choices, choiceForm{})
		}
		return again(http.StatusOK)
	case strings.HasPrefix(action, "remove-option:"):
		i, _ := strconv.Atoi(strings.TrimPrefix(action, "remove-option:"))
		if i >= 0 && i < len(f.Options) {
			f.Options = append(f.Options[:i], f.Options[i+1:]...)
		}
		return again(http.StatusOK)
	case removeChoice.MatchString(action):
		m := removeChoice.FindStringSubmatch(action)
		i, _ := strconv.Atoi(m[1])
		j, _ := strconv.Atoi(m[2])
		if i < len(f.Options) && j < len(f.Options[i].Choices) {
			f.Options[i].Choices = append(f.Options[i].Choices[:j], f.Options[i].Choices[j+1:]...)
		}
		return again(http.StatusOK)
	case duplicateChoice.MatchString(action):
		// A copy of everything the form holds for the choice (raw JSON
		// included), right after it, not the default, with a free key.
		m := duplicateChoice.FindStringSubmatch(action)
		i, _ := strconv.Atoi(m[1])
		j, _ := strconv.Atoi(m[2])
		if i < len(f.Options) && j < len(f.Options[i].Choices) {
			o := &f.Options[i]
			cp := o.Choices[j]
			cp.Default = false
			cp.Key = freeChoiceKey(o.Choices, cp.Key+"-copy")
			if cp.DisplayName != "" {
				cp.DisplayName += " (copy)"
			}
			o.Choices = append(o.Choices[:j+1], append([]choiceForm{cp}, o.Choices[j+1:]...)...)
		}
		return again(http.StatusOK)
	case strings.HasPrefix(action, "remove-locked:"):
		// An operator's setting, or one named item of it, leaves the form;
		// saving removes it (removing narrows what a pod may do).
		name, rest, _ := strings.Cut(strings.TrimPrefix(action, "remove-locked:"), ":")
		key, item, _ := strings.Cut(rest, ":")
		if lk := f.locked(name); lk != nil {
			*lk = removeLocked(*lk, key, item)
		}
		return again(http.StatusOK)
	case strings.HasPrefix(action, "copy-locked:"):
		// The operators' settings of another place of the head, as they
		// are: saving keeps them only where no more people can pick them
		// than at their source (docs/security.md).
		name := strings.TrimPrefix(action, "copy-locked:")
		lk := f.locked(name)
		pl, ok := decodePlace(c.FormValue(name + ".copy_from"))
		var src *ordered.Map
		if ok {
			src, err = st.Catalog.Override(pl)
		}
		if lk == nil || !ok || err != nil {
			f.Errors[name+".copy_from"] = "pick a profile, choice or free-text field of the list to copy from"
			return again(http.StatusUnprocessableEntity)
		}
		*lk = copyLocked(*lk, src, h.edit.Config().Policy.EditorMay)
		return again(http.StatusOK)
	case action == "apply-offers":
		if len(f.OfferImages) == 0 && len(f.OfferGroups) == 0 {
			f.Errors["offer"] = "tick at least one image or node group"
			return again(http.StatusUnprocessableEntity)
		}
		f.applyOffers(st.Catalog.Images, st.Catalog.NodeGroups)
		return again(http.StatusOK)
	case action == "generate-sizes":
		n, err := strconv.Atoi(f.SizeCount)
		if err != nil {
			n = 0
		}
		if msg := f.generateSizes(st.Catalog, n); msg != "" {
			f.Errors["size_group"] = msg
			return again(http.StatusUnprocessableEntity)
		}
		return again(http.StatusOK)
	}

	p := f.toProfile(f.Errors)
	if len(f.Errors) > 0 {
		return again(http.StatusUnprocessableEntity)
	}
	msg := "edit profile " + orig
	if f.New {
		msg = "add profile " + p.Slug
	}
	index := -1
	res, err := h.edit.Commit(c.Request().Context(), edit.Change{Base: f.Base, Author: author(c), Message: msg, Apply: func(cat *model.Catalog) error {
		if f.New {
			index = len(cat.Profiles)
			return cat.AddProfile(p)
		}
		index = cat.ProfileIndex(orig)
		if index >= 0 {
			keepOverrideOrder(&cat.Profiles[index], &p)
		}
		return cat.ReplaceProfile(orig, p)
	}})
	if err != nil {
		f.Form = h.formErrorFunc(err, f.Errors, func(path string) (string, bool) { return profileField(path, index) })
		if se := staleOf(err); se != nil {
			f.Changes = se.Changes
			f.Summary = h.summarize(c, se.Base, se.Head)
			f.Base = se.Head // saving again applies the admin's form over the new head
			if !f.New {
				h.mergeStale(c, &f, orig, se)
			}
		}
		if f.Form == "" && len(f.Errors) == 0 {
			return h.fail(c, err)
		}
		return again(statusOf(err))
	}
	if note := nothingChanged(res); note != "" {
		return h.done(c, "profiles", note)
	}
	flash := "Saved profile " + p.DisplayName + "."
	if n := len(res.Warnings); n > 0 {
		flash += fmt.Sprintf(" %d warning(s): see the dashboard.", n)
	}
	return h.done(c, "profiles", flash)
}

// mergeStale merges a stale form with what was saved meanwhile (merge.go):
// the form then holds the head's values where the admin changed nothing.
// Without the profile in both revisions (renamed or removed meanwhile) the
// form stays as posted, with the list of what changed.
func (h *Handler) mergeStale(c echo.Context, f *profileForm, orig string, se *edit.StaleError) {
	ctx := c.Request().Context()
	bst, err := h.edit.At(ctx, se.Base)
	if err != nil {
		return
	}
	hst, err := h.edit.At(ctx, se.Head)
	if err != nil {
		return
	}
	bi, hi := bst.Catalog.ProfileIndex(orig), hst.Catalog.ProfileIndex(orig)
	if bi < 0 || hi < 0 {
		return
	}
	may := h.edit.Config().Policy.EditorMay
	base, theirs := profileToForm(&bst.Catalog.Profiles[bi], may), profileToForm(&hst.Catalog.Profiles[hi], may)
	m := mergeProfileForms(&base, &theirs, f)
	f.Pending, f.Conflicts, f.Notes = m.Pending, m.Conflicts, m.Notes
	for k, v := range m.Errors {
		f.Errors[k] = v
	}
	f.Form = fmt.Sprintf("Someone else changed the catalog while you were editing (revision %d → %d). Nothing was saved yet. "+
		"The form now holds their change with yours on top", se.Base, se.Head)
	if len(m.Conflicts) > 0 {
		f.Form += "; where you both changed a field, yours is kept and marked: decide, then save again."
	} else {
		f.Form += ": check it and save again."
	}
}

// keepOverrideOrder carries the imported key order of each override (which
// the form does not show) from the profile being replaced to its new
// version, so saving a page unchanged leaves the served bytes as they were.
func keepOverrideOrder(old, p *model.Profile) {
	p.OverrideOrder = old.OverrideOrder
	for j := range p.Options {
		o := &p.Options[j]
		oldO, err := old.Option(o.Key)
		if err != nil {
			continue
		}
		for k := range o.Choices {
			if ch, err := oldO.Choice(o.Choices[k].Key); err == nil {
				o.Choices[k].OverrideOrder = ch.OverrideOrder
			}
		}
		if o.Unlisted != nil && oldO.Unlisted != nil {
			o.Unlisted.OverrideOrder = oldO.Unlisted.OverrideOrder
		}
	}
}

var duplicateChoice = regexp.MustCompile(`^duplicate-choice:(\d+):(\d+)$`)

// freeChoiceKey is key, or key-2, key-3, ... when a choice already has it.
func freeChoiceKey(chs []choiceForm, key string) string {
	used := func(k string) bool {
		for _, ch := range chs {
			if ch.Key == k {
				return true
			}
		}
		return false
	}
	out := key
	for n := 2; used(out); n++ {
		out = fmt.Sprintf("%s-%d", key, n)
	}
	return out
}

func taken(opts []optionForm, key string) bool {
	for _, o := range opts {
		if o.Key == key {
			return true
		}
	}
	return false
}

// profileField maps a finding's catalog path to the editor's field name:
// /profiles/3/kubespawner_override/mem_limit → mem_limit,
// /profiles/3/options/0/choices/2/image → opt.0.choice.2.image.
func profileField(path string, index int) (string, bool) {
	rest, ok := strings.CutPrefix(path, fmt.Sprintf("/profiles/%d", index))
	if !ok || index < 0 {
		return "", false
	}
	parts := strings.Split(strings.TrimPrefix(rest, "/"), "/")
	prefix := ""
	if len(parts) >= 2 && parts[0] == "options" {
		prefix = "opt." + parts[1] + "."
		parts = parts[2:]
		if len(parts) >= 2 && parts[0] == "choices" {
			prefix += "choice." + parts[1] + "."
			parts = parts[2:]
		} else if len(parts) >= 1 && parts[0] == "unlisted_choice" {
			return prefix + unlistedField(parts[1:]), true
		}
	}
	if len(parts) == 0 || parts[0] == "" {
		return prefix + "key", prefix != ""
	}
	switch parts[0] {
	case "kubespawner_override":
		if len(parts) >= 2 {
			switch parts[1] {
			case "mem_guarantee", "mem_limit", "cpu_guarantee", "cpu_limit":
				return prefix + parts[1], true
			case "extra_resource_limits":
				return prefix + "gpu", true
			case "default_url":
				return prefix + "default_url", true
			}
		}
		return prefix + "override", true
	case "extra":
		return prefix + "extra", true
	case "mem_guarantee", "mem_limit", "cpu_guarantee", "cpu_limit", "gpu":
		return prefix + parts[0], true // typed settings
	case "environment", "override_order":
		return prefix + "override", true // shown in the JSON field
	case "slug", "display_name", "description", "image", "node_group", "default_url", "allowed_groups", "key", "default":
		return prefix + parts[0], true
	}
	return "", false
}

func unlistedField(parts []string) string {
	if len(parts) == 0 {
		return "unlisted.enabled"
	}
	switch parts[0] {
	case "validation_regex":
		return "unlisted.regex"
	case "validation_message":
		return "unlisted.message"
	case "kubespawner_override", "mem_guarantee", "mem_limit", "cpu_guarantee", "cpu_limit", "gpu", "environment", "override_order":
		return "unlisted.override" // typed settings are shown in its JSON
	}
	return "unlisted." + parts[0]
}

func (h *Handler) deleteProfile(c echo.Context) error {
	slug := c.Param("slug")
	_, err := h.edit.Commit(c.Request().Context(), edit.Change{Base: formBase(c), Author: author(c), Message: "remove profile " + slug,
		Apply: func(cat *model.Catalog) error { return cat.RemoveProfile(slug) }})
	if err != nil {
		return h.fail(c, err)
	}
	return h.done(c, "profiles", "Removed profile "+slug+". Publish to take it away from users.")
}

func (h *Handler) moveProfile(c echo.Context) error {
	slug := c.Param("slug")
	// The arrows send to (0-based); the move-to field sends the position
	// users read (1-based), a number input rather than a drop-down of every
	// position, which on a big hub made the page quadratic (500 profiles:
	// 250,000 options).
	var to int
	var err error
	if pos := c.FormValue("position"); pos != "" {
		to, err = strconv.Atoi(pos)
		to--
	} else {
		to, err = strconv.Atoi(c.FormValue("to"))
	}
	if err != nil {
		return h.message(c, http.StatusBadRequest, "Bad position", "the position must be a number")
	}
	_, err = h.edit.Commit(c.Request().Context(), edit.Change{Base: edit.NoBase, Author: author(c),
		Message: fmt.Sprintf("move profile %s to position %d", slug, to+1),
		Apply:   func(cat *model.Catalog) error { return cat.MoveProfile(slug, to) }})
	if err != nil {
		return h.fail(c, err)
	}
	if c.Request().Header.Get("HX-Request") == "true" {
		return h.profilesPage(c)
	}
	return h.done(c, "profiles", "")
}

// duplicateProfile copies a profile with every setting (including raw
// override keys the form may not let an editor write) under a free slug,
// right after it, and opens the copy's editor: most new profiles are an
// existing one with another image, size or node type.
func (h *Handler) duplicateProfile(c echo.Context) error {
	slug := c.Param("slug")
	var newSlug string
	_, err := h.edit.Commit(c.Request().Context(), edit.Change{Base: edit.NoBase, Author: author(c),
		Message: "duplicate profile " + slug,
		Apply: func(cat *model.Catalog) error {
			p, err := cat.Profile(slug)
			if err != nil {
				return err
			}
			newSlug = slug + "-copy"
			for n := 2; cat.ProfileIndex(newSlug) >= 0; n++ {
				newSlug = fmt.Sprintf("%s-copy-%d", slug, n)
			}
			return cat.DuplicateProfile(slug, newSlug, p.DisplayName+" (copy)")
		}})
	if err != nil {
		return h.fail(c, err)
	}
	return h.done(c, "profiles/"+url.PathEscape(newSlug), "Copied profile "+slug+" as "+newSlug+": rename it and change what differs.")
}

type regexResult struct {
	Problems []kubespawner.Problem
	Value    string
	Matches  string // "yes", "no" or "" when it cannot be tried here
}

// regexTest checks a validation_regex and tries it on a value, as the
// server would (re.match, anchored at the start).
func (h *Handler) regexTest(c echo.Context) error {
	rx, value := c.FormValue("regex"), c.FormValue("value")
	for k, vs := range c.Request().PostForm {
		if strings.HasSuffix(k, ".unlisted.regex") && len(vs) > 0 && rx == "" {
			rx = vs[0]
		}
	}
	res := regexResult{Problems: kubespawner.CheckRegex(rx), Value: value}
	if re, err := regexp.Compile(`^(?:` + rx + `)`); err == nil && value != "" {
		res.Matches = "no"
		if re.MatchString(value) {
			res.Matches = "yes"
		}
	}
	return h.render(c, http.StatusOK, "regex", "regex-result", h.page(c, "Regex test", "profiles", res))
}

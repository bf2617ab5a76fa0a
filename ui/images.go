package ui

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/jupyterhub/hubprofiles/auth"
	"github.com/jupyterhub/hubprofiles/edit"
	"github.com/jupyterhub/hubprofiles/kubespawner"
	"github.com/jupyterhub/hubprofiles/model"
	"github.com/jupyterhub/hubprofiles/profilelist"
	"github.com/jupyterhub/hubprofiles/registry"
	"github.com/jupyterhub/hubprofiles/usage"
)

// imageRow is an image with what the registry last said and where it is used.
type imageRow struct {
	model.Image
	Status  string // "" when never checked
	Message string
	UsedBy  []string
}

func (h *Handler) imageRows(c *model.Catalog) []imageRow {
	rows := make([]imageRow, 0, len(c.Images))
	users := c.AllImageUsers()
	for _, im := range c.Images {
		row := imageRow{Image: im, UsedBy: users[im.Slug]}
		if h.images != nil {
			if r, ok := h.images.Cached(im.Ref); ok {
				row.Status, row.Message = string(r.Status), r.Message
			}
		}
		rows = append(rows, row)
	}
	return rows
}

type imagesData struct {
	Rows   []imageRow
	Base   int64
	Unused int    // how many images nothing uses
	Query  string // the filter typed ("" for all)
	Total  int    // images in the catalog
	Newer  []repoHint
	Usage  *usage.Report
}

func (h *Handler) imagesPage(c echo.Context) error {
	st, err := h.head(c)
	if err != nil {
		return h.fail(c, err)
	}
	d := imagesData{Base: st.BaseID(), Query: strings.TrimSpace(c.QueryParam("q")), Total: len(st.Catalog.Images),
		Unused: len(st.Catalog.UnusedImages()), Usage: h.edit.Usage(st.Catalog),
		Newer: h.newerHints(c.Request().Context(), st.Catalog)}
	for _, row := range h.imageRows(st.Catalog) {
		if matches(d.Query, append([]string{row.Slug, row.DisplayName, row.Ref, row.Status}, row.UsedBy...)...) {
			d.Rows = append(d.Rows, row)
		}
	}
	return h.render(c, http.StatusOK, "images", "image-list", h.page(c, "Images", "images", d))
}

// imageForm is the add/edit form with its errors.
type imageForm struct {
	New    bool
	Slug   string // the image's slug as stored: where the form posts (Image.Slug may be a new one)
	Image  model.Image
	Base   int64
	Errors map[string]string
	Form   string // a form-level error
	Check  *registry.Result
	Newer  []string
	UsedBy []string
	Force  bool
	Stale  *edit.StaleError
}

func (h *Handler) newImage(c echo.Context) error {
	st, err := h.head(c)
	if err != nil {
		return h.fail(c, err)
	}
	return h.render(c, http.StatusOK, "image", "image-form", h.page(c, "Add an image", "images", imageForm{New: true, Base: st.BaseID()}))
}

func (h *Handler) editImage(c echo.Context) error {
	st, err := h.head(c)
	if err != nil {
		return h.fail(c, err)
	}
	im, ok := st.Catalog.Image(c.Param("slug"))
	if !ok {
		return h.fail(c, fmt.Errorf("image %q: %w", c.Param("slug"), model.ErrNotFound))
	}
	f := imageForm{Slug: im.Slug, Image: *im, Base: st.BaseID(), UsedBy: st.Catalog.ImageUsers(im.Slug)}
	if h.images != nil {
		res := h.images.Check(c.Request().Context(), im.Ref)
		f.Check = &res
		if tags, err := h.images.Tags(c.Request().Context(), im.Ref); err == nil {
			f.Newer = registry.NewerTags(profilelist.ImageTag(im.Ref), tags)
		}
	}
	return h.render(c, http.StatusOK, "image", "image-form", h.page(c, "Image "+im.Slug, "images", f))
}

// checkRefFragment answers the live check of the reference being typed.
func (h *Handler) checkRefFragment(c echo.Context) error {
	ref := strings.TrimSpace(c.QueryParam("ref"))
	var res *registry.Result
	if h.images != nil && ref != "" {
		r := h.images.Check(c.Request().Context(), ref)
		res = &r
	}
	return h.render(c, http.StatusOK, "image", "ref-check", h.page(c, "", "", imageForm{Check: res}))
}

func (h *Handler) createImage(c echo.Context) error {
	return h.saveImage(c, "")
}

func (h *Handler) updateImage(c echo.Context) error {
	return h.saveImage(c, c.Param("slug"))
}

// saveImage adds (slug == "") or changes an image. The reference is asked
// of its registry first: missing or not a reference is refused unless the
// admin ticks "save anyway".
func (h *Handler) saveImage(c echo.Context, slug string) error {
	f := imageForm{New: slug == "", Slug: slug, Errors: map[string]string{}, Force: c.FormValue("force") == "on"}
	f.Image = model.Image{Slug: strings.TrimSpace(c.FormValue("slug")), DisplayName: strings.TrimSpace(c.FormValue("display_name")),
		Description: strings.TrimSpace(c.FormValue("description")), Ref: strings.TrimSpace(c.FormValue("ref"))}
	if f.Image.Slug == "" {
		f.Image.Slug = slug // no short name sent: an existing image keeps its own
	}
	base, err := strconv.ParseInt(c.FormValue("base"), 10, 64)
	if err != nil {
		base = edit.NoBase
	}
	f.Base = base
	title := "Add an image"
	if !f.New {
		title = "Image " + slug
	}
	if f.Image.Ref == "" {
		f.Errors["ref"] = "an image needs a reference such as quay.io/jupyter/scipy-notebook:2025-06-02"
	}
	if f.Image.Slug == "" {
		f.Errors["slug"] = "an image needs a short name (lowercase letters, digits, hyphens)"
	}
	if h.images != nil && f.Image.Ref != "" {
		res := h.images.Recheck(c.Request().Context(), f.Image.Ref)
		f.Check = &res
		switch {
		case res.Status == registry.NotAllowed:
			f.Errors["ref"] = res.Message
		case (res.Status == registry.NotFound || res.Status == registry.Invalid) && !f.Force:
			f.Errors["ref"] = res.Message + " — tick “save anyway” to save it regardless (for an image being built)."
		}
	}
	if len(f.Errors) > 0 {
		return h.render(c, http.StatusUnprocessableEntity, "image", "image-form", h.page(c, title, "images", f))
	}
	msg := "add image " + f.Image.Slug
	switch {
	case !f.New && f.Image.Slug != slug:
		msg = fmt.Sprintf("rename image %s to %s: %s", slug, f.Image.Slug, f.Image.Ref)
	case !f.New:
		msg = fmt.Sprintf("image %s: %s", slug, f.Image.Ref)
	}
	res, err := h.edit.Commit(c.Request().Context(), edit.Change{Base: base, Author: author(c), Message: msg, Apply: func(cat *model.Catalog) error {
		if f.New {
			return cat.AddImage(f.Image)
		}
		// A new short name renames the image; the profiles, choices and
		// the hub default that use it follow.
		if err := cat.RenameImage(slug, f.Image.Slug); err != nil {
			return err
		}
		im, _ := cat.Image(f.Image.Slug)
		*im = f.Image
		return nil
	}})
	if err != nil {
		if formErr := h.formError(err, "/images/", f.Errors, map[string]string{"slug": "slug", "ref": "ref", "display_name": "display_name"}); formErr != "" || len(f.Errors) > 0 {
			f.Form = formErr
			f.Stale = staleOf(err)
			return h.render(c, statusOf(err), "image", "image-form", h.page(c, title, "images", f))
		}
		return h.fail(c, err)
	}
	if note := nothingChanged(res); note != "" {
		return h.done(c, "images", note)
	}
	return h.done(c, "images", "Saved image "+f.Image.Slug+".")
}

func (h *Handler) deleteImage(c echo.Context) error {
	slug := c.Param("slug")
	_, err := h.edit.Commit(c.Request().Context(), edit.Change{Base: formBase(c), Author: author(c), Message: "remove image " + slug,
		Apply: func(cat *model.Catalog) error { return cat.RemoveImage(slug) }})
	if err != nil {
		return h.fail(c, err)
	}
	return h.done(c, "images", "Removed image "+slug+".")
}

// confirmRemoveUnused shows, before anything is written, which images
// "Remove unused images" would remove; imports keep every image they add,
// so after a few tag bumps the catalog fills with images nothing offers.
func (h *Handler) confirmRemoveUnused(c echo.Context) error {
	head, err := h.head(c)
	if err != nil {
		return h.fail(c, err)
	}
	after := edit.Clone(head.Catalog)
	removed := after.RemoveUnusedImages()
	if len(removed) == 0 {
		return h.done(c, "images", "No image is unused: nothing to remove.")
	}
	d := confirmData{Heading: fmt.Sprintf("Remove %d unused image(s)?", len(removed)), Button: "Remove unused images", Danger: true,
		Action: "images/unused/remove", Cancel: "images", Base: head.BaseID(), WithBase: true,
		Lead: fmt.Sprintf("Removing writes a new draft without %s: no profile, choice or hub default uses them, so the list users get stays as it is. Compared with what is live:", strings.Join(removed, ", "))}
	if err := h.consequences(c, after, &d); err != nil {
		return h.fail(c, err)
	}
	return h.confirm(c, d)
}

// removeUnused removes every image nothing uses, in one revision.
func (h *Handler) removeUnused(c echo.Context) error {
	var removed []string
	res, err := h.edit.Commit(c.Request().Context(), edit.Change{Base: formBase(c), Author: author(c), Message: "remove unused images",
		Apply: func(cat *model.Catalog) error { removed = cat.RemoveUnusedImages(); return nil }})
	if err != nil {
		return h.fail(c, err)
	}
	if note := nothingChanged(res); note != "" {
		return h.done(c, "images", note)
	}
	return h.done(c, "images", fmt.Sprintf("Removed %d unused image(s): %s.", len(removed), strings.Join(removed, ", ")))
}

// bumpImage moves an image to a newer tag, everywhere it is used.
func (h *Handler) bumpImage(c echo.Context) error {
	slug, tag := c.Param("slug"), strings.TrimSpace(c.FormValue("tag"))
	st, err := h.head(c)
	if err != nil {
		return h.fail(c, err)
	}
	im, ok := st.Catalog.Image(slug)
	if !ok {
		return h.fail(c, fmt.Errorf("image %q: %w", slug, model.ErrNotFound))
	}
	newRef := profilelist.WithTag(im.Ref, tag)
	if h.images != nil {
		if res := h.images.Recheck(c.Request().Context(), newRef); res.Status != registry.Exists {
			return h.message(c, http.StatusUnprocessableEntity, "Not bumped", res.Message)
		}
	}
	old := profilelist.ImageTag(im.Ref)
	_, err = h.edit.Commit(c.Request().Context(), edit.Change{Base: formBase(c), Author: author(c),
		Message: fmt.Sprintf("image %s: tag %s → %s", slug, old, tag),
		Apply:   func(cat *model.Catalog) error { return cat.SetImageRef(slug, newRef) }})
	if err != nil {
		return h.fail(c, err)
	}
	return h.done(c, "images", fmt.Sprintf("Image %s now uses tag %s everywhere it is offered.", slug, tag))
}

func author(c echo.Context) string {
	if u := auth.UserOf(c); u != nil {
		return u.Name
	}
	return "unknown"
}

// formBase is the revision a form was rendered from (hidden field "base").
func formBase(c echo.Context) int64 {
	b, err := strconv.ParseInt(c.FormValue("base"), 10, 64)
	if err != nil {
		return edit.NoBase
	}
	return b
}

func formatBytes(n int64) string {
	if n == 0 {
		return "—"
	}
	return kubespawner.FormatBytes(n)
}

func toString(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return fmt.Sprint(v)
}

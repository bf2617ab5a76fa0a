package api

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/jupyterhub/hubprofiles/edit"
	"github.com/jupyterhub/hubprofiles/model"
	"github.com/jupyterhub/hubprofiles/registry"
)

// imageJSON is an image as scripts see it, with where it is used.
type imageJSON struct {
	model.Image
	UsedBy []string `json:"used_by"`
}

func imageView(c *model.Catalog, im model.Image) imageJSON {
	users := c.ImageUsers(im.Slug)
	if users == nil {
		users = []string{}
	}
	return imageJSON{Image: im, UsedBy: users}
}

func (h *Handler) listImages(c echo.Context) error {
	st, err := h.edit.Head(c.Request().Context())
	if err != nil {
		return err
	}
	out := make([]imageJSON, 0, len(st.Catalog.Images))
	for _, im := range st.Catalog.Images {
		out = append(out, imageView(st.Catalog, im))
	}
	setETag(c, st.BaseID())
	return c.JSON(http.StatusOK, map[string]any{"images": out})
}

func (h *Handler) getImage(c echo.Context) error {
	st, err := h.edit.Head(c.Request().Context())
	if err != nil {
		return err
	}
	im, ok := st.Catalog.Image(param(c, "slug"))
	if !ok {
		return fmt.Errorf("image %q: %w", param(c, "slug"), model.ErrNotFound)
	}
	setETag(c, st.BaseID())
	return c.JSON(http.StatusOK, imageView(st.Catalog, *im))
}

func (h *Handler) createImage(c echo.Context) error {
	var im model.Image
	if err := decode(c, &im); err != nil {
		return err
	}
	check, err := h.checkRef(c, im.Ref)
	if err != nil {
		return err
	}
	return h.write(c, http.StatusCreated, fmt.Sprintf("add image %s", im.Slug), false, func(cat *model.Catalog) error {
		return cat.AddImage(im)
	}, func(res *edit.Result) any {
		got, _ := res.Catalog.Image(im.Slug)
		c.Response().Header().Set("Location", c.Request().URL.Path+"/"+url.PathEscape(im.Slug))
		return imageView(res.Catalog, *got)
	}, check)
}

// imagePatch is a JSON merge patch of an image. A new slug renames it, and
// every profile, choice and the hub default that use it follow.
type imagePatch struct {
	Slug        *string `json:"slug"`
	DisplayName *string `json:"display_name"`
	Description *string `json:"description"`
	Ref         *string `json:"ref"`
}

func (h *Handler) patchImage(c echo.Context) error {
	slug := param(c, "slug")
	var p imagePatch
	if err := decode(c, &p); err != nil {
		return err
	}
	msg := "edit image " + slug
	var check *registry.Result
	if p.Ref != nil {
		msg = fmt.Sprintf("image %s: %s", slug, *p.Ref)
		var err error
		if check, err = h.checkRef(c, *p.Ref); err != nil {
			return err
		}
	}
	now := slug
	if p.Slug != nil && *p.Slug != slug {
		now = *p.Slug
		msg = fmt.Sprintf("rename image %s to %s", slug, now)
		if p.Ref != nil {
			msg += ": " + *p.Ref
		}
	}
	return h.write(c, http.StatusOK, msg, false, func(cat *model.Catalog) error {
		if err := cat.RenameImage(slug, now); err != nil {
			return err
		}
		im, _ := cat.Image(now)
		if p.DisplayName != nil {
			im.DisplayName = *p.DisplayName
		}
		if p.Description != nil {
			im.Description = *p.Description
		}
		if p.Ref != nil {
			im.Ref = *p.Ref
		}
		return nil
	}, func(res *edit.Result) any {
		got, _ := res.Catalog.Image(now)
		if now != slug {
			c.Response().Header().Set("Location", strings.TrimSuffix(c.Request().URL.Path, url.PathEscape(slug))+url.PathEscape(now))
		}
		return imageView(res.Catalog, *got)
	}, check)
}

func (h *Handler) deleteImage(c echo.Context) error {
	slug := param(c, "slug")
	return h.write(c, http.StatusOK, "remove image "+slug, false, func(cat *model.Catalog) error {
		return cat.RemoveImage(slug)
	}, nil, nil)
}

// write runs one catalog change as one revision and answers with the new
// revision, its warnings, the changed resource if view is given, and the
// registry check of a new image reference if there was one.
func (h *Handler) write(c echo.Context, status int, defMessage string, requireBase bool, apply func(*model.Catalog) error, view func(*edit.Result) any, check *registry.Result) error {
	b, err := base(c, requireBase)
	if err != nil {
		return err
	}
	publish := c.QueryParam("publish") == "true"
	res, err := h.edit.Commit(c.Request().Context(), edit.Change{
		Base: b, Author: author(c), Message: message(c, defMessage), Publish: publish, Apply: apply,
	})
	if err != nil {
		return err
	}
	setETag(c, res.Revision.ID)
	rev, err := h.resultRevision(c, res, publish)
	if err != nil {
		return err
	}
	body := map[string]any{"revision": rev, "warnings": fields(res.Warnings)}
	if res.Unchanged {
		status = http.StatusOK // nothing was created
		body["unchanged"] = true
	}
	if len(res.Errors) > 0 {
		body["errors"] = fields(res.Errors)
	}
	if view != nil {
		body["result"] = view(res)
	}
	if check != nil {
		body["check"] = check
	}
	return c.JSON(status, body)
}

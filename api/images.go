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
	return imageWithUsers(im, c.ImageUsers(im.Slug))
}

func imageWithUsers(im model.Image, users []string) imageJSON {
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
	unused, err := unusedParam(c)
	if err != nil {
		return err
	}
	out := make([]imageJSON, 0, len(st.Catalog.Images))
	users := st.Catalog.AllImageUsers()
	for _, im := range st.Catalog.Images {
		if v := imageWithUsers(im, users[im.Slug]); !unused || len(v.UsedBy) == 0 {
			out = append(out, v)
		}
	}
	setETag(c, st.BaseID())
	return c.JSON(http.StatusOK, imagesReply{Images: out})
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
	return h.write(c, writeOp{
		Status:  http.StatusCreated,
		Message: fmt.Sprintf("add image %s", im.Slug),
		Apply: func(cat *model.Catalog) error {
			return cat.AddImage(im)
		},
		View: func(res *edit.Result) any {
			got, _ := res.Catalog.Image(im.Slug)
			c.Response().Header().Set("Location", c.Request().URL.Path+"/"+url.PathEscape(im.Slug))
			return imageView(res.Catalog, *got)
		},
		Check: check,
	})
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
	return h.write(c, writeOp{
		Status:  http.StatusOK,
		Message: msg,
		Apply: func(cat *model.Catalog) error {
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
		},
		View: func(res *edit.Result) any {
			got, _ := res.Catalog.Image(now)
			if now != slug {
				c.Response().Header().Set("Location", strings.TrimSuffix(c.Request().URL.Path, url.PathEscape(slug))+url.PathEscape(now))
			}
			return imageView(res.Catalog, *got)
		},
		Check: check,
	})
}

func (h *Handler) deleteImage(c echo.Context) error {
	slug := param(c, "slug")
	return h.write(c, writeOp{
		Status:  http.StatusOK,
		Message: "remove image " + slug,
		Apply: func(cat *model.Catalog) error {
			return cat.RemoveImage(slug)
		},
	})
}

// writeOp is one write through the API: the change, and what the reply
// holds besides the new revision.
// removedImages is DELETE images?unused=true's result.
type removedImages struct {
	Removed []string `json:"removed"`
}

type writeOp struct {
	Status      int    // on success: 201 for a creation, else 200 (always 200 when nothing changed)
	Message     string // the revision message when the request names none
	RequireBase bool   // the write replaces a whole document: If-Match is required
	Apply       func(*model.Catalog) error
	View        func(*edit.Result) any // the changed resource, as "result"; nil for none
	Check       *registry.Result       // the registry's answer about a new image reference, as "check"
}

// unusedParam reads ?unused=true, which narrows a listing (and a removal)
// to the images nothing uses.
func unusedParam(c echo.Context) (bool, error) {
	switch c.QueryParam("unused") {
	case "":
		return false, nil
	case "true":
		return true, nil
	default:
		return false, apiError(http.StatusBadRequest, "bad_request", "unused must be true, or left out, not %q", c.QueryParam("unused"))
	}
}

// deleteUnusedImages removes, in one revision, every image nothing uses
// (DELETE images?unused=true); without the parameter it refuses rather
// than remove the whole catalog.
func (h *Handler) deleteUnusedImages(c echo.Context) error {
	if unused, err := unusedParam(c); err != nil || !unused {
		if err == nil {
			err = apiError(http.StatusBadRequest, "bad_request", "DELETE images removes only the images nothing uses: send unused=true")
		}
		return err
	}
	var removed []string
	return h.write(c, writeOp{
		Status:  http.StatusOK,
		Message: "remove unused images",
		Apply: func(cat *model.Catalog) error {
			removed = cat.RemoveUnusedImages()
			return nil
		},
		View: func(*edit.Result) any { return removedImages{Removed: append([]string{}, removed...)} },
	})
}

// write runs one catalog change as one revision and answers with the new
// revision, its warnings, the changed resource if op has a view, and the
// registry check of a new image reference if there was one.
func (h *Handler) write(c echo.Context, op writeOp) error {
	b, err := base(c, op.RequireBase)
	if err != nil {
		return err
	}
	publish := c.QueryParam("publish") == "true"
	res, err := h.edit.Commit(c.Request().Context(), edit.Change{
		Base: b, Author: author(c), Message: message(c, op.Message), Publish: publish, Apply: op.Apply,
	})
	if err != nil {
		return err
	}
	setETag(c, res.Revision.ID)
	rev, err := h.resultRevision(c, res, publish)
	if err != nil {
		return err
	}
	body := writeReply{Revision: rev, Warnings: fields(res.Warnings), Errors: fields(res.Errors), Unchanged: res.Unchanged, Check: op.Check}
	if op.View != nil {
		body.Result = op.View(res)
	}
	status := op.Status
	if res.Unchanged {
		status = http.StatusOK // nothing was created
	}
	return c.JSON(status, body)
}

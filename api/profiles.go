package api

import (
	"fmt"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/jupyterhub/hubprofiles/edit"
	"github.com/jupyterhub/hubprofiles/model"
)

func (h *Handler) listProfiles(c echo.Context) error {
	st, err := h.edit.Head(c.Request().Context())
	if err != nil {
		return err
	}
	profiles := st.Catalog.Profiles
	if profiles == nil {
		profiles = []model.Profile{}
	}
	setETag(c, st.BaseID())
	return c.JSON(http.StatusOK, profilesReply{Profiles: profiles})
}

func (h *Handler) getProfile(c echo.Context) error {
	st, err := h.edit.Head(c.Request().Context())
	if err != nil {
		return err
	}
	i := st.Catalog.ProfileIndex(param(c, "slug"))
	if i < 0 {
		return fmt.Errorf("profile %q: %w", param(c, "slug"), model.ErrNotFound)
	}
	setETag(c, st.BaseID())
	return c.JSON(http.StatusOK, st.Catalog.Profiles[i])
}

func profileView(slug string) func(*edit.Result) any {
	return func(res *edit.Result) any {
		if i := res.Catalog.ProfileIndex(slug); i >= 0 {
			return res.Catalog.Profiles[i]
		}
		return nil
	}
}

func (h *Handler) createProfile(c echo.Context) error {
	var p model.Profile
	if err := decode(c, &p); err != nil {
		return err
	}
	if p.Slug == "" {
		return missing("/slug", "a profile needs a slug")
	}
	view := profileView(p.Slug)
	return h.write(c, writeOp{
		Status:  http.StatusCreated,
		Message: "add profile " + p.Slug,
		Apply:   func(cat *model.Catalog) error { return cat.AddProfile(p) },
		View: func(res *edit.Result) any {
			c.Response().Header().Set("Location", c.Request().URL.Path+"/"+url.PathEscape(p.Slug))
			return view(res)
		},
	})
}

func (h *Handler) putProfile(c echo.Context) error {
	slug := param(c, "slug")
	var p model.Profile
	if err := decode(c, &p); err != nil {
		return err
	}
	if p.Slug == "" {
		p.Slug = slug
	}
	return h.write(c, writeOp{
		Status:      http.StatusOK,
		Message:     "edit profile " + slug,
		RequireBase: true,
		Apply:       func(cat *model.Catalog) error { return cat.ReplaceProfile(slug, p) },
		View:        profileView(p.Slug),
	})
}

func (h *Handler) deleteProfile(c echo.Context) error {
	slug := param(c, "slug")
	return h.write(c, writeOp{
		Status:  http.StatusOK,
		Message: "remove profile " + slug,
		Apply:   func(cat *model.Catalog) error { return cat.RemoveProfile(slug) },
	})
}

func (h *Handler) moveProfile(c echo.Context) error {
	slug := param(c, "slug")
	var body struct {
		Position *int `json:"position"`
	}
	if err := decode(c, &body); err != nil {
		return err
	}
	if body.Position == nil {
		return apiError(http.StatusBadRequest, "bad_request", "send {\"position\": N}, N counting from 0")
	}
	return h.write(c, writeOp{
		Status:  http.StatusOK,
		Message: fmt.Sprintf("move profile %s to position %d", slug, *body.Position),
		Apply:   func(cat *model.Catalog) error { return cat.MoveProfile(slug, *body.Position) },
	})
}

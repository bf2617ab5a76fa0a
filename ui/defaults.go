package ui

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/jupyterhub/hubprofiles/edit"
	"github.com/jupyterhub/hubprofiles/model"
	"github.com/jupyterhub/hubprofiles/profilelist"
)

// defaultsData is the hub-defaults form and the effective settings.
type defaultsData struct {
	Defaults  model.Defaults
	Images    []model.Image
	Base      int64
	Errors    map[string]string
	Form      string
	Effective []profilelist.Effective
}

func (h *Handler) effective(c *model.Catalog) []profilelist.Effective {
	list, err := profilelist.Render(c)
	if err != nil {
		return nil
	}
	return profilelist.EffectiveSettings(list, c.Defaults, c)
}

func (h *Handler) defaultsPage(c echo.Context) error {
	st, err := h.head(c)
	if err != nil {
		return h.fail(c, err)
	}
	d := defaultsData{Defaults: st.Catalog.Defaults, Images: st.Catalog.Images, Base: st.BaseID(), Errors: map[string]string{},
		Effective: h.effective(st.Catalog)}
	return h.render(c, http.StatusOK, "defaults", "defaults-form", h.page(c, "Hub defaults", "defaults", d))
}

// saveDefaults sets the hub-wide image and interface.
func (h *Handler) saveDefaults(c echo.Context) error {
	d := defaultsData{Defaults: model.Defaults{Image: c.FormValue("image"), DefaultURL: strings.TrimSpace(c.FormValue("default_url"))},
		Base: formBase(c), Errors: map[string]string{}}
	if d.Defaults.DefaultURL == "other" {
		d.Defaults.DefaultURL = strings.TrimSpace(c.FormValue("default_url_other"))
	}
	res, err := h.edit.Commit(c.Request().Context(), edit.Change{Base: d.Base, Author: author(c),
		Message: "hub defaults: image " + orNone(d.Defaults.Image) + ", interface " + orNone(d.Defaults.DefaultURL),
		Apply:   func(cat *model.Catalog) error { cat.Defaults = d.Defaults; return nil }})
	if err != nil {
		d.Form = h.formErrorFunc(err, d.Errors, func(path string) (string, bool) {
			switch path {
			case "/defaults/image":
				return "image", true
			case "/defaults/default_url":
				return "default_url", true
			}
			return "", false
		})
		if st, herr := h.head(c); herr == nil {
			d.Images, d.Effective = st.Catalog.Images, h.effective(st.Catalog)
			if se := staleOf(err); se != nil {
				d.Base = se.Head
			}
		}
		if d.Form == "" && len(d.Errors) == 0 {
			return h.fail(c, err)
		}
		return h.render(c, statusOf(err), "defaults", "defaults-form", h.page(c, "Hub defaults", "defaults", d))
	}
	if note := nothingChanged(res); note != "" {
		return h.done(c, "defaults-settings", note)
	}
	return h.done(c, "defaults-settings", "Saved the hub defaults as a draft; publish them from the dashboard.")
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

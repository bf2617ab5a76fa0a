package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/jupyterhub/hubprofiles/edit"
	"github.com/jupyterhub/hubprofiles/model"
	"github.com/jupyterhub/hubprofiles/profilelist"
)

func (h *Handler) getDefaults(c echo.Context) error {
	st, err := h.edit.Head(c.Request().Context())
	if err != nil {
		return err
	}
	setETag(c, st.BaseID())
	return c.JSON(http.StatusOK, st.Catalog.Defaults)
}

// putDefaults sets the hub-wide image (a catalog image slug) and interface
// (default_url); an empty or missing field unsets it.
func (h *Handler) putDefaults(c echo.Context) error {
	var d model.Defaults
	if err := decode(c, &d); err != nil {
		return err
	}
	return h.write(c, writeOp{
		Status:  http.StatusOK,
		Message: "hub defaults: image " + orNone(d.Image) + ", interface " + orNone(d.DefaultURL),
		Apply: func(cat *model.Catalog) error {
			cat.Defaults = d
			return nil
		},
		View: func(res *edit.Result) any { return res.Catalog.Defaults },
	})
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// effective is what a user gets with each profile and choice, and where
// each value comes from (?revision=N, head or live; default head).
func (h *Handler) effective(c echo.Context) error {
	v := c.QueryParam("revision")
	if v == "" {
		v = "head"
	}
	st, err := h.revisionParam(c, v)
	if err != nil {
		return err
	}
	list, err := profilelist.Render(st.Catalog)
	if err != nil {
		return err
	}
	rows := profilelist.EffectiveSettings(list, st.Catalog.Defaults, st.Catalog)
	if rows == nil {
		rows = []profilelist.Effective{}
	}
	return c.JSON(http.StatusOK, defaultsReply{Revision: st.BaseID(), Defaults: st.Catalog.Defaults, Settings: rows})
}

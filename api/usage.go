package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/jupyterhub/hubprofiles/usage"
)

// usageOf answers who uses what in the draft head's catalog, from the
// hub's servers as last read in the background (the request never waits
// on the hub). Unknown usage is a 200 with known false and the reason.
func (h *Handler) usageOf(c echo.Context) error {
	st, err := h.edit.Head(c.Request().Context())
	if err != nil {
		return err
	}
	setETag(c, st.BaseID())
	return c.JSON(http.StatusOK, usage.ViewOf(h.edit.Usage(st.Catalog), st.Catalog))
}

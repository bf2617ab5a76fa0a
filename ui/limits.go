package ui

import (
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/jupyterhub/hubprofiles/model"
)

// bodyLimit caps what a page request may send (model.DefaultLimits: a form,
// or an import of a file up to the parser's limit) and reads the form
// within it, before the login check reads the CSRF field. A body announced
// larger is refused with 413 before any of it is read; one that turns out
// larger is refused when it reaches the limit. A multipart upload is read
// into memory of at most the limit, never spooled to temporary files.
func (h *Handler) bodyLimit(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if r.Method == http.MethodGet || r.Method == http.MethodHead || r.Body == nil || r.Body == http.NoBody {
			return next(c)
		}
		limit := model.DefaultLimits.RequestBody
		if strings.HasSuffix(c.Path(), "/import") {
			limit = model.DefaultLimits.ImportBody
		}
		if r.ContentLength > limit {
			return h.tooLarge(c, r.ContentLength, limit)
		}
		r.Body = http.MaxBytesReader(c.Response(), r.Body, limit)
		var err error
		if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "multipart/form-data" {
			// maxMemory = the body limit: every part fits in memory, so
			// none is written to disk.
			err = r.ParseMultipartForm(limit)
		} else {
			err = r.ParseForm()
		}
		var maxErr *http.MaxBytesError
		switch {
		case errors.As(err, &maxErr):
			return h.tooLarge(c, -1, limit)
		case err != nil:
			return h.message(c, http.StatusBadRequest, "Unreadable form", "The form could not be read: "+err.Error())
		}
		return next(c)
	}
}

func (h *Handler) tooLarge(c echo.Context, size, limit int64) error {
	what := "larger than"
	if size > 0 {
		what = fmt.Sprintf("%d bytes, more than", size)
	}
	c.Response().Header().Set("Connection", "close") // the rest of the body is not read
	return h.message(c, http.StatusRequestEntityTooLarge, "Too large",
		fmt.Sprintf("Nothing was saved: the request is %s the limit of %d bytes for this page. Profile lists this large are far beyond what KubeSpawner's form can show.", what, limit))
}

// chain runs middleware in order, outermost first, as one.
func chain(ms ...echo.MiddlewareFunc) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		for i := len(ms) - 1; i >= 0; i-- {
			next = ms[i](next)
		}
		return next
	}
}

package api

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/jupyterhub/hubprofiles/edit"
	"github.com/jupyterhub/hubprofiles/model"
	"github.com/jupyterhub/hubprofiles/profilelist"
)

func (h *Handler) getCatalog(c echo.Context) error {
	st, err := h.edit.Head(c.Request().Context())
	if err != nil {
		return err
	}
	doc, err := profilelist.ExportDocument(st.Catalog)
	if err != nil {
		return err
	}
	setETag(c, st.BaseID())
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, doc)
}

// putCatalog replaces images and profiles with those of a hubprofiles
// document. It needs If-Match: replacing a whole document on top of someone
// else's change would lose it.
func (h *Handler) putCatalog(c echo.Context) error {
	src, err := h.readSource(c)
	if err != nil {
		return err
	}
	if src.Format != profilelist.FormatDocument {
		return apiError(http.StatusBadRequest, "bad_request", "PUT catalog takes a hubprofiles document (with schema_version); use POST import for a profile list or values file")
	}
	return h.write(c, writeOp{
		Status:      http.StatusOK,
		Message:     "replace the catalog",
		RequireBase: true,
		Apply: func(cat *model.Catalog) error {
			cat.Images, cat.Profiles = src.Document.Images, src.Document.Profiles
			if src.Document.Defaults != (model.Defaults{}) { // a document without defaults keeps the hub's
				cat.Defaults = src.Document.Defaults
			}
			return nil
		},
	})
}

func (h *Handler) listNodeGroups(c echo.Context) error {
	st, err := h.edit.Head(c.Request().Context())
	if err != nil {
		return err
	}
	groups := st.Catalog.NodeGroups
	if groups == nil {
		groups = []model.NodeGroup{}
	}
	return c.JSON(http.StatusOK, nodeGroupsReply{NodeGroups: groups})
}

func (h *Handler) getNodeGroup(c echo.Context) error {
	st, err := h.edit.Head(c.Request().Context())
	if err != nil {
		return err
	}
	ng, ok := st.Catalog.NodeGroup(param(c, "slug"))
	if !ok {
		return fmt.Errorf("node group %q: %w", param(c, "slug"), model.ErrNotFound)
	}
	return c.JSON(http.StatusOK, ng)
}

// readSource parses the request body as anything Parse reads.
func (h *Handler) readSource(c echo.Context) (*profilelist.Source, error) {
	data, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return nil, err
	}
	if len(data) == 0 {
		return nil, apiError(http.StatusBadRequest, "bad_request", "the request needs a body: a profile list (JSON or YAML), a z2jh values file or a hubprofiles document")
	}
	src, err := profilelist.Parse(data, profilelist.DefaultLimits)
	if err != nil {
		return nil, apiError(http.StatusBadRequest, "bad_request", "cannot read the body: %v", err)
	}
	return src, nil
}

func (h *Handler) importList(c echo.Context) error {
	src, err := h.readSource(c)
	if err != nil {
		return err
	}
	b, err := base(c, false)
	if err != nil {
		return err
	}
	publish := c.QueryParam("publish") == "true"
	res, err := h.edit.Import(c.Request().Context(), src, edit.Change{
		Base: b, Author: author(c), Message: message(c, "import "+string(src.Format)), Publish: publish,
	})
	if err != nil {
		return err
	}
	setETag(c, res.Revision.ID)
	rev, err := h.resultRevision(c, res, publish)
	if err != nil {
		return err
	}
	body := importReply{
		Revision: rev, Format: src.Format,
		Profiles: len(res.Catalog.Profiles), Images: len(res.Catalog.Images),
		Warnings: fields(res.Warnings), Errors: fields(res.Errors), Publishable: len(res.Errors) == 0,
		Unchanged: res.Unchanged,
	}
	status := http.StatusCreated
	if res.Unchanged {
		status = http.StatusOK
	}
	return c.JSON(status, body)
}

// export gives a revision (?revision=N, head or live; default live, else
// head) in one of the export formats.
func (h *Handler) export(c echo.Context) error {
	st, err := h.revisionParam(c, c.QueryParam("revision"))
	if err != nil {
		return err
	}
	format := c.QueryParam("format")
	if format == "" {
		format = "json"
	}
	ex, ok := profilelist.Exporters[format]
	if !ok {
		return apiError(http.StatusBadRequest, "bad_request", "format must be json, yaml, values or document, not %q", format)
	}
	out, err := ex.Write(st.Catalog)
	if err != nil {
		return err
	}
	setETag(c, st.BaseID())
	c.Response().Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s"`, ex.File))
	return c.Blob(http.StatusOK, ex.MIME, out)
}

// revisionParam resolves "N", "head" or "live"; "" means live, or head
// when nothing is published.
func (h *Handler) revisionParam(c echo.Context, v string) (*edit.State, error) {
	ctx := c.Request().Context()
	switch v {
	case "head":
		return h.edit.Head(ctx)
	case "", "live":
		_, st, err := h.edit.Live(ctx)
		if v == "" && errors.Is(err, model.ErrNotFound) {
			return h.edit.Head(ctx)
		}
		return st, err
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		return nil, apiError(http.StatusBadRequest, "bad_request", "revision must be a number, head or live, not %q", v)
	}
	return h.edit.At(ctx, id)
}

// validate checks a body without saving anything; findings point into it.
func (h *Handler) validate(c echo.Context) error {
	src, err := h.readSource(c)
	if err != nil {
		return err
	}
	check := h.edit.CheckImport(c.Request().Context(), src)
	return c.JSON(http.StatusOK, validateReply{Format: src.Format, Findings: fields(check.Findings), Errors: check.Errors, Warnings: len(check.Findings) - check.Errors})
}

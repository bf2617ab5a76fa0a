package ui

import (
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/jupyterhub/hubprofiles/auth"

	"github.com/jupyterhub/hubprofiles/edit"
	"github.com/jupyterhub/hubprofiles/model"
	"github.com/jupyterhub/hubprofiles/profilelist"
)

type importData struct {
	Content  string
	Publish  bool
	Message  string
	Format   string
	Error    string
	Findings []model.Finding
	Problems []problemGroup // the findings grouped by profile, option and choice
	Errors   int
	Checked  bool // the findings are shown; importing is one click away
	Base     int64
}

func (h *Handler) importPage(c echo.Context) error {
	st, err := h.head(c)
	if err != nil {
		return h.fail(c, err)
	}
	return h.render(c, http.StatusOK, "import", "import-form", h.page(c, "Import", "import", importData{Base: st.BaseID()}))
}

// importPost checks (action=check) or imports (action=import) a pasted or
// uploaded profile list, z2jh values file or hubprofiles document. The
// findings are shown before anything is written.
func (h *Handler) importPost(c echo.Context) error {
	d := importData{Content: c.FormValue("content"), Publish: c.FormValue("publish") == "on", Message: strings.TrimSpace(c.FormValue("message")), Base: formBase(c)}
	if fh, err := c.FormFile("file"); err == nil && fh.Size > 0 {
		f, err := fh.Open()
		if err != nil {
			return h.fail(c, err)
		}
		b, err := io.ReadAll(io.LimitReader(f, int64(profilelist.DefaultLimits.MaxBytes)+1))
		f.Close()
		if err != nil {
			return h.fail(c, err)
		}
		d.Content = string(b)
	}
	show := func(status int) error {
		return h.render(c, status, "import", "import-form", h.page(c, "Import", "import", d))
	}
	if strings.TrimSpace(d.Content) == "" {
		d.Error = "Paste a profile list, a z2jh values file or a hubprofiles document, or choose a file."
		return show(http.StatusUnprocessableEntity)
	}
	src, err := profilelist.Parse([]byte(d.Content), profilelist.DefaultLimits)
	if err != nil {
		d.Error = "This cannot be read: " + err.Error()
		return show(http.StatusUnprocessableEntity)
	}
	d.Format = string(src.Format)
	ctx := c.Request().Context()
	// The page shows what it may not import (policy.editorOverrides) with
	// the rest, at Check.
	check := h.edit.CheckImport(ctx, src)
	d.Findings, d.Errors = append(check.Findings, check.Refused...), check.Errors+len(check.Refused)
	name := listNamer(src.List, src.ListPath)
	if src.Format == profilelist.FormatDocument {
		name = catalogNamer(src.Document)
	}
	d.Problems = groupProblems(d.Findings, name)
	if c.FormValue("action") == "import" && auth.RoleOf(auth.UserOf(c), h.edit.Config().Access) < auth.Editor {
		return h.message(c, http.StatusForbidden, "Not allowed", fmt.Sprintf("You are logged in as %s. Importing changes the catalog, which only hub admins and editors may do; you can still check a list. Ask a hub admin to add you to an editor group.", author(c)))
	}
	// A list with errors is imported only as a draft (edit/draft.go): it
	// cannot be published at once.
	if c.FormValue("action") != "import" || (d.Errors > 0 && d.Publish) {
		d.Checked = true
		status := http.StatusOK
		if d.Errors > 0 {
			status = http.StatusUnprocessableEntity
		}
		return show(status)
	}
	msg := d.Message
	if msg == "" {
		msg = "import " + d.Format
	}
	res, err := h.edit.Import(ctx, src, edit.Change{Base: d.Base, Author: author(c), Message: msg, Publish: d.Publish})
	if findings, ok := model.FindingsOf(err); ok {
		d.Findings, d.Checked = findings, true
		d.Problems = groupProblems(d.Findings, name)
		return show(http.StatusUnprocessableEntity)
	}
	if se := staleOf(err); se != nil {
		d.Error = "Someone else changed the catalog meanwhile (revision " + itoa(se.Head) + "); nothing was imported. Check again and import."
		d.Base = se.Head
		return show(http.StatusConflict)
	}
	if err != nil {
		return h.fail(c, err)
	}
	if note := nothingChanged(res); note != "" {
		return h.done(c, "history", note)
	}
	state := "as a draft; publish it from the history"
	if n := len(res.Errors); n > 0 {
		state = fmt.Sprintf("as a draft with %d error(s): fix them in the profiles before publishing", n)
	}
	if d.Publish {
		state = "and published"
	}
	return h.done(c, "history", fmt.Sprintf("Imported %d profile(s) as revision %d, %s.", len(res.Catalog.Profiles), res.Revision.ID, state))
}

type exportData struct {
	HasLive bool
	Live    int64
	Head    int64
}

func (h *Handler) exportPage(c echo.Context) error {
	st, err := h.head(c)
	if err != nil {
		return h.fail(c, err)
	}
	d := exportData{Head: st.BaseID()}
	if live, err := h.edit.LiveID(c.Request().Context()); err == nil && live > 0 {
		d.HasLive, d.Live = true, live
	}
	return h.render(c, http.StatusOK, "export", "", h.page(c, "Export", "export", d))
}

// exportDownload sends one export as a file.
func (h *Handler) exportDownload(c echo.Context) error {
	ctx := c.Request().Context()
	var (
		st  *edit.State
		err error
	)
	if c.QueryParam("revision") == "head" {
		st, err = h.edit.Head(ctx)
	} else {
		_, st, err = h.edit.Live(ctx)
	}
	if err != nil {
		return h.fail(c, err)
	}
	f, ok := profilelist.Exporters[c.QueryParam("format")]
	if !ok {
		return h.message(c, http.StatusBadRequest, "Unknown format", "format is json, yaml, values or document")
	}
	out, err := f.Write(st.Catalog)
	if err != nil {
		return h.fail(c, err)
	}
	c.Response().Header().Set("Content-Disposition", `attachment; filename="`+f.File+`"`)
	return c.Blob(http.StatusOK, f.MIME, out)
}

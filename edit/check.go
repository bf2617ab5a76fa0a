package edit

import (
	"context"

	"github.com/jupyterhub/hubprofiles/model"
	"github.com/jupyterhub/hubprofiles/profilelist"
)

// ImportCheck is what CheckImport found in a source: findings with paths
// into it (errors and warnings), and how many are errors.
type ImportCheck struct {
	Findings []model.Finding
	Errors   int
}

// CheckImport checks a parsed source the way Import will, without writing
// anything: the API's validate and the import page's Check both answer
// with it. It asks the registries about the source's images first (when
// the editor has a checker), so that missing images are reported now; it
// checks a hubprofiles document with the infrastructure config's node
// groups, as Import keeps them, and a profile list or values file as
// written; and it adds what an import from the pages or the API would
// refuse (settings outside policy.editorOverrides).
func (e *Editor) CheckImport(ctx context.Context, src *profilelist.Source) ImportCheck {
	e.mu.RLock()
	images := e.images
	e.mu.RUnlock()
	if images != nil {
		list := src.List
		if src.Document != nil {
			list, _ = profilelist.Render(src.Document)
		}
		if l, ok := list.([]any); ok {
			images.CheckAll(ctx, profilelist.ImageRefs(l))
		}
	}
	var ic ImportCheck
	if src.Format == profilelist.FormatDocument {
		doc := *src.Document
		doc.NodeGroups = e.Config().NodeGroups
		ic.Findings = e.Validate(ctx, &doc)
	} else {
		for _, f := range e.ValidateList(ctx, src.List) {
			f.Path = src.ListPath + f.Path
			ic.Findings = append(ic.Findings, f)
		}
	}
	ic.Findings = append(ic.Findings, e.ImportRefusals(ctx, src)...)
	for _, f := range ic.Findings {
		if f.Severity == model.Error {
			ic.Errors++
		}
	}
	return ic
}

package edit

import (
	"context"

	"github.com/jupyterhub/hubprofiles/model"
	"github.com/jupyterhub/hubprofiles/profilelist"
)

// Import replaces the catalog's profiles with those of a parsed source, as
// one revision. A profile list or values file is checked as written first,
// so its errors point into the file; its image references join the image
// catalog (existing images are reused by reference) and node selectors
// matching a configured node group become references to it. A list with
// errors is written as a draft that Publish refuses until they are fixed
// (Result.Errors lists them); with ch.Publish it is refused whole. A hubprofiles
// document replaces images and profiles, and the hub defaults when it sets
// any; node groups always stay those of the infrastructure config.
//
// Import is a change like any other: unless ch.Operator is set (the
// command line), a setting outside policy.editorOverrides is kept only where
// the head already has it, identical, at the same place (same profile slug,
// option and choice keys); one the head lacks or has otherwise is refused.
func (e *Editor) Import(ctx context.Context, src *profilelist.Source, ch Change) (*Result, error) {
	var imported *model.Catalog
	ch.importedList, ch.listPrefix = src.Format != profilelist.FormatDocument, src.ListPath
	if src.Format == profilelist.FormatDocument {
		imported = src.Document
	} else {
		fs := e.ValidateList(ctx, src.List)
		if model.HasErrors(fs) && ch.Publish {
			for i := range fs {
				fs[i].Path = src.ListPath + fs[i].Path
			}
			return nil, model.Invalid(fs)
		}
		// A list with errors is kept as a draft (see draft.go): migrating a
		// hub must not lose its list because of one broken choice.
		ch.KeepErrors = true
	}
	ch.Apply = importInto(src, imported)
	return e.Commit(ctx, ch)
}

// ImportRefusals is what Import would refuse from the pages or the API
// (settings outside policy.editorOverrides that the source adds or
// changes), without writing anything: the import page shows them when a
// list is checked, before anyone presses Import. It is empty when it cannot
// tell (an unreadable head, a list that does not import: the other checks
// report those).
func (e *Editor) ImportRefusals(ctx context.Context, src *profilelist.Source) []model.Finding {
	head, err := e.Head(ctx)
	if err != nil {
		return nil
	}
	var imported *model.Catalog
	if src.Format == profilelist.FormatDocument {
		imported = src.Document
	}
	c := cloneCatalog(head.Catalog)
	if err := importInto(src, imported)(c); err != nil {
		return nil
	}
	var fs []model.Finding
	for _, f := range overBoundary(e.Config().Policy, head.Catalog, c, imported == nil, src.ListPath) {
		if f.Severity == model.Error {
			fs = append(fs, f)
		}
	}
	return fs
}

// importInto is the change an import makes to the catalog.
func importInto(src *profilelist.Source, imported *model.Catalog) func(c *model.Catalog) error {
	return func(c *model.Catalog) error {
		if imported != nil {
			c.Images, c.Profiles = imported.Images, imported.Profiles
			if imported.Defaults != (model.Defaults{}) { // a document without defaults keeps the hub's
				c.Defaults = imported.Defaults
			}
			return nil
		}
		got, err := profilelist.Import(src.List, profilelist.ImportOptions{NodeGroups: c.NodeGroups, Images: c.Images})
		if err != nil {
			return model.Invalid([]model.Finding{{Severity: model.Error, Path: "", Message: err.Error()}})
		}
		c.Images, c.Profiles = got.Images, got.Profiles
		profilelist.ValuesDefaults(c, src)
		return nil
	}
}

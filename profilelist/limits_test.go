package profilelist

import (
	"testing"

	"github.com/jupyterhub/hubprofiles/model"
)

// What a writer may store must stay well inside what the parser reads, or
// a saved revision could not be read back by serve, export and restore.
func TestStoredLimitsAreWellInsideTheParser(t *testing.T) {
	w, p := model.DefaultLimits, DefaultLimits
	if 2*w.CatalogBytes > p.MaxBytes {
		t.Errorf("CatalogBytes %d is more than half the parser's %d bytes", w.CatalogBytes, p.MaxBytes)
	}
	if 2*w.CatalogDepth > p.MaxDepth {
		t.Errorf("CatalogDepth %d is more than half the parser's %d levels", w.CatalogDepth, p.MaxDepth)
	}
	if 2*w.CatalogValues > p.MaxNodes {
		t.Errorf("CatalogValues %d is more than half the parser's %d values", w.CatalogValues, p.MaxNodes)
	}
	if w.FileBytes != int64(p.MaxBytes) || w.ImportBody < w.FileBytes || w.RequestBody > w.FileBytes {
		t.Errorf("request limits out of order: request %d, file %d (parser %d), import form %d", w.RequestBody, w.FileBytes, p.MaxBytes, w.ImportBody)
	}
}

// Package api is the REST API under api/v1: the same operations as the
// pages, for scripts and CI, with machine-readable errors and optimistic
// concurrency (ETag / If-Match on the revision a write is based on).
// openapi.yaml beside this file describes every route.
package api

import (
	_ "embed"
	"log/slog"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/jupyterhub/hubprofiles/auth"
	"github.com/jupyterhub/hubprofiles/edit"
	"github.com/jupyterhub/hubprofiles/model"
	"github.com/jupyterhub/hubprofiles/peer"
	"github.com/jupyterhub/hubprofiles/registry"
)

//go:embed openapi.yaml
var openapi []byte

// Handler serves the API.
type Handler struct {
	edit     *edit.Editor
	identify auth.Identifier
	images   *registry.Checker // nil: no registry checks
	peers    *peer.Client
	log      *slog.Logger
}

// New returns the API handler. images may be nil (no registry checks).
// Publications reach the feed through the editor (edit.Editor.OnPublish).
func New(e *edit.Editor, id auth.Identifier, images *registry.Checker, log *slog.Logger) *Handler {
	return &Handler{edit: e, identify: id, images: images, peers: peer.New(), log: log}
}

// Limits on request bodies, the same as the pages' (model.DefaultLimits).
var (
	maxJSONBody   = model.DefaultLimits.RequestBody // one profile or image, or a whole catalog
	maxImportBody = model.DefaultLimits.FileBytes   // a file up to the parser's own limit
)

// Register mounts every route on g (the group for {prefix}api/v1). This
// list is the whole API.
func (h *Handler) Register(g *echo.Group) {
	// Middleware is per route, not g.Use: a group's middleware makes Echo
	// answer 404 where 405 (wrong method) is right.
	read := []echo.MiddlewareFunc{h.errors, h.bodyLimit, h.need(auth.Viewer)}
	write := []echo.MiddlewareFunc{h.errors, h.bodyLimit, h.need(auth.Editor)}

	g.GET("/openapi.yaml", h.openAPI, h.errors)
	g.GET("/me", h.me, read...)

	g.GET("/catalog", h.getCatalog, read...)
	g.PUT("/catalog", h.putCatalog, write...)

	g.GET("/images", h.listImages, read...)
	g.POST("/images", h.createImage, write...)
	g.DELETE("/images", h.deleteUnusedImages, write...)
	g.GET("/images/:slug", h.getImage, read...)
	g.PATCH("/images/:slug", h.patchImage, write...)
	g.DELETE("/images/:slug", h.deleteImage, write...)
	g.POST("/images/:slug/check", h.checkImage, read...)
	g.GET("/images/:slug/tags", h.imageTags, read...)
	g.POST("/images/:slug/bump", h.bumpImage, write...)

	g.GET("/profiles", h.listProfiles, read...)
	g.POST("/profiles", h.createProfile, write...)
	g.GET("/profiles/:slug", h.getProfile, read...)
	g.PUT("/profiles/:slug", h.putProfile, write...)
	g.PATCH("/profiles/:slug", h.patchProfile, write...)
	g.DELETE("/profiles/:slug", h.deleteProfile, write...)
	g.POST("/profiles/:slug/move", h.moveProfile, write...)
	g.POST("/profiles/:slug/duplicate", h.duplicateProfile, write...)

	g.POST("/profiles/:slug/options", h.createOption, write...)
	g.GET("/profiles/:slug/options/:key", h.getOption, read...)
	g.PATCH("/profiles/:slug/options/:key", h.patchOption, write...)
	g.DELETE("/profiles/:slug/options/:key", h.deleteOption, write...)
	g.POST("/profiles/:slug/options/:key/move", h.moveOption, write...)
	g.POST("/profiles/:slug/options/:key/duplicate", h.duplicateOption, write...)

	g.POST("/profiles/:slug/options/:key/choices", h.createChoice, write...)
	g.GET("/profiles/:slug/options/:key/choices/:choice", h.getChoice, read...)
	g.PATCH("/profiles/:slug/options/:key/choices/:choice", h.patchChoice, write...)
	g.DELETE("/profiles/:slug/options/:key/choices/:choice", h.deleteChoice, write...)
	g.POST("/profiles/:slug/options/:key/choices/:choice/move", h.moveChoice, write...)
	g.POST("/profiles/:slug/options/:key/choices/:choice/duplicate", h.duplicateChoice, write...)

	// Settings the model does not type, copied or removed (api/settings.go).
	for _, place := range []string{"/profiles/:slug", "/profiles/:slug/options/:key/choices/:choice", "/profiles/:slug/options/:key/unlisted_choice"} {
		g.PUT(place+"/kubespawner_override/:setting", h.copySetting, write...)
		g.DELETE(place+"/kubespawner_override/:setting", h.removeSetting, write...)
		g.DELETE(place+"/extra/:name", h.removeExtra, write...)
	}

	g.GET("/defaults", h.getDefaults, read...)
	g.PUT("/defaults", h.putDefaults, write...)
	g.GET("/effective", h.effective, read...)

	g.GET("/node-groups", h.listNodeGroups, read...)
	g.GET("/node-groups/:slug", h.getNodeGroup, read...)

	g.GET("/revisions", h.listRevisions, read...)
	g.GET("/revisions/:id", h.getRevision, read...)
	g.GET("/revisions/:id/diff", h.diffRevision, read...)
	g.POST("/revisions/:id/publish", h.publishRevision, write...)
	g.POST("/revisions/:id/restore", h.restoreRevision, write...)
	g.GET("/publications", h.listPublications, read...)

	g.POST("/import", h.importList, write...)
	g.GET("/export", h.export, read...)
	g.POST("/validate", h.validate, read...)
	g.GET("/usage", h.usageOf, read...)

	g.GET("/peers", h.listPeers, read...)
	g.GET("/peers/:name/compare", h.comparePeer, read...)
	g.POST("/promote", h.promote, write...)
}

func (h *Handler) openAPI(c echo.Context) error {
	return c.Blob(http.StatusOK, "application/yaml", openapi)
}

func (h *Handler) me(c echo.Context) error {
	u := user(c)
	return c.JSON(http.StatusOK, meReply{User: u, Role: auth.RoleOf(u, h.edit.Config().Access).String(), CSRFToken: auth.CSRFToken(c)})
}

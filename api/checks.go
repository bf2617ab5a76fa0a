package api

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/jupyterhub/hubprofiles/edit"
	"github.com/jupyterhub/hubprofiles/model"
	"github.com/jupyterhub/hubprofiles/profilelist"
	"github.com/jupyterhub/hubprofiles/registry"
)

// checkRef asks the registry about a reference an admin is about to save.
// A reference that does not exist or is not one is refused (422) unless the
// request says ?force=true; one the registry cannot confirm (private,
// unreachable, slow) is saved, and the answer travels with the response.
func (h *Handler) checkRef(c echo.Context, ref string) (*registry.Result, error) {
	if h.images == nil {
		return nil, nil
	}
	res := h.images.Recheck(c.Request().Context(), ref)
	refuse := res.Status == registry.NotAllowed ||
		((res.Status == registry.NotFound || res.Status == registry.Invalid) && c.QueryParam("force") != "true")
	if refuse {
		hint := " Send ?force=true to save it anyway (for an image that is being built)."
		if res.Status == registry.NotAllowed {
			hint = ""
		}
		p := model.Errorf(model.CodeInvalid, "image %s: %s; nothing was saved.%s", ref, res.Message, hint)
		p.Findings = []model.Finding{{Path: "/ref", Message: res.Message, Severity: model.Error}}
		return nil, p
	}
	return &res, nil
}

func (h *Handler) imageRef(c echo.Context) (string, error) {
	st, err := h.edit.Head(c.Request().Context())
	if err != nil {
		return "", err
	}
	im, ok := st.Catalog.Image(param(c, "slug"))
	if !ok {
		return "", fmt.Errorf("image %q: %w", param(c, "slug"), model.ErrNotFound)
	}
	return im.Ref, nil
}

func (h *Handler) needChecker() error {
	if h.images == nil {
		return apiError(http.StatusServiceUnavailable, "registry_checks_off", "registry checks are not configured on this server")
	}
	return nil
}

// checkImage asks the registry now (never from the cache).
func (h *Handler) checkImage(c echo.Context) error {
	if err := h.needChecker(); err != nil {
		return err
	}
	ref, err := h.imageRef(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, h.images.Recheck(c.Request().Context(), ref))
}

// imageTags lists the repository's tags and those newer than the current one.
func (h *Handler) imageTags(c echo.Context) error {
	if err := h.needChecker(); err != nil {
		return err
	}
	ref, err := h.imageRef(c)
	if err != nil {
		return err
	}
	tags, err := h.images.Tags(c.Request().Context(), ref)
	if err != nil {
		return registryError(err)
	}
	current := profilelist.ImageTag(ref)
	newer := registry.NewerTags(current, tags)
	if newer == nil {
		newer = []string{}
	}
	return c.JSON(http.StatusOK, tagsReply{Ref: ref, Current: current, Tags: tags, Newer: newer})
}

// bumpImage moves an image to another tag (by default the newest newer
// one) everywhere it is used, in one revision, after checking it exists.
func (h *Handler) bumpImage(c echo.Context) error {
	if err := h.needChecker(); err != nil {
		return err
	}
	slug := param(c, "slug")
	var body struct {
		Tag string `json:"tag"`
	}
	if err := decodeOptional(c, &body); err != nil {
		return err
	}
	ref, err := h.imageRef(c)
	if err != nil {
		return err
	}
	current := profilelist.ImageTag(ref)
	if body.Tag == "" {
		tags, err := h.images.Tags(c.Request().Context(), ref)
		if err != nil {
			return registryError(err)
		}
		newer := registry.NewerTags(current, tags)
		if len(newer) == 0 {
			return apiError(http.StatusConflict, "up_to_date", "no tag newer than %q was found in the registry; name the tag to move to", current)
		}
		body.Tag = newer[0]
	}
	if strings.ContainsAny(body.Tag, "/@: ") {
		return apiError(http.StatusBadRequest, "bad_request", "tag %q is not a tag", body.Tag)
	}
	newRef := profilelist.WithTag(ref, body.Tag)
	check, err := h.checkRef(c, newRef)
	if err != nil {
		return err
	}
	return h.write(c, writeOp{
		Status:  http.StatusOK,
		Message: fmt.Sprintf("image %s: tag %s → %s", slug, current, body.Tag),
		Apply:   func(cat *model.Catalog) error { return cat.SetImageRef(slug, newRef) },
		View:    func(res *edit.Result) any { got, _ := res.Catalog.Image(slug); return imageView(res.Catalog, *got) },
		Check:   check,
	})
}

func registryError(err error) error {
	var re *registry.Error
	if errors.As(err, &re) {
		return model.Errorf(registryCode(re.Status), "%s", re.Message)
	}
	return err
}

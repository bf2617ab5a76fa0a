package api_test

// Every response an API test receives is checked against api/openapi.yaml:
// its status must be documented for the operation, and its body must match
// the documented schema (kin-openapi). So the spec cannot drift from what
// the server really answers.

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// specRouter is api/openapi.yaml, loaded and validated once, with its server
// URL as the tests mount it.
var specRouter = sync.OnceValues(func() (routers.Router, error) {
	doc, err := openapi3.NewLoader().LoadFromFile("openapi.yaml")
	if err != nil {
		return nil, err
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, err
	}
	doc.Servers = openapi3.Servers{{URL: "http://127.0.0.1" + prefix + "api/v1"}}
	return gorillamux.NewRouter(doc)
})

// checkAgainstSpec fails the test if an API response is not what
// openapi.yaml documents. Requests to paths the spec does not know are left
// to the route tests (a 404 or 405 for them is expected).
func checkAgainstSpec(t *testing.T, method, path string, status int, header http.Header, body []byte) {
	t.Helper()
	if !strings.HasPrefix(path, "api/v1/") {
		return
	}
	router, err := specRouter()
	if err != nil {
		t.Fatalf("api/openapi.yaml: %v", err)
	}
	u, err := url.Parse("http://127.0.0.1" + prefix + path)
	if err != nil {
		t.Fatal(err)
	}
	req := &http.Request{Method: method, URL: u, Header: http.Header{}, Host: u.Host}
	route, params, err := router.FindRoute(req)
	if err != nil {
		if status == http.StatusNotFound || status == http.StatusMethodNotAllowed {
			return
		}
		t.Errorf("%s %s answered %d, but openapi.yaml has no such operation: %v", method, path, status, err)
		return
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 status,
		Header:                 header,
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		t.Errorf("%s %s answered %d, which openapi.yaml does not describe: %v\nbody: %.500s", method, path, status, err, body)
	}
}

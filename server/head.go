package server

import "net/http"

// headAsGet answers HEAD on every GET route (Echo routes HEAD only where
// one is registered, and routes by the request it was given, before any
// middleware): the handlers get a GET, so that `curl -sI` shows a feed's or
// a revision's ETag. The ResponseWriter still belongs to the HEAD, so
// net/http sends the headers and drops the body.
func headAsGet(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodHead {
			r = r.Clone(r.Context())
			r.Method = http.MethodGet
		}
		next.ServeHTTP(w, r)
	})
}

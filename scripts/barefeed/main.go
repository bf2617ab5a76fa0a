// Command barefeed is the reference scripts/bench-feed measures the feed
// against: a bare net/http server that serves one file's bytes from memory
// at /profile_list with the ETag, Cache-Control and Content-Type the feed
// sends, and 304 for a matching If-None-Match. No router, no middleware,
// no metrics: what Go's HTTP server costs by itself on the same bytes.
//
//	barefeed -listen 127.0.0.1:PORT -file profile_list -etag '"..."'
package main

import (
	"flag"
	"log"
	"net/http"
	"os"
	"strconv"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:10110", "address to listen on")
	file := flag.String("file", "", "the bytes to serve")
	etag := flag.String("etag", "", "the ETag to send (the feed's, so that one If-None-Match fits both)")
	flag.Parse()
	body, err := os.ReadFile(*file)
	if err != nil {
		log.Fatal(err)
	}
	length := strconv.Itoa(len(body))
	http.HandleFunc("/profile_list", func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Cache-Control", "no-cache")
		h.Set("ETag", *etag)
		if r.Header.Get("If-None-Match") == *etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		h.Set("Content-Type", "application/json")
		h.Set("Content-Length", length)
		_, _ = w.Write(body)
	})
	log.Fatal(http.ListenAndServe(*listen, nil))
}

package web

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"strings"
)

//go:embed static
var staticFiles embed.FS

// staticVersion is a digest of every static file. URLs carry it as ?v=, so
// files can be cached for a year and a new build is fetched at once.
var staticVersion = func() string {
	h := sha256.New()
	fs.WalkDir(staticFiles, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := staticFiles.ReadFile(p)
		if err != nil {
			return err
		}
		h.Write([]byte(p))
		h.Write(b)
		return nil
	})
	return hex.EncodeToString(h.Sum(nil))[:12]
}()

// staticURL is the versioned URL of a file under static/.
func staticURL(name string) string {
	return "/static/" + strings.TrimPrefix(name, "/") + "?v=" + staticVersion
}

var staticServer = func() http.Handler {
	sub, err := fs.Sub(staticFiles, "static")
	if err != nil {
		panic(err)
	}
	return http.StripPrefix("/static/", http.FileServerFS(sub))
}()

// static serves the embedded files. A request with the current version is
// cached for a year; any other (an old page asking for an old version, or
// none) for a few minutes, since the file it gets is the current one.
func (c *Console) static(w http.ResponseWriter, r *http.Request) {
	if strings.HasSuffix(r.URL.Path, "/") {
		c.notFound(w, r) // no directory listings
		return
	}
	if r.URL.Query().Get("v") == staticVersion {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "public, max-age=300")
	}
	staticServer.ServeHTTP(w, r)
}

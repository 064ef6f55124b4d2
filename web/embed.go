// Package web holds the browser client: plain HTML, CSS and JavaScript
// modules served as they are (no build step), embedded in the binary.
package web

import (
	"embed"
	"io/fs"
)

//go:embed *.html *.css *.js
var files embed.FS

// Files is the static files, by name at the root ("index.html", "app.js", …).
var Files fs.FS = files

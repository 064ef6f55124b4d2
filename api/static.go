package api

import (
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"

	"github.com/labstack/echo/v4"
)

// staticPolicy keeps the pages to their own origin: scripts, styles and
// connections (the same-origin /ws) come only from the server itself.
const staticPolicy = "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; " +
	"object-src 'none'; base-uri 'none'; frame-ancestors 'none'"

// ServeStatic serves the browser client's files: index.html at "/",
// dashboard.html (the ops dashboard) at "/dashboard", and every file of
// files at "/<name>". The files are public, outside the API's startup gate,
// and carry Cache-Control: no-store like every response.
func (s *Server) ServeStatic(files fs.FS) error {
	names, err := fs.Glob(files, "*")
	if err != nil {
		return fmt.Errorf("list static files: %w", err)
	}
	for _, name := range names {
		body, err := fs.ReadFile(files, name)
		if err != nil {
			return fmt.Errorf("read static file %s: %w", name, err)
		}
		h := staticHandler(name, body)
		s.echo.GET("/"+name, h)
		if page, ok := staticPages[name]; ok {
			s.echo.GET(page, h)
		}
	}
	return nil
}

// staticPages are the files also served at a page's path.
var staticPages = map[string]string{"index.html": "/", "dashboard.html": "/dashboard"}

func staticHandler(name string, body []byte) echo.HandlerFunc {
	typ := mime.TypeByExtension(path.Ext(name))
	if typ == "" {
		typ = "application/octet-stream"
	}
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("Content-Security-Policy", staticPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		return c.Blob(http.StatusOK, typ, body)
	}
}
